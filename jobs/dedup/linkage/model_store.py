"""Trained linkage models on disk: ``<model_dir>/<type config>/<backend>.json``.

A model file holds the numbers a Splink model is made of — λ (the probability that two random
records match) and the m/u probabilities of each comparison level — with the fingerprint of the
configuration they were estimated for.  It holds no SQL: settings are rebuilt from the
configuration for whichever backend loads it, so a model trained on DuckDB can score on Spark.
A model whose fingerprint no longer matches its configuration is not used.
"""
from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from .config import TypeConfig

FORMAT = "bayres-linkage-model/1"
BACKENDS = ("duckdb", "spark")


def model_path(model_dir: Path, conf: TypeConfig, backend: str) -> Path:
    return Path(model_dir) / conf.name / f"{backend}.json"


def save_model(path: Path, conf: TypeConfig, backend: str, parameters: dict, **facts) -> Path:
    """Write a model atomically (a reader never sees half a file)."""
    import splink

    body = {"format": FORMAT, "type_config": conf.name, "resource_types": list(conf.resource_types),
            "backend": backend, "config_digest": conf.digest, "splink_version": splink.__version__,
            "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), **facts, **parameters}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(body, fh, ensure_ascii=False, indent=2, default=str)
    os.replace(tmp, path)
    return path


def read_model(path: Path, conf: TypeConfig) -> dict | None:
    """The model at ``path`` if it exists and was estimated for this configuration, else None."""
    if not path.is_file():
        return None
    body = json.loads(path.read_text(encoding="utf-8"))
    if body.get("format") != FORMAT:
        raise ValueError(f"{path}: not a linkage model ({FORMAT})")
    if body.get("config_digest") != conf.digest:
        return None
    return body


def find_model(model_dir: Path, conf: TypeConfig, backend: str) -> tuple[dict, Path] | None:
    """This backend's model, else another backend's (its m/u carry over), else None."""
    for b in (backend,) + tuple(x for x in BACKENDS if x != backend):
        path = model_path(model_dir, conf, b)
        body = read_model(path, conf)
        if body is not None:
            return body, path
    return None

"""Probabilistic record linkage (Splink) of BayRes — the engine the dedup stage calls.

Per resource type, ``conf/linkage/types/<code>_<name>.yaml`` declares blocking rules,
comparisons, thresholds and training settings.  ``link_records`` builds Splink settings for the
chosen backend (DuckDB on one machine, Spark to scale out), estimates or reloads the model's
m/u parameters, and returns the scored pairs at or above each type's review threshold.
Types without a configuration file are left to the exact matching of jobs/dedup/stage.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class LinkageResult:
    #: record_id_l < record_id_r, resource_type, match_probability, match_weight;
    #: only pairs with match_probability >= the type's review threshold
    pairs: "pandas.DataFrame"  # noqa: F821
    #: resource_type -> {"review": float, "accept": float}
    thresholds: dict = field(default_factory=dict)
    #: resource_type -> {records, comparisons, pairs_review, pairs_accept, backend, model, trained, seconds}
    stats: dict = field(default_factory=dict)


def link_records(records, *, backend: str, conf_dir: Path, model_dir: Path,
                 spark=None, retrain: bool = False, duckdb: dict | None = None,
                 train_backend: str | None = None) -> LinkageResult:
    """Score candidate pairs of ``records`` per configured resource type.

    ``records`` carries the RESOURCE_RECORD columns: a pandas DataFrame or pyarrow Table for
    ``backend="duckdb"``, a Spark DataFrame for ``backend="spark"`` (``spark`` given).
    ``conf_dir`` is conf/linkage (the per-type files live in its ``types/`` folder);
    models are kept under ``model_dir/<type>/<backend>.json`` and reused unless ``retrain``;
    ``duckdb`` bounds the DuckDB backend's memory (the profile's ``linkage.duckdb``);
    ``train_backend`` (the profile's ``linkage.train_backend``) estimates a model that is not
    reused on another engine than ``backend`` — ``duckdb`` with ``backend="spark"``: on the
    driver, from the prepared records brought there as Arrow — and ``backend`` scores with it.
    """
    from .engine import link_records as _link
    return _link(records, backend=backend, conf_dir=Path(conf_dir), model_dir=Path(model_dir),
                 spark=spark, retrain=retrain, duckdb=duckdb, train_backend=train_backend)


def warm_up(conf_dir: Path):
    """Start loading, in a background thread, the dictionaries the configured features read
    (romanisation of person names) while the caller does other work — the dedup stage's exact
    matching is SQL that leaves the interpreter free.  Returns the thread, or None if no
    configured type needs it."""
    import threading

    from .config import load_type_configs
    from .romanise import warm_up as load_dictionaries

    if not any("person_names" in c.features for c in load_type_configs(Path(conf_dir))):
        return None
    thread = threading.Thread(target=load_dictionaries, name="linkage-warm-up", daemon=True)
    thread.start()
    return thread


__all__ = ["LinkageResult", "link_records", "warm_up"]

"""Per-type linkage configuration: ``conf/linkage/types/<code>_<name>.yaml``, read and checked.

One file covers one or more resource types that share a field group (03 and 04 are both
organisations).  It declares which derived comparison columns to compute (``features``), the
blocking rules that make candidate pairs, the comparisons and their levels, the review/accept
thresholds and how the model is trained.  The format is documented in conf/README.md; a
mistake in a file is reported with the file and the key that is wrong.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

#: level kinds a comparison's ``levels`` may use (see settings.py)
LEVEL_KINDS = ("all", "any", "overlap", "exact", "jaro_winkler", "levenshtein", "array_intersect", "date_within",
               "percentage_difference", "sql")
#: comparison kinds with a one-line form
COMPARISON_KINDS = ("exact", "jaro_winkler", "levenshtein", "date", "levels")
FEATURES = ("names", "org_names", "org_tokens", "person_names", "affiliation", "contact", "identifiers")


class LinkageConfigError(ValueError):
    """A linkage configuration file is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class TypeConfig:
    name: str                     # file stem, e.g. "04_organisation": the model's folder
    path: Path
    resource_types: tuple[str, ...]
    features: tuple[str, ...]
    blocking: tuple               # raw rules: lists of columns, or {columns, explode}
    comparisons: tuple            # raw comparison dicts
    review: float
    accept: float
    training: dict = field(default_factory=dict)
    max_block_size: int | None = None  # block purging of the prediction rules (blocking.py)

    @property
    def digest(self) -> str:
        """Fingerprint of what a trained model depends on: features and comparisons."""
        body = json.dumps({"features": self.features, "comparisons": self.comparisons},
                          sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(body.encode()).hexdigest()[:16]


def _fail(path: Path, key: str, msg: str):
    raise LinkageConfigError(f"{path}: {key}: {msg}")


def _check_comparison(path: Path, i: int, c) -> None:
    where = f"comparisons[{i}]"
    if not isinstance(c, dict) or not c.get("name"):
        _fail(path, where, "needs a mapping with a 'name'")
    kinds = [k for k in COMPARISON_KINDS if k in c]
    if len(kinds) != 1:
        _fail(path, f"{where} ({c.get('name')})", f"give exactly one of {list(COMPARISON_KINDS)}")
    if kinds[0] == "levels":
        if not isinstance(c["levels"], list) or not c["levels"]:
            _fail(path, f"{where}.levels", "needs a non-empty list")
        for j, level in enumerate(c["levels"]):
            lk = [k for k in LEVEL_KINDS if k in (level or {})]
            if len(lk) != 1:
                _fail(path, f"{where}.levels[{j}]", f"give exactly one of {list(LEVEL_KINDS)}")
            fixed = level.get("fixed")
            if fixed is not None and not (isinstance(fixed, dict) and "m" in fixed and set(fixed) <= {"m", "u"}
                                          and all(isinstance(v, (int, float)) and 0 < v <= 1 for v in fixed.values())):
                _fail(path, f"{where}.levels[{j}].fixed", "needs {m: p} or {m: p, u: p}, probabilities in (0, 1]")
        if not c.get("missing"):
            _fail(path, f"{where}.missing", "a 'levels' comparison names the column whose absence is its null level")


def _check_rule(path: Path, where: str, rule) -> None:
    if isinstance(rule, dict):
        unknown = set(rule) - {"columns", "explode"}
        if unknown or len(rule.get("explode") or []) != 1:
            _fail(path, where, "a mapping rule is {columns: [...], explode: [one array column]}")
    elif not (isinstance(rule, list) and rule and all(isinstance(c, str) for c in rule)):
        _fail(path, where, "needs a list of column names")


def load_type_config(path: Path) -> TypeConfig:
    """Read and check one ``conf/linkage/types/*.yaml`` file."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise LinkageConfigError(f"{path}: not valid YAML: {exc}") from exc
    types = raw.get("resource_types")
    if not types or not all(isinstance(t, str) and len(t) == 2 and t.isdigit() for t in types):
        _fail(path, "resource_types", 'needs a list of two-digit codes as strings, e.g. ["04"]')
    unknown = set(raw.get("features") or ()) - set(FEATURES)
    if unknown:
        _fail(path, "features", f"unknown {sorted(unknown)} (one of {list(FEATURES)})")
    if not raw.get("blocking"):
        _fail(path, "blocking", "needs at least one rule")
    for i, rule in enumerate(raw["blocking"]):
        _check_rule(path, f"blocking[{i}]", rule)
    max_block = raw.get("max_block_size")
    if max_block is not None and (isinstance(max_block, bool) or not isinstance(max_block, int) or max_block < 2):
        _fail(path, "max_block_size", f"needs a whole number of records, 2 or more (got {max_block!r})")
    comparisons = raw.get("comparisons") or []
    if not comparisons:
        _fail(path, "comparisons", "needs at least one comparison")
    for i, c in enumerate(comparisons):
        _check_comparison(path, i, c)
    th = raw.get("thresholds") or {}
    review, accept = th.get("review"), th.get("accept")
    if not (isinstance(review, (int, float)) and isinstance(accept, (int, float)) and 0 < review <= accept < 1):
        _fail(path, "thresholds", "needs review and accept probabilities with 0 < review <= accept < 1")
    training = dict(raw.get("training") or {})
    if not training.get("em_blocking"):
        _fail(path, "training.em_blocking", "needs at least one blocking rule for EM")
    return TypeConfig(name=path.stem, path=path, resource_types=tuple(types),
                      features=tuple(raw.get("features") or ()), blocking=tuple(raw["blocking"]),
                      comparisons=tuple(comparisons), review=float(review), accept=float(accept),
                      training=training, max_block_size=max_block)


def load_type_configs(conf_dir: Path) -> list[TypeConfig]:
    """Every ``<conf_dir>/types/*.yaml``; a resource type claimed by two files is an error."""
    folder = Path(conf_dir) / "types"
    configs = [load_type_config(p) for p in sorted(folder.glob("*.yaml"))]
    seen: dict[str, Path] = {}
    for c in configs:
        for t in c.resource_types:
            if t in seen:
                raise LinkageConfigError(f"{c.path}: resource type {t} is also configured in {seen[t]}")
            seen[t] = c.path
    return configs

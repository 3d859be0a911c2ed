"""Profiles, source descriptions and vocabularies from conf/, with environment overrides.

A profile is a YAML file (conf/profiles/<name>.yaml). ``${VAR}`` / ``${VAR:-default}`` are
expanded from the environment, and any value can be replaced by ``BAYRES__<SECTION>__<KEY>``.
"""
from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

#: the repository root (conf/ lives here); the pipeline runs from any working directory
REPO_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_CONF = REPO_ROOT / "conf"
ENV_PREFIX = "BAYRES__"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(ValueError):
    """A configuration file is missing, malformed or inconsistent."""


def env_value(name: str) -> str | None:
    """``$NAME``, or the content of the file ``$NAME_FILE`` names (a secrets file, as Docker and
    Kubernetes mount them), so credentials never sit in the repository or in a profile."""
    if os.environ.get(name):
        return os.environ[name]
    secret = os.environ.get(f"{name}_FILE")
    if secret:
        try:
            return Path(secret).read_text(encoding="utf-8").strip()
        except OSError as e:
            raise ConfigError(f"{name}_FILE={secret}: cannot read the secrets file ({e.strerror})") from e
    return None


def expand_env(value: Any) -> Any:
    """Expand ``${VAR}`` and ``${VAR:-default}`` in every string of a nested structure
    (``VAR`` may also come from the secrets file named by ``VAR_FILE``)."""
    if isinstance(value, str):
        return _VAR.sub(lambda m: env_value(m.group(1)) or (m.group(2) or ""), value)
    if isinstance(value, dict):
        return {k: expand_env(v) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v) for v in value]
    return value


def apply_env_overrides(data: dict, environ: dict[str, str] | None = None) -> dict:
    """Replace values named by ``BAYRES__SECTION__KEY`` environment variables (YAML-typed)."""
    environ = os.environ if environ is None else environ
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        path = [p.lower() for p in name[len(ENV_PREFIX):].split("__") if p]
        node = data
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{name}: {part} is not a section")
        node[path[-1]] = yaml.safe_load(raw) if raw != "" else ""
    return data


def load_yaml(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at top level")
    return data


@dataclass
class Profile:
    """One profile's settings plus the conf/ directory it came from."""

    name: str
    settings: dict
    conf_dir: Path = DEFAULT_CONF

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.settings
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def path(self, dotted: str) -> Path:
        """A filesystem path setting; relative paths are taken from the working directory,
        except conf-relative ``conf/...`` references which resolve against the repository."""
        value = self.get(dotted)
        if not value:
            raise ConfigError(f"profile {self.name}: {dotted} is not set")
        p = Path(value)
        if not p.is_absolute() and p.parts[0] == "conf":
            return (self.conf_dir.parent / p).resolve()
        return p.resolve()

    @cached_property
    def sources(self) -> list[dict]:
        return load_sources(self.conf_dir)

    @cached_property
    def vocabularies(self) -> dict[str, "Vocabulary"]:
        return load_vocabularies(self.conf_dir)


def load_profile(name: str = "local", conf_dir: Path | str | None = None,
                 environ: dict[str, str] | None = None) -> Profile:
    conf_dir = Path(conf_dir) if conf_dir else DEFAULT_CONF
    path = conf_dir / "profiles" / f"{name}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in (conf_dir / "profiles").glob("*.yaml"))
        raise ConfigError(f"no profile {name!r} in {conf_dir / 'profiles'} (known: {', '.join(known)})")
    data = expand_env(load_yaml(path))
    data = apply_env_overrides(data, environ)
    return Profile(name=name, settings=data, conf_dir=conf_dir)


# ---------------------------------------------------------------- sources
REQUIRED_SOURCE_KEYS = ("platform", "source", "format", "id_field", "conventions", "mapping")
FORMATS = ("sql", "xml", "rss", "xlsx", "txt", "csv", "json")


def load_sources(conf_dir: Path) -> list[dict]:
    """Every conf/sources/*.yaml, checked for the keys the pipeline relies on."""
    from bayres.schemas.resource import RECORD_FIELDS

    known_fields = {f.name for f in RECORD_FIELDS}
    sources = []
    for path in sorted((conf_dir / "sources").glob("*.yaml")):
        src = load_yaml(path)
        missing = [k for k in REQUIRED_SOURCE_KEYS if k not in src]
        if missing:
            raise ConfigError(f"{path}: missing {', '.join(missing)}")
        if src["format"] not in FORMATS:
            raise ConfigError(f"{path}: format {src['format']!r} is not one of {FORMATS}")
        if "resource_type" not in src and "resource_type_field" not in src:
            raise ConfigError(f"{path}: give resource_type or resource_type_field")
        split_targets = [t for spec in (src.get("splits") or {}).values() for t in spec["fields"]]
        for target, spec in (src.get("extracts") or {}).items():
            _check_extract(path, target, spec)
        unknown = [k for k in list(src["mapping"]) + list(src.get("constants") or {}) + split_targets
                   + list(src.get("extracts") or {}) if k not in known_fields]
        if unknown:
            raise ConfigError(f"{path}: mapping targets not in the schema: {', '.join(unknown)}")
        src["conf_path"] = str(path)
        sources.append(src)
    keys = [(s["platform"], s["source"]) for s in sources]
    if len(keys) != len(set(keys)):
        raise ConfigError(f"{conf_dir / 'sources'}: duplicate platform/source names")
    return sources


def _check_extract(path: Path, target: str, spec) -> None:
    """An ``extracts`` entry: {from: <source column>, pattern: <regex with one group>}."""
    import re

    if not isinstance(spec, dict) or set(spec) != {"from", "pattern"}:
        raise ConfigError(f"{path}: extracts.{target} needs exactly 'from' and 'pattern'")
    try:
        groups = re.compile(spec["pattern"]).groups
    except re.error as exc:
        raise ConfigError(f"{path}: extracts.{target}: bad pattern {spec['pattern']!r}: {exc}") from exc
    if groups != 1:
        raise ConfigError(f"{path}: extracts.{target}: the pattern needs one capturing group, "
                          f"it has {groups}")


# ---------------------------------------------------------------- vocabularies
def vocab_key(value: str) -> str:
    """How source values are compared to codes and synonyms: NFKC, case-folded, simplified."""
    from bayres.jobs.conform.calibration.names import to_simplified

    text = unicodedata.normalize("NFKC", str(value)).strip().casefold()
    return to_simplified(text, "generic") or ""


@dataclass
class Vocabulary:
    name: str
    codes: dict[str, dict]
    lookup: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, path: Path) -> "Vocabulary":
        data = load_yaml(path)
        codes = {str(k): (v or {}) for k, v in (data.get("codes") or {}).items()}
        vocab = cls(name=data.get("name", path.stem), codes=codes)
        for code, spec in codes.items():
            for label in [code, spec.get("label_zh"), spec.get("label_en"), *(spec.get("synonyms") or [])]:
                if label is not None:
                    vocab.lookup.setdefault(vocab_key(label), code)
        return vocab

    def resolve(self, value: str | None, code_map: dict | None = None) -> str | None:
        """The code for a source value, or None when the vocabulary does not know it."""
        if value is None or str(value).strip() == "":
            return None
        if code_map:
            for raw, code in code_map.items():
                if str(raw) == str(value) or vocab_key(raw) == vocab_key(value):
                    return str(code)
        return self.lookup.get(vocab_key(value))


def load_vocabularies(conf_dir: Path) -> dict[str, Vocabulary]:
    return {p.stem: Vocabulary.from_yaml(p) for p in sorted((conf_dir / "vocab").glob("*.yaml"))}

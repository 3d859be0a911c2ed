"""Stage 2 — standardize: a source's own fields → the canonical record, driven by conf/sources.

Works on one pandas batch of raw rows at a time (Spark calls it through ``mapInPandas``), so the
mapping logic is plain Python and testable without Spark. A row that cannot become a canonical
record (broken at extraction, no id, no mandatory field, unknown resource type) is refused with
its reason; nothing is dropped silently.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pandas as pd

from bayres.schemas.resource import RECORD_FIELDS

from ..run.config import Vocabulary
from .rejections import Rejections

#: canonical fields whose values are codes of a vocabulary (conf/vocab/<name>.yaml)
CODED_FIELDS = {f.name: f.code_list for f in RECORD_FIELDS if f.code_list and f.name != "src_platform"}
MANDATORY_MAPPED = ("name", "resource_type", "region")


@dataclass(frozen=True)
class SourceContext:
    """What standardisation of one source needs, picklable for Spark workers."""

    source: dict
    vocabularies: dict[str, Vocabulary]
    run_id: str
    raw_path: str

    @property
    def platform(self) -> str:
        return self.source["platform"]

    @property
    def name(self) -> str:
        return self.source["source"]

    @property
    def conventions(self) -> dict:
        return self.source.get("conventions") or {}


#: control characters: C0 other than tab, line feed and carriage return, DEL, C1
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_FLAG = "control characters removed"
ONLY_CONTROL = "record holds nothing but control characters"


def scrub_controls(raw: pd.DataFrame, rejections: Rejections) -> pd.DataFrame:
    """``raw`` with control characters removed from every text column (names, ids, locations
    and error texts included); each field that had some is flagged ``<column>:control characters
    removed``, and a row whose only content was control characters (and blanks) is refused."""
    out = raw.copy(deep=False)
    had = pd.Series(False, index=raw.index)
    content = pd.Series(False, index=raw.index)
    for column in raw.columns:
        values = raw[column]
        if values.dtype != object or not values.map(type).eq(str).any():
            continue  # raw-zone columns are strings; anything else holds no text
        dirty = values.str.contains(CONTROL, na=False).astype(bool)  # non-strings: NaN → False
        if dirty.any():
            values = values.where(~dirty, values.str.replace(CONTROL, "", regex=True))
            out[column] = values
            if not column.startswith("_src_"):
                rejections.flag(dirty, column, CONTROL_FLAG)
                had |= dirty
        if not column.startswith("_src_"):
            content |= values.str.strip().fillna("").ne("")
    rejections.add(had & ~content, "standardize", None, ONLY_CONTROL)
    return out


def _clean(series: pd.Series) -> pd.Series:
    """Strip whitespace; empty strings become missing."""
    s = series.astype("object").where(series.notna(), None)
    s = s.map(lambda v: v.strip() if isinstance(v, str) else v)
    return s.where(s != "", None)


def _resolve_codes(values: pd.Series, vocab: Vocabulary, code_map: dict | None) -> pd.Series:
    """Map source values to vocabulary codes, once per distinct value."""
    distinct = {v: vocab.resolve(v, code_map) for v in values.dropna().unique()}
    return values.map(lambda v: distinct.get(v) if v is not None else None)


def payload_json(raw: pd.DataFrame) -> pd.Series:
    """The raw record as JSON, kept with every refusal."""
    cols = [c for c in raw.columns if not c.startswith("_src_")]
    records = raw[cols].to_dict("records")
    return pd.Series([json.dumps({k: v for k, v in r.items() if v is not None}, ensure_ascii=False)
                      for r in records], index=raw.index)


def standardize_batch(raw: pd.DataFrame, ctx: SourceContext, rejections: Rejections) -> pd.DataFrame:
    """Canonical columns for every raw row; refusals are recorded in ``rejections``."""
    src = ctx.source
    out = pd.DataFrame(index=raw.index)

    broken = raw["_src_error"].notna() if "_src_error" in raw else pd.Series(False, index=raw.index)
    raw = scrub_controls(raw, rejections)
    rejections.add(broken, "extract", None, raw.get("_src_error"))

    for target, column in (src.get("mapping") or {}).items():
        # a column the data lacks is empty here; conform reports it from the manifest
        out[target] = _clean(raw[column]) if column in raw.columns else None
    # one source column carrying several fields, e.g. a bilingual title "繁體 | English"
    for column, spec in (src.get("splits") or {}).items():
        values = _clean(raw[column]) if column in raw.columns else pd.Series(None, index=raw.index)
        parts = values.str.split(spec["separator"], n=len(spec["fields"]) - 1, regex=False)
        for i, target in enumerate(spec["fields"]):
            out[target] = _clean(parts.str[i])
    # a field written inside another one, e.g. a policy's document number (发文字号) opening its
    # description: the pattern's group, or empty where it does not match
    for target, spec in (src.get("extracts") or {}).items():
        values = _clean(raw[spec["from"]]) if spec["from"] in raw.columns else pd.Series(None, index=raw.index)
        out[target] = _clean(values.str.extract(spec["pattern"], expand=False))
    for target, value in (src.get("constants") or {}).items():
        out[target] = str(value)

    # resource type: a constant or a coded source field
    if "resource_type" in src:
        out["resource_type"] = str(src["resource_type"]).zfill(2)
    else:
        column = src["resource_type_field"]
        raw_type = _clean(raw[column]) if column in raw.columns else pd.Series(None, index=raw.index)
        out["resource_type"] = _resolve_codes(raw_type, ctx.vocabularies["resource_type"],
                                              (src.get("code_maps") or {}).get("resource_type"))
        unknown = raw_type.notna() & out["resource_type"].isna()
        rejections.add(unknown, "standardize", "resource_type",
                       "unknown resource type " + raw_type.fillna("").map(repr) + f" ({column})")

    # code lists: map, and flag (optional) or refuse (mandatory) what the vocabulary does not know
    code_maps = src.get("code_maps") or {}
    for target, vocab_name in CODED_FIELDS.items():
        vocab = ctx.vocabularies.get(vocab_name)
        if target == "resource_type" or target not in out or vocab is None:
            continue
        given = out[target]
        coded = _resolve_codes(given, vocab, code_maps.get(target))
        bad = given.notna() & coded.isna()
        reason = f"not in code list {vocab_name}: " + given.fillna("").map(repr)
        if target == "region":
            rejections.add(bad, "standardize", target, reason)
        else:
            rejections.flag(bad, target, reason)
        out[target] = coded
    # what a record does not say, the source's declared conventions do
    for target, convention in (("region", "region"), ("language", "language"), ("name_lang", "language")):
        default = ctx.conventions.get(convention)
        out[target] = out[target].fillna(default) if target in out else default

    # provenance
    ids = _clean(raw[src["id_field"]]) if src["id_field"] in raw.columns else pd.Series(None, index=raw.index)
    out["src_platform"] = ctx.platform
    out["src_source"] = ctx.name
    out["src_record_id"] = ids
    out["src_location"] = raw["_src_location"] if "_src_location" in raw else None
    out["src_raw_path"] = ctx.raw_path
    out["src_run_id"] = ctx.run_id
    out["record_id"] = f"{ctx.platform}:{ctx.name}:" + ids.fillna("")
    rejections.add(ids.isna(), "standardize", src["id_field"], "missing record id")

    for name in MANDATORY_MAPPED:
        values = out[name] if name in out else pd.Series(None, index=raw.index)
        rejections.add(values.isna(), "standardize", name, f"mandatory field {name} is empty")
    return out

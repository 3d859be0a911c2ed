"""GB/T 30523 core metadata: filled where a rule can fill it, measured, exported.

* :func:`fill` — per standardised batch (conform), elements a source did not publish but a rule
  can give, never invented:

  - ``keywords`` (关键词): extracted by jieba's TF-IDF from the record's own name and description
    (Chinese, English and Portuguese text; Latin-script stop words removed);
  - ``rights`` (使用权限): the platform's declared sharing policy (``gbt30523.sharing_policy`` in
    the source configuration) with the record's sharing mode;
  - ``access_url`` (在线访问地址): the source's record-URL pattern (``gbt30523.record_url``,
    ``{id}`` = the record's id in its source);
  - ``metadata_date`` (元数据更新日期): the run date; the current state (jobs/state) keeps the
    version a source last changed, so in the catalogue it is the day the record entered or last
    changed.

  Each filled value is named in ``gbt_derived`` as ``<field>:<rule>``; a published value is
  never replaced.
* :func:`conformance` — per platform and source, the share of records with no mandatory
  element missing, and the count of records missing each (``report.json``).
* :func:`document` — one golden record as a GB/T 30523 document (element names as keys, the
  CSTR id as 标识符), validated against :func:`bayres.schemas.gbt30523.json_schema`.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache

import pandas as pd

from bayres.schemas import gbt30523 as decl
from bayres.schemas.resource import GOLDEN_RESOURCE

log = logging.getLogger("bayres")

#: keywords kept per record
TOP_K = 5
#: Latin-script words that are no keywords (English and Portuguese function words, generic nouns)
LATIN_STOP = frozenset("""
a an and are as at be by for from in into is it its of on or the to with via using based new
high low o os as um uma uns umas e em no na nos nas do da dos das de para por com ao aos pelo pela que
sobre entre sistema system systems project projecto projeto equipment equipamento
""".split())
_ACCENTED = re.compile(r"[A-Za-z]*[À-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ]*")
_LATIN = re.compile(r"^[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ0-9\-]*$")
#: the rights statement per sharing mode; {policy} is the platform's declared sharing policy
RIGHTS = {
    "open": "开放共享，依据《{policy}》向社会提供使用",
    "conditional": "有条件共享，依据《{policy}》经申请审核后使用",
    "internal": "内部使用，依据《{policy}》暂不对外共享",
    None: "依据《{policy}》共享使用",
}


@lru_cache(maxsize=1)
def _jieba():
    import jieba
    import jieba.analyse

    jieba.setLogLevel(logging.WARNING)
    return jieba.analyse


def keywords(text: str | None, top_k: int = TOP_K) -> str | None:
    """Up to ``top_k`` keywords of ``text`` by jieba TF-IDF, ';'-separated; None for no text."""
    if not text or not text.strip():
        return None
    # jieba reads Latin words in ASCII letters only ("transmissão" → "transmiss"): accented words
    # go in with their accents stripped and come back as written
    originals: dict[str, str] = {}

    def ascii_word(m: re.Match) -> str:
        word = m.group(0)
        plain = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
        originals.setdefault(plain, word)
        return plain
    text = _ACCENTED.sub(ascii_word, text)
    tags = [originals.get(t, t) for t in _jieba().extract_tags(text, topK=top_k * 3)]
    out = []
    for t in tags:
        t = t.strip()
        if not t or t.isdigit():
            continue
        if _LATIN.match(t):
            if len(t) < 3 or t.lower() in LATIN_STOP:
                continue
        elif len(t) < 2:
            continue
        if t.lower() not in (o.lower() for o in out):
            out.append(t)
        if len(out) == top_k:
            break
    return ";".join(out) or None


def _text(rec: pd.DataFrame) -> pd.Series:
    parts = [c for c in ("name", "name_en", "name_pt", "description", "person_field") if c in rec]
    return rec[parts].apply(lambda r: " ".join(str(v) for v in r if isinstance(v, str) and v), axis=1)


def fill(rec: pd.DataFrame, source: dict, run_date: date) -> pd.DataFrame:
    """``rec`` (standardised records of one source) with derivable elements filled and
    ``gbt_derived`` naming each rule used."""
    cfg = source.get("gbt30523") or {}
    derived = pd.Series([[] for _ in range(len(rec))], index=rec.index, dtype=object)

    def mark(mask: pd.Series, entry: str) -> None:
        for i in mask[mask].index:
            derived[i].append(entry)

    def blank(col: str) -> pd.Series:
        if col not in rec:
            rec[col] = None
        return rec[col].isna() | rec[col].astype("string").str.strip().eq("")

    # keywords from the record's own text
    need = blank("keywords")
    if need.any():
        text = _text(rec.loc[need]) if len(rec.loc[need].columns) else pd.Series(dtype=object)
        kw = text.map(keywords)
        rec.loc[need, "keywords"] = kw
        mark(need & rec["keywords"].notna(), "keywords:jieba_tfidf(name,description)")
    # rights from the declared policy and the record's sharing mode
    policy = cfg.get("sharing_policy")
    need = blank("rights")
    if policy and need.any():
        mode = rec["sharing_mode"] if "sharing_mode" in rec else pd.Series(None, index=rec.index)
        rec.loc[need, "rights"] = mode[need].map(
            lambda m: RIGHTS.get(m if m in RIGHTS else None).format(policy=policy))
        mark(need, "rights:sharing_policy+sharing_mode")
    # access URL from the source's record-URL pattern
    pattern = cfg.get("record_url")
    need = blank("access_url") & rec["src_record_id"].notna()
    if pattern and need.any():
        if "{id}" not in pattern:
            raise ValueError(f"source {source.get('platform')}/{source.get('source')}: "
                             f"gbt30523.record_url {pattern!r} has no {{id}}")
        from urllib.parse import quote
        rec.loc[need, "access_url"] = rec.loc[need, "src_record_id"].map(
            lambda i: pattern.replace("{id}", quote(str(i), safe="")))
        mark(need, "access_url:record_url_pattern")
    # metadata date: this run
    rec["metadata_date"] = run_date
    mark(pd.Series(True, index=rec.index), "metadata_date:run_date")
    rec["gbt_derived"] = derived.map(lambda d: ";".join(d) or None)
    return rec


# ---------------------------------------------------------------- measuring
def conformance(records: pd.DataFrame, golden: pd.DataFrame) -> dict:
    """Per platform: ``gbt30523_conformance`` (share of golden records, by the platform of their
    survivor record, with no mandatory element missing), ``missing`` (golden records missing each
    mandatory element), and per source the share of its records conformant.  ``records`` carry
    ``src_platform``, ``src_source`` and ``gbt_missing``; ``golden`` ``survivor_record_id`` and
    ``gbt_missing``."""
    recs = records.groupby(["src_platform", "src_source", "gbt_missing"], dropna=False).size()
    gold = golden.assign(platform=golden["survivor_record_id"].str.split(":").str[0])
    gold = gold.groupby(["platform", "gbt_missing"], dropna=False).size()
    return _from_counts(recs.rename("count").reset_index(), gold.rename("count").reset_index())


def measure(records, golden) -> dict:
    """:func:`conformance` of Spark frames (curated ``resource_record`` and ``golden_resource``):
    the per-row checks run in Spark, only the counts per platform, source and element come back."""
    from pyspark.sql import functions as F

    from bayres.schemas.resource import RESOURCE_RECORD

    gold = (golden.select(F.split("survivor_record_id", ":").getItem(0).alias("platform"),
                          "gbt_missing")
            .groupBy("platform", "gbt_missing").count().toPandas())
    recs = (records.select("src_platform", "src_source",
                           F.expr(decl.missing_sql(RESOURCE_RECORD)).alias("gbt_missing"))
            .groupBy("src_platform", "src_source", "gbt_missing").count().toPandas())
    return _from_counts(recs, gold)


def _from_counts(recs: pd.DataFrame, gold: pd.DataFrame) -> dict:
    """:func:`conformance` from counted rows (a ``count`` column instead of one row each)."""
    req = [f.name for f in decl.required(GOLDEN_RESOURCE)]
    out: dict = {}
    for p, g in gold.groupby("platform"):
        n = int(g["count"].sum())
        ok = int(g.loc[g["gbt_missing"].isna(), "count"].sum())
        missing = {e: 0 for e in req}
        for m, c in zip(g["gbt_missing"], g["count"]):
            for e in (m.split(";") if isinstance(m, str) else []):
                missing[e] = missing.get(e, 0) + int(c)
        out[p] = {"golden_records": n, "gbt30523_conformant": ok,
                  "gbt30523_conformance": round(ok / n, 4) if n else None, "missing": missing}
    for (p, src), r in recs.groupby(["src_platform", "src_source"]):
        n = int(r["count"].sum())
        ok = int(r.loc[r["gbt_missing"].isna(), "count"].sum())
        missing: dict = {}
        for m, c in zip(r["gbt_missing"], r["count"]):
            for e in (m.split(";") if isinstance(m, str) else []):
                missing[e] = missing.get(e, 0) + int(c)
        out.setdefault(p, {}).setdefault("sources", {})[src] = {
            "records": n, "gbt30523_conformance": round(ok / n, 4) if n else None,
            "missing": missing}
    return dict(sorted(out.items()))


# ---------------------------------------------------------------- export
def document(row: dict) -> dict:
    """One golden record as a GB/T 30523 document: element name → value for every element the
    record has, ``derived`` (element → rule) for values BayRes filled."""
    elements = {}
    for f in decl.elements(GOLDEN_RESOURCE):
        v = row.get(f.name)
        if v is None or (isinstance(v, float) and v != v) or str(v).strip() == "":
            continue
        if f.type == "date" and hasattr(v, "isoformat"):
            v = v.date() if isinstance(v, datetime) else v  # pandas reads dates as timestamps
            elements[f.gbt30523] = v.isoformat()
        else:
            elements[f.gbt30523] = str(v)
    by_field = {f.name: f.gbt30523 for f in decl.elements(GOLDEN_RESOURCE)}
    derived = {}
    for entry in (row.get("gbt_derived") or "").split(";"):
        if ":" in entry:
            field, rule = entry.split(":", 1)
            if field in by_field and by_field[field] in elements:
                derived[by_field[field]] = rule
    doc = {"standard": decl.STANDARD, "elements": elements}
    if derived:
        doc["derived"] = derived
    return doc


def governed_document(row: dict, rules, audience: str) -> dict:
    """The document of ``row`` as ``audience`` may see it (conf/governance/rules.yaml, tiers in
    schemas/classification.py): personal elements (contact name, phone, e-mail) withheld, masked
    or pseudonymised as the audience's rules say, named under ``governance``. Validate the
    ungoverned document first: a masked phone is no longer E.164."""
    from ..publish.governance import apply_rows

    full = document(row)
    shown = document(apply_rows(rules, audience, [row], list(row))[0])
    changed = sorted(e for e, v in full["elements"].items() if shown["elements"].get(e) != v)
    shown["governance"] = {"audience": audience, "rule_version": rules.version,
                           "withheld": [e for e in changed if e not in shown["elements"]],
                           "transformed": [e for e in changed if e in shown["elements"]]}
    return shown


def validate(doc: dict) -> None:
    """Raise ``ValueError`` naming the record and element when ``doc`` breaks the schema."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        cstr = doc.get("elements", {}).get("资源标识符")
        detail = "; ".join(f"{'/'.join(map(str, e.path)) or '(document)'}: {e.message}"
                           for e in errors)
        raise ValueError(f"GB/T 30523 document of {cstr} is not valid: {detail}")


@lru_cache(maxsize=1)
def _schema() -> dict:
    return decl.json_schema(GOLDEN_RESOURCE)


def golden_rows(lake_root, run_date: str | None = None, cstr: str | None = None) -> list[dict]:
    """Golden records of the local lake's curated zone (latest run date unless given), all or the
    one with CSTR id ``cstr``."""
    from pathlib import Path

    import duckdb

    base = Path(lake_root) / "curated" / "golden_resource"
    days = sorted(p.name.split("=", 1)[1] for p in base.glob("run_date=*") if p.is_dir())
    if not days:
        raise FileNotFoundError(f"no golden records under {base}: run the pipeline first")
    day = run_date or days[-1]
    if day not in days:
        raise FileNotFoundError(f"no golden records of run date {day} under {base} "
                                f"(there are: {', '.join(days)})")
    con = duckdb.connect()
    sql = f"SELECT * FROM read_parquet('{(base / f'run_date={day}').as_posix()}/*.parquet')"
    params: list = []
    if cstr:
        sql += " WHERE cstr_id = ?"
        params.append(cstr)
    frame = con.execute(sql + " ORDER BY cstr_id", params).fetchdf()
    return [{k: (None if (isinstance(v, float) and v != v) or v is pd.NaT else v)
             for k, v in r.items()} for r in frame.to_dict("records")]

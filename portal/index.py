"""The portal's search index and precomputed statistics: one SQLite file built at publish.

SQLite's FTS5 (Python's standard library) is the full-text engine. One row per golden record:

* ``doc`` — the record's facet and display columns (type, region, owner, sharing mode, dates,
  platforms), ``id`` the FTS rowid;
* ``doc_fts`` — FTS5 (unicode61, diacritics removed; contentless) over four columns:
  ``names`` (the record's own names — Chinese in OpenCC Simplified, the form queries are matched
  in —, English, Portuguese, the institution's names; Chinese characters one token each, so a
  phrase query matches any substring of a name), ``aliases`` (the names as published, their
  Traditional forms, the names its source records were published under), ``keys`` (derived: the
  alias-resolved canonical name, acronyms, pinyin, romanised person names) and ``other`` (owner,
  keywords, model, …); bm25 weighs them 10 : 3 : 4 : 1 and normalises by each column's length,
  so the record whose own name is closest to the query comes first;
* ``doc_key`` — exact keys: identifiers (``id``: CSTR ids, official, patent, credit-code, ORCID,
  serial and grant numbers), names (``name``: the pipeline's name key of every name variant —
  aliases resolved —, English keys, romanised keys) and ``acronym`` (initials derived from an
  English name: City University of Hong Kong is also "CUHK", so below a known alias). Ranking
  puts an identifier hit first, an exact name second, a derived acronym third, then full-text
  hits by bm25, then the CSTR id (:func:`search`);
* ``cstr_registry`` / ``cstr_change`` — the identifier registry (status, successor of merged ids)
  and the id changes of the run, for record pages and redirects;
* ``stat_cube``, ``stat_cross_border``, ``stat_instrument_value`` — the statistics, precomputed.

The file is written beside the serving store under a temporary name and renamed into place, so
a running service switches to the new index between two requests.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import names

SCHEMA_VERSION = 2

DDL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE doc (
    id INTEGER PRIMARY KEY, cstr_id TEXT NOT NULL UNIQUE, resource_type TEXT, region TEXT,
    name TEXT, name_en TEXT, name_pt TEXT, owner_org TEXT, owner_key TEXT, sharing_mode TEXT,
    created_date TEXT, updated_date TEXT, year INTEGER, source_platforms TEXT,
    member_count INTEGER);
CREATE INDEX doc_type_region ON doc (resource_type, region);
CREATE INDEX doc_owner ON doc (owner_key);
CREATE TABLE doc_key (key TEXT NOT NULL, id INTEGER NOT NULL, kind TEXT NOT NULL);
CREATE VIRTUAL TABLE doc_fts USING fts5(names, aliases, keys, other, content='',
    tokenize='unicode61 remove_diacritics 2');
CREATE TABLE cstr_registry (cstr_id TEXT PRIMARY KEY, resource_type TEXT, status TEXT,
    successor_id TEXT, first_run_date TEXT, last_run_date TEXT, members INTEGER);
CREATE TABLE cstr_change (cstr_id TEXT, change TEXT, related_cstr_id TEXT, resource_type TEXT,
    members_before INTEGER, members_after INTEGER, run_date TEXT);
CREATE INDEX cstr_change_id ON cstr_change (cstr_id);
CREATE INDEX cstr_change_related ON cstr_change (related_cstr_id);
CREATE TABLE stat_cube (resource_type TEXT, region TEXT, platform TEXT, year INTEGER,
    records INTEGER, instrument_value_cny REAL, project_amount_cny REAL);
CREATE TABLE stat_cross_border (platforms TEXT, resource_type TEXT, records INTEGER,
    source_records INTEGER);
CREATE TABLE stat_instrument_value (region TEXT, instruments INTEGER, valued INTEGER,
    value_cny REAL);
"""
INDEXES_AFTER_LOAD = "CREATE INDEX doc_key_key ON doc_key (key)"

#: golden-record columns that are identifiers (exact match, ranked first)
ID_FIELDS = ("cstr_id", "cstr", "official_no", "ach_patent_no", "org_credit_code", "person_orcid",
             "inst_serial_no", "proj_number")
#: the names of a record, every script
NAME_FIELDS = ("name", "name_en", "name_pt", "org_name_zh_hans", "org_name_zh_hant", "org_name_en",
               "org_name_pt", "person_name", "person_name_en")
OTHER_FIELDS = ("owner_org", "provider_org", "keywords", "inst_model", "inst_manufacturer",
                "person_affiliation", "person_field", "proj_funder", "ach_holders", "org_parent")
TALENT = "05"
#: research bases and institutions: their names get the matcher's signatures as exact keys
ORGANISATION_TYPES = ("03", "04")
INSTRUMENT = "02"

_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_QUERY_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\W_\u3400-\u9fff\uf900-\ufaff]+")
_ALNUM = re.compile(r"[^0-9A-Za-z]")
_EN_STOP = frozenset({"the"})


def _lower(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in row.items()}


def _spaced(text: str | None) -> str:
    """Chinese characters one token each: '香港科技大学 HKUST' → ' 香  港 … HKUST'."""
    return _CJK_RUN.sub(lambda m: " " + " ".join(m.group(0)) + " ", text) if text else ""


def id_key(value: str | None) -> str | None:
    """The exact key of an identifier: upper-case alphanumerics ('CSTR:ABCDE.02.1' → CSTRABCDE021)."""
    if not value:
        return None
    key = _ALNUM.sub("", str(value)).upper()
    return key or None


def _year(row: Mapping[str, Any]) -> int | None:
    for f in ("created_date", "updated_date"):
        v = row.get(f)
        if v and str(v)[:4].isdigit():
            return int(str(v)[:4])
    return None


def _platforms(row: Mapping[str, Any]) -> list[str]:
    return sorted({p.strip().upper() for p in (row.get("source_platforms") or "").split(",") if p.strip()})


@dataclass
class Document:
    """What the index holds of one golden record (:func:`document`)."""

    cstr_id: str
    names: str
    aliases: str
    keys: str
    other: str
    exact: list[tuple[str, str]] = field(default_factory=list)  # (key, kind)


def name_keys_of(text: str | None, organisation: bool = True) -> list[str]:
    """Exact name keys a name (or a query) produces: the pipeline's name key, the English key,
    and — for an organisation's names and for queries — the matcher's signatures (``sg:``)."""
    out = []
    nk = names.name_key(text)
    if nk:
        out.append("nk:" + nk)
    if text and not names.has_cjk(text):
        ek = names.english_key(text)
        if ek:
            out.append("en:" + ek)
    if organisation:
        out += ["sg:" + s for s in names.org_signatures(text)]
    return out


def document(row: Mapping[str, Any], member_names: Iterable[str] = ()) -> Document:
    """The index's view of a golden record (keys lower-case, as the serving store's columns);
    ``member_names``: the names its source records were published under (lineage)."""
    row = _lower(row)
    own = list(dict.fromkeys(row.get(f) for f in NAME_FIELDS if row.get(f)))
    published = list(dict.fromkeys(own + [n for n in member_names if n]))
    # names: the record's own names, Chinese in Simplified (queries are matched in Simplified),
    # so the column stays as short as the names are and bm25 prefers the closest name;
    # aliases: the names as published (Traditional), their s2hk Traditional forms and the names
    # the source records were published under
    main = list(dict.fromkeys((names.simplified(t) if names.has_cjk(t) else t) or t for t in own))
    aliases: list[str] = []
    for text in published:
        if names.has_cjk(text):
            aliases += [text, names.simplified(text) or "", names.traditional(text) or ""]
        else:
            aliases.append(text)
    aliases = [a for a in dict.fromkeys(aliases) if a and a not in main]
    exact: list[tuple[str, str]] = []
    for f in ID_FIELDS:
        k = id_key(row.get(f))
        if k:
            exact.append((k, "id"))
    derived: list[str] = []
    for text in published:
        for k in name_keys_of(text, organisation=row.get("resource_type") in ORGANISATION_TYPES):
            exact.append((k, "name"))
            if k.startswith("nk:"):  # the alias-resolved canonical name (HKUST → 香港科技大学)
                derived.append(k[3:].replace("|", " "))
        for a in names.acronyms(text):
            exact.append(("ac:" + a, "acronym"))
            derived.append(a)
        syllables = names.pinyin_words(text)
        if syllables:  # syllables, two-syllable words and the whole: 'aomen daxue', 'aomendaxue'
            derived.extend(syllables)
            derived.extend(a + b for a, b in zip(syllables, syllables[1:]))
            derived.append("".join(syllables))
    if row.get("resource_type") == TALENT:
        person = row.get("person_name") or row.get("name")
        person_en = row.get("person_name_en") or row.get("name_en")
        for k in names.romanised_keys(person, person_en):
            exact.append(("ro:" + k, "name"))
            derived.append(k)
    other = " ".join(str(row[f]) for f in OTHER_FIELDS if row.get(f))
    return Document(
        cstr_id=row["cstr_id"],
        names=" ".join(_spaced(v) for v in main),
        aliases=" ".join(_spaced(v) for v in aliases),
        keys=" ".join(_spaced(d) for d in dict.fromkeys(derived)),
        other=_spaced(names.simplified(other) if names.has_cjk(other) else other),
        exact=list(dict.fromkeys(exact)))


# ---------------------------------------------------------------- building
def build(out: Path | str, golden: Iterable[Mapping[str, Any]],
          lineage: Iterable[Mapping[str, Any]] = (), registry: Iterable[Mapping[str, Any]] = (),
          changes: Iterable[Mapping[str, Any]] = (), *, run_date: str | None = None) -> dict:
    """Write the index of ``golden`` (+ lineage platforms, registry, id changes) to ``out``:
    a new file renamed into place. Returns the counts."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + f".building-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    started = time.perf_counter()
    names.warm_up()
    con = sqlite3.connect(tmp)
    try:
        con.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + DDL)
        # lineage: the platforms of each golden record's source records (cross-border links)
        src_platforms: dict[str, Counter] = defaultdict(Counter)
        member_names: dict[str, set] = defaultdict(set)
        for edge in map(_lower, lineage):
            src_platforms[edge["cstr_id"]][str(edge.get("src_platform") or "").upper()] += 1
            if edge.get("name"):
                member_names[edge["cstr_id"]].add(edge["name"])
        cube: Counter = Counter()
        cube_inst: defaultdict = defaultdict(float)
        cube_proj: defaultdict = defaultdict(float)
        cross: Counter = Counter()
        cross_src: Counter = Counter()
        inst: defaultdict = defaultdict(lambda: [0, 0, 0.0])
        n = 0
        batch_doc, batch_fts, batch_key = [], [], []
        for n, raw in enumerate(map(_lower, golden), 1):
            d = document(raw, sorted(member_names.pop(raw["cstr_id"], ())))
            platforms = sorted(src_platforms.get(d.cstr_id) or {}) or _platforms(raw)
            year = _year(raw)
            owner = raw.get("owner_org")
            batch_doc.append((n, d.cstr_id, raw.get("resource_type"), raw.get("region"),
                              raw.get("name"), raw.get("name_en"), raw.get("name_pt"), owner,
                              names.name_key(owner) if owner else None, raw.get("sharing_mode"),
                              _str(raw.get("created_date")), _str(raw.get("updated_date")), year,
                              ",".join(platforms), raw.get("member_count")))
            batch_fts.append((n, d.names, d.aliases, d.keys, d.other))
            batch_key.extend((k, n, kind) for k, kind in d.exact)
            rtype, region = raw.get("resource_type"), raw.get("region")
            value, amount = raw.get("inst_value_cny"), raw.get("proj_amount_cny")
            for p in platforms or [""]:
                k = (rtype, region, p, year)
                cube[k] += 1
                cube_inst[k] += float(value or 0.0)
                cube_proj[k] += float(amount or 0.0)
            if len(platforms) > 1:
                cross[(",".join(platforms), rtype)] += 1
                cross_src[(",".join(platforms), rtype)] += sum(src_platforms[d.cstr_id].values())
            if rtype == INSTRUMENT:
                agg = inst[region]
                agg[0] += 1
                if value is not None:
                    agg[1] += 1
                    agg[2] += float(value)
            if len(batch_doc) >= 5000:
                _flush(con, batch_doc, batch_fts, batch_key)
        _flush(con, batch_doc, batch_fts, batch_key)
        con.executemany("INSERT INTO stat_cube VALUES (?,?,?,?,?,?,?)",
                        [(*k, c, cube_inst[k], cube_proj[k]) for k, c in cube.items()])
        con.executemany("INSERT INTO stat_cross_border VALUES (?,?,?,?)",
                        [(*k, c, cross_src[k]) for k, c in cross.items()])
        con.executemany("INSERT INTO stat_instrument_value VALUES (?,?,?,?)",
                        [(r, *v) for r, v in inst.items()])
        reg = [_lower(r) for r in registry]
        con.executemany("INSERT OR REPLACE INTO cstr_registry VALUES (?,?,?,?,?,?,?)",
                        [(r["cstr_id"], r.get("resource_type"), r.get("status"), r.get("successor_id"),
                          _str(r.get("first_run_date")), _str(r.get("last_run_date")), r.get("members"))
                         for r in reg])
        con.executemany("INSERT INTO cstr_change VALUES (?,?,?,?,?,?,?)",
                        [(r["cstr_id"], r.get("change"), r.get("related_cstr_id"), r.get("resource_type"),
                          r.get("members_before"), r.get("members_after"), _str(r.get("run_date")))
                         for r in map(_lower, changes)])
        con.execute(INDEXES_AFTER_LOAD)
        con.execute("INSERT INTO doc_fts(doc_fts) VALUES ('optimize')")
        con.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("schema_version", str(SCHEMA_VERSION)), ("records", str(n)),
            ("run_date", run_date or ""), ("built_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))])
        con.commit()
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, out)
    return {"index": str(out), "records": n, "registry_ids": len(reg),
            "seconds": round(time.perf_counter() - started, 2)}


def _str(v: Any) -> str | None:
    return None if v is None else str(v)[:10] if hasattr(v, "isoformat") else str(v)


def _flush(con, docs, fts, keys) -> None:
    con.executemany("INSERT INTO doc VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", docs)
    con.executemany("INSERT INTO doc_fts(rowid, names, aliases, keys, other) VALUES (?,?,?,?,?)", fts)
    con.executemany("INSERT INTO doc_key VALUES (?,?,?)", keys)
    docs.clear(), fts.clear(), keys.clear()


def build_from_serving(out: Path | str, serving_db: Path | str, *, registry_uri: str | None = None,
                       changes_uri: str | None = None, run_date: str | None = None) -> dict:
    """The index of the embedded serving store (DuckDB), with the registry snapshot and the id
    changes of the run read from their Parquet directories in the lake (local paths)."""
    import duckdb

    def parquet(uri):
        if not uri:
            return []
        path = uri[len("file://"):] if uri.startswith("file://") else uri
        if not list(Path(path).glob("*.parquet")):
            return []
        return _rows(con.execute(f"SELECT * FROM read_parquet('{path}/*.parquet')"))

    with duckdb.connect(str(serving_db), read_only=True) as con:
        lineage = _rows(con.execute("SELECT CSTR_ID, SRC_PLATFORM, NAME FROM BAYRES_LINEAGE"))
        registry, changes = parquet(registry_uri), parquet(changes_uri)
        golden = _iter_rows(con.execute("SELECT * FROM BAYRES_RESOURCE ORDER BY CSTR_ID"))
        return build(out, golden, lineage, registry, changes, run_date=run_date)


def _rows(cursor) -> list[dict]:
    cols = [d[0] for d in cursor.description]
    return [dict(zip(cols, r)) for r in cursor.fetchall()]


def _iter_rows(cursor) -> Iterator[dict]:
    cols = [d[0] for d in cursor.description]
    while True:
        chunk = cursor.fetchmany(10_000)
        if not chunk:
            return
        for r in chunk:
            yield dict(zip(cols, r))


# ---------------------------------------------------------------- querying
class QueryError(ValueError):
    """A query the index refuses (bad cursor, bad filter): the service answers 400."""


FACETS = ("resource_type", "region", "sharing_mode", "year")
FILTERS = ("resource_type", "region", "sharing_mode")


@dataclass(frozen=True)
class Filters:
    resource_type: str | None = None
    region: str | None = None
    owner: str | None = None
    sharing_mode: str | None = None
    updated_from: str | None = None
    updated_to: str | None = None

    def fingerprint(self, q: str) -> str:
        return hashlib.sha1(json.dumps([q, *self.__dict__.values()]).encode()).hexdigest()[:12]


def connect(path: Path | str) -> sqlite3.Connection:
    """A read-only connection to the index (one per request: cheap, and sees a new index)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no search index at {path} (run the publish stage)")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    con.row_factory = sqlite3.Row
    return con


def _fts_terms(text: str) -> list[str]:
    """FTS5 terms of a query: each run of Chinese characters (Simplified) becomes a phrase of its
    characters, other words quoted tokens — nothing of the query reaches FTS5's syntax unquoted."""
    terms = []
    for m in _QUERY_TOKEN.finditer(text):
        tok = m.group(0)
        if _CJK_RUN.match(tok):
            terms.append('"' + " ".join(names.simplified(tok) or tok) + '"')
        elif tok.lower() not in _EN_STOP:
            terms.append('"' + tok.replace('"', '""') + '"')
    return terms


def query_keys(q: str) -> tuple[list[str], list[str]]:
    """(identifier keys, exact name keys) a query can match."""
    ids = [k for k in [id_key(q)] if k and len(k) >= 4]
    keys = name_keys_of(q)
    if not names.has_cjk(q):
        compact = _ALNUM.sub("", q).upper()
        if 2 <= len(compact) <= 12 and " " not in q.strip():
            keys.append("ac:" + compact)
        rk = names.romanised_query_key(q)
        if rk:
            keys.append("ro:" + rk)
    return ids, keys


def exact_hit(con: sqlite3.Connection, keys: list[str]) -> bool:
    if not keys:
        return False
    return con.execute(f"SELECT 1 FROM doc_key WHERE key IN ({','.join('?' * len(keys))}) LIMIT 1",
                       keys).fetchone() is not None


def _encode_cursor(fp: str, tier: int, score: float, cstr_id: str) -> str:
    raw = json.dumps([fp, tier, score, cstr_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, fp: str) -> tuple[int, float, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        got_fp, tier, score, cstr_id = json.loads(raw)
        if not (isinstance(tier, int) and isinstance(score, (int, float)) and isinstance(cstr_id, str)):
            raise ValueError
    except Exception:
        raise QueryError("cursor: not a cursor this service issued") from None
    if got_fp != fp:
        raise QueryError("cursor: issued for another query or other filters")
    return tier, float(score), cstr_id


def search(con: sqlite3.Connection, q: str, filters: Filters = Filters(), *, limit: int = 20,
           cursor: str | None = None, facets: bool = True) -> dict:
    """One page of the records matching ``q`` (any script) under ``filters``, ranked: identifier
    hit, exact name, full text (bm25), CSTR id; with the total, facet counts and the next cursor."""
    q = names.normalise(q) or ""
    fp = filters.fingerprint(q)
    parts, params = [], []
    if q:
        ids, keys = query_keys(q)
        exact = ids + keys
        if exact:
            marks = ",".join("?" * len(exact))
            parts.append(f"SELECT id, CASE kind WHEN 'id' THEN 0 WHEN 'name' THEN 1 ELSE 2 END AS tier, "
                         f"0.0 AS score "
                         f"FROM doc_key WHERE key IN ({marks})")
            params += exact
        terms = _fts_terms(q)
        if terms:
            parts.append("SELECT rowid AS id, 3 AS tier, bm25(doc_fts, 10.0, 3.0, 4.0, 1.0) AS score "
                         "FROM doc_fts WHERE doc_fts MATCH ?")
            match = " AND ".join(terms)
            if len(terms) > 1 and not exact_hit(con, exact) and not con.execute(
                    "SELECT 1 FROM doc_fts WHERE doc_fts MATCH ? LIMIT 1", (match,)).fetchone():
                match = " OR ".join(terms)  # no record has every word: rank those with most
            params.append(match)
        if not parts:
            return _empty(q)
        hits = ("SELECT id, min(tier) AS tier, min(score) AS score FROM ("
                + " UNION ALL ".join(parts) + ") GROUP BY id")
    else:
        hits = "SELECT id, 3 AS tier, 0.0 AS score FROM doc"
    where, wparams = ["1"], []
    for name in FILTERS:
        value = getattr(filters, name)
        if value:
            where.append(f"d.{name} = ?")
            wparams.append(value)
    if filters.owner:
        key = names.name_key(filters.owner)
        where.append("(d.owner_key = ? OR d.owner_org = ?)")
        wparams += [key, filters.owner]
    if filters.updated_from:
        where.append("d.updated_date >= ?")
        wparams.append(filters.updated_from)
    if filters.updated_to:
        where.append("d.updated_date <= ?")
        wparams.append(filters.updated_to)
    # the matching records once per request, in a temporary table: the page, the total and the
    # facets read it (the full-text match and bm25 run once, not once per facet)
    con.execute("DROP TABLE IF EXISTS temp.hits")
    con.execute(f"CREATE TEMP TABLE hits AS WITH h AS ({hits}) "
                "SELECT h.id, h.tier, h.score, d.cstr_id, " + ", ".join(f"d.{f}" for f in FACETS)
                + f" FROM h JOIN doc d ON d.id = h.id WHERE {' AND '.join(where)}", params + wparams)
    page_where, page_params = "", []
    if cursor:
        tier, score, cstr_id = _decode_cursor(cursor, fp)
        page_where = " WHERE (t.tier, t.score, t.cstr_id) > (?, ?, ?)"
        page_params = [tier, score, cstr_id]
    rows = con.execute(
        "SELECT d.*, t.tier, t.score FROM temp.hits t JOIN doc d ON d.id = t.id" + page_where
        + " ORDER BY t.tier, t.score, t.cstr_id LIMIT ?", page_params + [limit + 1]).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    total = con.execute("SELECT count(*) FROM temp.hits").fetchone()[0]
    out = {"q": q, "total": total, "results": [_hit(r) for r in rows],
           "next_cursor": _encode_cursor(fp, rows[-1]["tier"], rows[-1]["score"], rows[-1]["cstr_id"])
           if more else None, "facets": {}}
    if facets:
        for name in FACETS:
            got = con.execute(f"SELECT {name} AS value, count(*) AS n FROM temp.hits "
                              f"GROUP BY {name} ORDER BY n DESC, value LIMIT 50").fetchall()
            out["facets"][name] = [{"value": None if r["value"] is None else str(r["value"]),
                                    "count": r["n"]} for r in got]
    con.execute("DROP TABLE temp.hits")
    return out


_MATCH = {0: "identifier", 1: "exact_name", 2: "acronym", 3: "full_text"}


def _hit(r: sqlite3.Row) -> dict:
    return {"cstr_id": r["cstr_id"], "name": r["name"], "name_en": r["name_en"],
            "name_pt": r["name_pt"], "resource_type": r["resource_type"], "region": r["region"],
            "owner_org": r["owner_org"], "sharing_mode": r["sharing_mode"],
            "updated_date": r["updated_date"], "source_platforms": r["source_platforms"] or None,
            "match": _MATCH[r["tier"]], "score": round(float(r["score"]), 6)}


def _empty(q: str) -> dict:
    return {"q": q, "total": 0, "results": [], "next_cursor": None,
            "facets": {name: [] for name in FACETS}}


# ---------------------------------------------------------------- ids, statistics, metadata
def id_status(con: sqlite3.Connection, cstr_id: str) -> dict | None:
    row = con.execute("SELECT * FROM cstr_registry WHERE cstr_id = ?", (cstr_id,)).fetchone()
    return dict(row) if row else None


def successor(con: sqlite3.Connection, cstr_id: str, max_hops: int = 20) -> str | None:
    """The active id a merged id leads to (following successors), or None."""
    seen, current = {cstr_id}, cstr_id
    for _ in range(max_hops):
        st = id_status(con, current)
        if st is None or st["status"] == "active":
            return None if current == cstr_id else current
        nxt = st.get("successor_id")
        if not nxt or nxt in seen:
            return None
        seen.add(nxt)
        current = nxt
    return None


def history(con: sqlite3.Connection, cstr_id: str) -> list[dict]:
    rows = con.execute("SELECT * FROM cstr_change WHERE cstr_id = ? OR related_cstr_id = ? "
                       "ORDER BY run_date, cstr_id", (cstr_id, cstr_id)).fetchall()
    return [dict(r) for r in rows]


def has_doc(con: sqlite3.Connection, cstr_id: str) -> bool:
    return con.execute("SELECT 1 FROM doc WHERE cstr_id = ?", (cstr_id,)).fetchone() is not None


CUBE_DIMS = ("resource_type", "region", "platform", "year")


def stats_cube(con: sqlite3.Connection, by: list[str]) -> list[dict]:
    """Counts and CNY sums of the precomputed cube, rolled up to the dimensions ``by``.
    A record published by two platforms counts once under each platform."""
    bad = [b for b in by if b not in CUBE_DIMS]
    if bad:
        raise QueryError(f"by: unknown dimension {bad[0]!r} (one of {', '.join(CUBE_DIMS)})")
    dims = list(dict.fromkeys(by))
    cols = ", ".join(dims)
    select = (cols + ", " if cols else "") + \
        "sum(records) AS records, sum(instrument_value_cny) AS instrument_value_cny, " \
        "sum(project_amount_cny) AS project_amount_cny"
    sql = f"SELECT {select} FROM stat_cube" + (f" GROUP BY {cols} ORDER BY {cols}" if cols else "")
    return [dict(r) for r in con.execute(sql).fetchall()]


def stats_cross_border(con: sqlite3.Connection) -> list[dict]:
    return [dict(r) for r in con.execute(
        "SELECT platforms, resource_type, records, source_records FROM stat_cross_border "
        "ORDER BY records DESC, platforms, resource_type").fetchall()]


def stats_instrument_value(con: sqlite3.Connection) -> list[dict]:
    return [dict(r) for r in con.execute(
        "SELECT region, instruments, valued, value_cny FROM stat_instrument_value "
        "ORDER BY value_cny DESC, region").fetchall()]


def meta(con: sqlite3.Connection) -> dict:
    return {r["key"]: r["value"] for r in con.execute("SELECT key, value FROM meta")}

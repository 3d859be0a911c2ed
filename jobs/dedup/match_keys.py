"""Exact match keys of the dedup stage, as SQL that runs on either engine (jobs/dedup/engine.py).

A record's keys are its strong identifiers (patent number, unified social credit code, ORCID,
instrument serial number, grant number, official number, a published CSTR) and its normalised
name keys (the Simplified, alias-resolved ``name_key`` and the English ``name_en_key``, each with
the companion fields conf/linkage/exact.yaml gives per resource type). Records sharing a key are
linked — except a name key whose records carry two different strong identifiers of one kind
(homonyms: two instruments of one model and owner, two patents of one title and holder): such a
key is *ambiguous* and links nothing; so is one whose records carry two different values of a
field exact.yaml's ``conflicting`` lists for their type (two people of one name at one
affiliation with two e-mail addresses are two people as often as one).  So is, for the types exact.yaml lists under
``romanised_english`` (organisations, people), an English name key whose records carry two
different Chinese name keys: Hong Kong and Macao English names are romanised from the Chinese,
and homophones meet (誠元光電 and 盛源光電 are both "Shing Yuen Optoelectronics Limited"); such
records are left to the probabilistic linkage, which weighs the Chinese names too.  (An event's
or a title's English name is a translation: two Chinese wordings of it are still one.)
"""
from __future__ import annotations

#: strong identifiers: (key prefix, column, normalise to upper-case alphanumerics)
STRONG_KEYS = (
    ("pat", "ach_patent_no", False),
    ("usc", "org_credit_code", False),
    ("orcid", "person_orcid", False),
    ("sn", "inst_serial_no", True),
    ("proj", "proj_number", True),
    ("off", "official_no", True),
    ("cstr", "cstr", False),
)
#: name keys: (key prefix, column) — prefix ``nk`` is the Simplified key, ``en`` the English one
NAME_KEYS = (("nk", "name_key"), ("en", "name_en_key"))


def strong_expr(engine, prefix: str, column: str, alnum: bool) -> str:
    expr = engine.alnum(column) if alnum else column
    if prefix == "off":  # official numbers are unique within a resource type only
        return f"CASE WHEN {column} IS NOT NULL THEN concat_ws('|', resource_type, {expr}) END"
    return expr


def name_expr(name_column: str, rules: dict) -> str:
    """The name key of ``name_column`` joined with the companion fields of the record's type."""
    def key(fields):
        parts = ["resource_type"] + [f"coalesce(CAST({f} AS STRING), '')" for f in
                                     [name_column] + [f for f in fields if f != "name_key"]]
        return f"concat_ws('|', {', '.join(parts)})"

    whens = [f"WHEN resource_type = '{code}' THEN {key(fields)}"
             for code, fields in sorted((rules.get("types") or {}).items())]
    default = key(rules.get("default") or ["name_key"])
    return (f"CASE WHEN {name_column} IS NULL THEN NULL "
            + " ".join(whens) + f" ELSE {default} END")


def keys_sql(engine, records: str, rules: dict) -> str:
    """(record_id, key, strong) for every match key of every record of table ``records``."""
    parts = [(p, strong_expr(engine, p, c, a), True) for p, c, a in STRONG_KEYS]
    parts += [(p, name_expr(c, rules), False) for p, c in NAME_KEYS]
    selects = [f"SELECT record_id, '{p}:' || ({e}) AS key, {'TRUE' if s else 'FALSE'} AS strong "
               f"FROM {records} WHERE ({e}) IS NOT NULL AND ({e}) <> ''" for p, e, s in parts]
    return "\nUNION ALL\n".join(selects)


def ambiguous_sql(engine, records: str, keys: str, rules: dict | None = None) -> str:
    """Name keys shared by records that carry two different strong identifiers of one kind, or
    two different values of a field ``rules["conflicting"]`` lists for their type, and
    English name keys of the types in ``rules["romanised_english"]`` shared by records of two
    different Chinese name keys."""
    ids = ", ".join(f"{strong_expr(engine, p, c, a)} AS {p}" for p, c, a in STRONG_KEYS)
    differ = " OR ".join(f"count(DISTINCT i.{p}) > 1" for p, _, _ in STRONG_KEYS)
    # fields two namesakes of one type rarely share (exact.yaml ``conflicting``): a name key whose
    # records carry two different values of one links nothing exactly
    conflicting = {t: list(fs) for t, fs in sorted(((rules or {}).get("conflicting") or {}).items()) if fs}
    columns = sorted({f for fs in conflicting.values() for f in fs})
    if columns:
        ids += ", " + ", ".join(f"lower(trim(CAST({f} AS STRING))) AS c_{f}" for f in columns)
    for t, fs in conflicting.items():
        differ += (f"\n            OR ((k.key LIKE 'nk:{t}|%' OR k.key LIKE 'en:{t}|%') AND ("
                   + " OR ".join(f"count(DISTINCT i.c_{f}) > 1" for f in fs) + "))")
    romanised = sorted((rules or {}).get("romanised_english") or [])
    if romanised:
        of_type = " OR ".join(f"k.key LIKE 'en:{t}|%'" for t in romanised)
        differ += f"""
            OR (({of_type}) AND count(DISTINCT CASE WHEN {engine.has_han("i.name_key")}
                                                   THEN i.name_key END) > 1)"""
    return f"""
        SELECT k.key FROM {keys} k
        JOIN (SELECT key FROM {keys} GROUP BY key HAVING count(*) > 1) s ON s.key = k.key
        JOIN (SELECT record_id, name_key, {ids} FROM {records}) i ON i.record_id = k.record_id
        WHERE NOT k.strong
        GROUP BY k.key
        HAVING {differ}"""


def linking_sql(keys: str, ambiguous: str) -> str:
    """(record_id, key, strong, kind) of the keys that link: shared by two or more records, not
    ambiguous; kind is strong_id, name_en (English key) or name_key (jobs/dedup/clusters.py)."""
    return f"""
        SELECT k.record_id, k.key, k.strong,
               CASE WHEN k.strong THEN 'strong_id' WHEN k.key LIKE 'en:%' THEN 'name_en'
                    ELSE 'name_key' END AS kind
        FROM {keys} k
        JOIN (SELECT key FROM {keys} GROUP BY key HAVING count(*) > 1) s ON s.key = k.key
        LEFT JOIN {ambiguous} a ON a.key = k.key
        WHERE a.key IS NULL"""

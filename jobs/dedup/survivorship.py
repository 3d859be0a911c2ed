"""Golden record per cluster by the survivorship rules of conf/linkage/survivorship.yaml.

Each golden field takes the first non-null value among its cluster's records ordered by

1. source priority — the field's own platform list, else the default list (platforms not listed
   come last),
2. most recent (``updated_date``, newest first, none last),
3. most complete (more non-null fields first),
4. ``record_id`` (a stable last tie-break).

Fields declared ``together`` come from one record: the first, in the order of the group's first
field, whose first field is not null (an amount never meets another record's currency). The
survivor (``survivor_record_id``, ``is_survivor`` in the lineage) is the first record in the
default order. ``field_sources`` says, as a JSON object, which record each non-null golden field
came from.

The rules become one SQL statement (:func:`golden_sql`) that DuckDB and Spark both run
(jobs/dedup/engine.py), so both engines pick the same values.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bayres.schemas.gbt30523 import DERIVABLE
from bayres.schemas.resource import GOLDEN_RESOURCE

from ..run.config import ConfigError, load_yaml

#: golden fields computed per cluster, not carried from a record
#: GB/T 30523 provenance of filled elements, carried with the elements' own values
DERIVED = "gbt_derived"
CLUSTER_FIELDS = ("cstr_id", "member_count", "source_platforms", "survivor_record_id",
                  "field_sources", "run_date")
#: order positions reserved per platform rank; the recency/completeness rank fills the rest
_RANK_SPAN = 1_000_000_000


@dataclass(frozen=True)
class Rules:
    default: tuple[str, ...]
    fields: dict            # field -> platform priority tuple
    together: tuple         # tuples of fields taken from one record (first field leads)

    @classmethod
    def from_yaml(cls, path: Path) -> "Rules":
        return cls.from_dict(load_yaml(path), source=str(path))

    @classmethod
    def from_dict(cls, doc: dict, source: str = "survivorship rules") -> "Rules":
        carried = set(carried_fields())
        default = tuple(doc.get("default") or ())
        if not default:
            raise ConfigError(f"{source}: `default` platform priority is missing")
        fields = {str(k): tuple(v or ()) for k, v in (doc.get("fields") or {}).items()}
        together = tuple(tuple(g) for g in (doc.get("together") or ()))
        named = list(fields) + [f for g in together for f in g]
        unknown = sorted(set(named) - carried)
        if unknown:
            raise ConfigError(f"{source}: not a golden field taken from records: {', '.join(unknown)}")
        seen = [f for g in together for f in g]
        if len(seen) != len(set(seen)):
            raise ConfigError(f"{source}: a field appears in two `together` groups")
        for group in together:
            for f in group[1:]:
                if f in fields and fields[f] != fields.get(group[0], default):
                    raise ConfigError(f"{source}: {f} is taken together with {group[0]}, "
                                      f"so it cannot have its own priority")
        return cls(default=default, fields=fields, together=together)

    def priority(self, field: str) -> tuple[str, ...]:
        for group in self.together:
            if field in group:
                return self.fields.get(group[0], self.default)
        return self.fields.get(field, self.default)

    def lead(self, field: str) -> str:
        """The field whose non-nullness picks the record ``field`` comes from."""
        for group in self.together:
            if field in group:
                return group[0]
        return field


#: golden flags that hold only if every record of the cluster holds them: a consent given for
#: one record's personal data is not a consent for the others' (conf/governance/rules.yaml)
ALL_MEMBERS_FIELDS = ("consent_cross_border",)


def carried_fields() -> list[str]:
    """Golden fields whose values come from the cluster's records, in GOLDEN_RESOURCE order."""
    from bayres.schemas.resource import RESOURCE_RECORD

    record = set(RESOURCE_RECORD.names)
    return [f.name for f in GOLDEN_RESOURCE.fields if f.name in record and f.name not in CLUSTER_FIELDS]


def _rank_case(platforms: tuple[str, ...]) -> str:
    whens = " ".join(f"WHEN '{p}' THEN {i}" for i, p in enumerate(platforms))
    return f"CAST(CASE src_platform {whens} ELSE {len(platforms)} END AS BIGINT)"


def _json_string(expr: str) -> str:
    """``expr`` as a JSON string literal: backslash and double quote escaped (chr() rather than
    backslashes in SQL literals, which Spark and DuckDB read differently)."""
    bs, dq = "chr(92)", "chr(34)"
    return f"{dq} || replace(replace({expr}, {bs}, {bs} || {bs}), {dq}, {bs} || {dq}) || {dq}"


def golden_sql(engine, members: str, rules: Rules) -> str:
    """One row per cluster of table ``members`` (the records plus ``_cluster``, the cluster's
    smallest record_id, and ``_size``, its number of records): ``_cluster``, the carried golden
    fields, member_count, source_platforms, survivor_record_id, field_sources. (cstr_id and
    run_date are set by the caller.) A cluster of one record takes its values without the
    aggregation — the same values the rules give, cheaper."""
    carried = carried_fields()
    complete = " + ".join(f"(CASE WHEN {c} IS NOT NULL THEN 1 ELSE 0 END)" for c in carried)
    ranked = f"""
        SELECT *, row_number() OVER (PARTITION BY _cluster ORDER BY updated_date DESC NULLS LAST,
                                     _complete DESC, record_id) AS _rank
        FROM (SELECT *, {complete} AS _complete FROM keyed WHERE _size > 1) m"""

    def order(field: str) -> str:
        return f"{_rank_case(rules.priority(field))} * {_RANK_SPAN} + _rank"

    values, sources, single_values, single_sources = [], [], [], []
    for c in carried:
        if c == DERIVED:
            continue
        if c in ALL_MEMBERS_FIELDS:  # true only if every record says so (no value: false)
            values.append(f"bool_and(coalesce({c}, false)) AS {c}")
            sources.append(f"CAST(NULL AS STRING) AS _src_{c}")
            single_values.append(f"coalesce({c}, false) AS {c}")
            single_sources.append(f"CASE WHEN {c} IS NOT NULL THEN _rid_json END AS _src_{c}")
            continue
        lead = rules.lead(c)
        ordered = f"CASE WHEN {lead} IS NOT NULL THEN {order(c)} END"
        values.append(f"min_by({c}, {ordered}) AS {c}")
        sources.append(f"min_by(_rid_json, {ordered}) AS _src_{c}")
        single_values.append(f"CASE WHEN {lead} IS NOT NULL THEN {c} END AS {c}")
        single_sources.append(f"CASE WHEN {lead} IS NOT NULL THEN _rid_json END AS _src_{c}")
    if DERIVED in carried:
        # gbt_derived: per derivable element, the rule entry of the record that element's value
        # was taken from (same order as the element itself), so provenance follows the value
        multi, single = [], []
        for c in (d for d in DERIVABLE if d in carried):
            entry = f"regexp_extract(coalesce({DERIVED}, ''), '(^|;)({c}:[^;]*)', 2)"
            lead = rules.lead(c)
            ordered = f"CASE WHEN {lead} IS NOT NULL THEN {order(c)} END"
            multi.append(f"NULLIF(min_by({entry}, {ordered}), '')")
            single.append(f"CASE WHEN {lead} IS NOT NULL THEN NULLIF({entry}, '') END")
        values.append(f"NULLIF(concat_ws(';', {', '.join(multi)}), '') AS {DERIVED}")
        single_values.append(f"NULLIF(concat_ws(';', {', '.join(single)}), '') AS {DERIVED}")
        sources.append(f"CAST(NULL AS STRING) AS _src_{DERIVED}")
        single_sources.append(f"CAST(NULL AS STRING) AS _src_{DERIVED}")
        # the union's columns follow the carried order
        order_names = [c for c in carried if c != DERIVED] + [DERIVED]
        carried = order_names
    survivor = f"min_by(record_id, {_rank_case(rules.default)} * {_RANK_SPAN} + _rank)"
    aggregated = f"""
        SELECT _cluster, {', '.join(values)}, {', '.join(sources)},
               count(*) AS member_count,
               {engine.sorted_distinct('src_platform')} AS source_platforms,
               {survivor} AS survivor_record_id
        FROM ({ranked}) r
        GROUP BY _cluster
        UNION ALL
        SELECT _cluster, {', '.join(single_values)}, {', '.join(single_sources)},
               CAST(1 AS BIGINT) AS member_count, src_platform AS source_platforms,
               record_id AS survivor_record_id
        FROM keyed WHERE _size = 1"""
    entries = ", ".join(
        f"CASE WHEN {c} IS NOT NULL THEN '\"{c}\":' || _src_{c} END"
        for c in carried if c != DERIVED)
    # the record id as a JSON string, escaped once per record rather than once per field
    return f"""
        WITH keyed AS (SELECT *, {_json_string('record_id')} AS _rid_json FROM {members})
        SELECT _cluster, {', '.join(carried)}, member_count, source_platforms, survivor_record_id,
               '{{' || concat_ws(',', {entries}) || '}}' AS field_sources
        FROM ({aggregated}) a"""

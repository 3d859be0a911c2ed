"""Blocking rules and block purging: a key shared by too many records is no evidence of identity.

A blocking rule pairs every two records that agree on its columns, so a key held by *n* records
makes n(n-1)/2 candidate pairs.  Keys drawn from a small domain — a registration date, a common
name, a model number — are held by more records the more records there are, and their pairs
grow with the square of the data: at 4M generated records the talent rule on the registration
date alone made 3×10⁷ pairs.  Block purging (Papadakis et al., "Blocking and filtering
techniques for entity resolution", ACM Computing Surveys 2020) drops the blocks above a size:
with ``max_block_size: N`` in a type's configuration, a prediction rule's key held by more than
N records of one resource type makes no pairs, so no record is paired more than N-1 times by one
rule and the candidate pairs grow linearly with the records.  The other rules still pair those
records on their own keys; the type's stats report the keys each rule purged.

How it is done: each guarded rule gets a derived column, ``lk_block__<columns>``.  For a rule of
plain columns it holds "1" where the record's block is small enough and NULL where it is purged,
and the rule becomes ``block_on(columns..., guard)`` — NULL never equals NULL, so a purged block
pairs nothing.  For an ``explode`` rule (a record holds several keys) it holds the record's keys
without the purged ones, and the rule explodes that array instead.  Training's EM rules are not
guarded: EM needs the pairs they make; above ``training.em_max_pairs`` it learns from a uniform
sample of them instead (engine.py).

Block sizes are counted per input table: for two linked tables (``link_only``) a block pairs at
most N × N records.
"""
from __future__ import annotations

from dataclasses import dataclass

GUARD_PREFIX = "lk_block__"


@dataclass(frozen=True)
class Rule:
    """One blocking rule of a configuration: equal ``columns`` and one element in common of each
    ``explode`` array column."""

    columns: tuple[str, ...]
    explode: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw) -> "Rule":
        if isinstance(raw, dict):
            return cls(tuple(raw.get("columns") or ()), tuple(raw.get("explode") or ()))
        return cls(tuple(raw))

    @property
    def label(self) -> str:
        """How reports name the rule: its columns joined by '+', exploded ones marked with []."""
        return "+".join(list(self.columns) + [f"{c}[]" for c in self.explode])

    @property
    def guard(self) -> str:
        """The derived column that carries the rule's purge (see the module's docstring)."""
        return GUARD_PREFIX + "__".join(list(self.columns) + list(self.explode))


def guarded_rules(conf) -> list[Rule]:
    """The prediction rules of ``conf`` that block purging applies to (all, with a size set)."""
    return [Rule.parse(r) for r in conf.blocking] if conf.max_block_size else []


def _group_keys(rule: Rule) -> list[str]:
    return ["resource_type", *rule.columns]


def guard_duckdb(table, conf, con):
    """The pyarrow ``table`` with the guard columns of ``conf`` appended, counted by the DuckDB
    connection ``con``; (table, purged keys per rule label).  Same result as :func:`guard_spark`:
    an exploded key list keeps its order, without NULL elements, and becomes NULL when no key
    is left."""
    import pyarrow as pa

    rules = guarded_rules(conf)
    if not rules:
        return table, {}
    cap, purged = int(conf.max_block_size), {}
    needed = sorted({c for r in rules for c in (*_group_keys(r), *r.explode)})
    con.register("guard_rows", table.select(needed).append_column(
        "_pos", pa.array(range(table.num_rows), type=pa.int64())))
    guards = {}
    for rule in rules:
        keys = _group_keys(rule)
        cols = ", ".join(keys)
        complete = " AND ".join(f"{k} IS NOT NULL" for k in keys)
        if not rule.explode:
            guards[rule.guard] = (f"CASE WHEN {complete} AND count(*) OVER (PARTITION BY {cols}) <= {cap} "
                                  f"THEN '1' END")
            purged[rule.label] = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM guard_rows WHERE {complete} "
                                             f"GROUP BY {cols} HAVING count(*) > {cap})").fetchall()[0][0]
            continue
        (col,) = rule.explode  # one exploded column per rule (checked when the configuration loads)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE guard_keys AS
            SELECT * FROM (SELECT _pos, {cols}, unnest({col}) AS _key, generate_subscripts({col}, 1) AS _i
                           FROM guard_rows) WHERE _key IS NOT NULL""")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE guard_big AS
            SELECT {cols}, _key FROM guard_keys GROUP BY {cols}, _key HAVING count(*) > {cap}""")
        purged[rule.label] = con.execute("SELECT count(*) FROM guard_big").fetchall()[0][0]
        on = " AND ".join(f"k.{c} = b.{c}" for c in (*keys, "_key"))
        con.execute(f"""CREATE OR REPLACE TEMP TABLE "guard_{rule.guard}" AS
            SELECT k._pos, list(k._key ORDER BY k._i) AS kept
            FROM guard_keys k ANTI JOIN guard_big b ON {on} GROUP BY k._pos""")
        guards[rule.guard] = f'(SELECT kept FROM "guard_{rule.guard}" g WHERE g._pos = r._pos)'
    out = con.sql(f"SELECT {', '.join(f'{e} AS {c}' for c, e in guards.items())} "
                  f"FROM guard_rows r ORDER BY r._pos").to_arrow_table()
    for column in guards:
        table = table.append_column(column, out[column])
    con.unregister("guard_rows")
    return table, {k: int(v) for k, v in purged.items()}


def guard_spark(df, conf, unique_id: str):
    """The Spark DataFrame ``df`` with the guard columns of ``conf``; (frame, purged keys per
    rule label).  Same result as :func:`guard_duckdb`."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    cap, purged = conf.max_block_size, {}
    for rule in guarded_rules(conf):
        keys = _group_keys(rule)
        complete = F.lit(True)
        for k in keys:
            complete = complete & F.col(k).isNotNull()
        if not rule.explode:
            size = F.count(F.lit(1)).over(Window.partitionBy(*keys))
            df = df.withColumn(rule.guard, F.when(complete & (size <= cap), F.lit("1")))
            purged[rule.label] = (df.where(complete).groupBy(*keys).count()
                                  .where(F.col("count") > cap).count())
            continue
        (col,) = rule.explode
        exploded = df.select(unique_id, *keys, F.explode(col).alias("_key")).where(F.col("_key").isNotNull())
        big = exploded.groupBy(*keys, "_key").count().where(F.col("count") > cap).drop("count")
        purged[rule.label] = big.count()
        kept = (exploded.join(big, on=keys + ["_key"], how="left_anti")
                .groupBy(unique_id).agg(F.collect_list("_key").alias(rule.guard)))
        df = df.join(kept, on=unique_id, how="left")
    return df, purged

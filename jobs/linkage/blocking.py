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
guarded: they are chosen to make few pairs, and EM needs the pairs they make.

Block sizes are counted per input table: for two linked tables (``link_only``) a block pairs at
most N × N records.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

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


def guard_columns(conf) -> dict[str, str]:
    """Derived guard columns of ``conf`` and their kind ("string" or "array")."""
    return {r.guard: "array" if r.explode else "string" for r in guarded_rules(conf)}


def _group_keys(rule: Rule) -> list[str]:
    return ["resource_type", *rule.columns]


def guard_pandas(df: pd.DataFrame, conf) -> tuple[pd.DataFrame, dict[str, int]]:
    """``df`` with the guard columns of ``conf``; (frame, purged keys per rule label)."""
    cap, purged = conf.max_block_size, {}
    for rule in guarded_rules(conf):
        keys = _group_keys(rule)
        if not rule.explode:
            size = df.groupby(keys, dropna=False, sort=False)[keys[0]].transform("size")
            complete = df[keys].notna().all(axis=1)
            df[rule.guard] = pd.Series("1", index=df.index).where(size.le(cap) & complete, None)
            big = (size > cap) & complete
            purged[rule.label] = int(df.loc[big, keys].drop_duplicates().shape[0])
            continue
        (col,) = rule.explode  # one exploded column per rule (checked when the configuration loads)
        exploded = df[keys + [col]].explode(col).dropna(subset=[col])
        counts = exploded.groupby(keys + [col], dropna=False, sort=False).size()
        big = set(counts[counts > cap].index)
        purged[rule.label] = len(big)
        prefix = list(zip(*[df[k].tolist() for k in keys]))
        df[rule.guard] = [
            (None if values is None else [v for v in values if (*p, v) not in big] or None) if big else values
            for p, values in zip(prefix, df[col].tolist())]
    return df, purged


def guard_spark(df, conf, unique_id: str):
    """The Spark DataFrame ``df`` with the guard columns of ``conf``; (frame, purged keys per
    rule label).  Same result as :func:`guard_pandas`."""
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

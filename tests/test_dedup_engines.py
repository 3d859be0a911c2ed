"""The dedup stage gives identical outputs on DuckDB (local profile) and Spark (cluster profile):
on the crafted records of test_dedup (with a test double of jobs/dedup/linkage and steward decisions)
and on the generated sample's standardized zone."""
from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from bayres.jobs.run.config import DEFAULT_CONF, load_yaml
from bayres.jobs.dedup.stage import deduplicate
from bayres.jobs.dedup.engine import DuckDBEngine, SparkEngine, local_path
from bayres.jobs.run.context import RunContext
from bayres.jobs.dedup.survivorship import Rules
from bayres.schemas.derive_spark import spark_schema
from bayres.schemas.resource import RESOURCE_RECORD

try:
    from tests.conftest import RUN_DATE
    from tests.test_dedup import ROWS, as_table, fixed_linker, record
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from conftest import RUN_DATE
    from test_dedup import ROWS, as_table, fixed_linker, record

CONF = DEFAULT_CONF / "linkage"
OUTPUTS = {"records": "record_id", "golden": "cstr_id", "lineage": "record_id"}


def dedup_on(engine, *, linker=None, decisions=None, day=date(2026, 11, 1)):
    return deduplicate(engine, agency="GBA01", run_date=day, rules=load_yaml(CONF / "exact.yaml"),
                       survivorship=Rules.from_yaml(CONF / "survivorship.yaml"),
                       guard=load_yaml(CONF / "clusters.yaml"), linker=linker, decisions=decisions)


def normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """One representation per value: engines hand dates to pandas as datetime64 or date, nulls
    as None or NaN."""
    def value(v):
        if v is None or v is pd.NaT or (isinstance(v, float) and v != v):
            return None
        if hasattr(v, "isoformat"):
            return v.isoformat()[:10]
        return v.item() if hasattr(v, "item") else v
    return frame.astype(object).apply(lambda col: col.map(value))


def assert_same(a, b):
    for name, key in OUTPUTS.items():
        left = a.frame(name).sort_values(key, ignore_index=True)
        right = b.frame(name).sort_values(key, ignore_index=True)
        assert list(left.columns) == list(right.columns), name
        assert len(left) == len(right) > 0, name
        left, right = normalised(left), normalised(right)
        pd.testing.assert_frame_equal(left, right, check_dtype=False, obj=name)
    pd.testing.assert_frame_equal(a.changes, b.changes, check_dtype=False)
    assert a.giant_clusters == b.giant_clusters and a.ambiguous_keys == b.ambiguous_keys
    pairs = [normalised(r.review_pairs.sort_values(["record_id_l", "record_id_r"], ignore_index=True))
             for r in (a, b)]
    pd.testing.assert_frame_equal(*pairs, check_dtype=False)


def test_crafted_records_identical(spark):
    rows = ROWS + [record("sz:o:5", "sz", "04", "港科大", name="港科大", description='say "hi" \\ there'),
                   record('sz:o:"6\\', "sz", "04", "科大", name="科大")]  # JSON-escaped in field_sources
    linker = fixed_linker([("gz:o:1", "sz:o:5", "04", 0.97), ("gz:o:2", 'sz:o:"6\\', "04", 0.6)])
    decisions = pd.DataFrame({"record_id_l": ["gz:i:1"], "record_id_r": ["gz:i:2"], "decision": ["match"]})
    duck = DuckDBEngine()
    duck.register("dedup_records", as_table(rows))
    sparkling = SparkEngine(spark)
    sparkling.register("dedup_records", spark.createDataFrame(as_table(rows).to_pandas(),
                                                              spark_schema(RESOURCE_RECORD)))

    def spark_linker(records):  # the spark backend gets a Spark DataFrame
        assert records.count() == len(rows)
        return linker(as_table(rows))

    a = dedup_on(duck, linker=linker, decisions=decisions)
    b = dedup_on(sparkling, linker=spark_linker, decisions=decisions)
    assert_same(a, b)
    sources = [json.loads(text) for text in a.frame("golden")["field_sources"]]
    assert {"name": 'sz:o:"6\\', "region": 'sz:o:"6\\'}.items() <= \
        next(s for s in sources if s["name"] != "gz:o:1" and s["name"].startswith("sz:o:")).items()
    assert a.frame("lineage")["match_rule"].value_counts().to_dict() == \
        {"singleton": 4, "strong_id": 2, "name_key": 7, "probabilistic": 1, "review": 2}


@pytest.mark.slow
def test_sample_identical(spark, runs, local_profile):
    """The standardized zone of the e2e run (generated sample, seed 7) through both engines."""
    zone = RunContext(profile=local_profile, run_date=RUN_DATE).zone("standardized")
    duck = DuckDBEngine()
    duck.read_parquet("dedup_records", zone)
    sparkling = SparkEngine(spark)
    sparkling.read_parquet("dedup_records", zone)
    a, b = dedup_on(duck, day=RUN_DATE), dedup_on(sparkling, day=RUN_DATE)
    assert_same(a, b)
    assert a.frame("golden")["member_count"].max() > 1
    assert local_path(zone).is_dir()

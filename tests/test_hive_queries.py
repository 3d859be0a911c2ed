"""The analyst query library (``hive/queries/*.sql``) against a real HiveServer2.

The pipeline (the ``runs`` fixture) writes the Hive tables through the suite's Spark session;
with ``BAYRES__SPARK__METASTORE_URI=thrift://127.0.0.1:9083`` that session shares the standalone
metastore of ``tests/servers/`` with HiveServer2 (Spark's Thrift server). Every query of the
library is then run through PyHive against HiveServer2 and compared, exactly, with the same
question answered independently in pandas over the tables read through the Spark session —
expected results on the sample data are computed here, never frozen. One query also runs
through the shipped beeline; HiveServer2 must see exactly the partitions the pipeline wrote,
with the row counts of the run report.

The static checks (every file has its header, every parameter is documented) and the
``hive/hive-server.sh`` checks that need no server run without the servers.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

try:
    from tests import server_endpoints as ep
    from tests.conftest import RUN_DATE
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    import server_endpoints as ep
    from conftest import RUN_DATE

REPO = Path(__file__).resolve().parent.parent
QUERIES = REPO / "hive" / "queries"
HIVE_SERVER_SH = REPO / "hive" / "hive-server.sh"
TABLES = ("resource_record", "golden_resource", "record_lineage", "quarantine", "quality_score",
          "cstr_change", "record_change")
#: the run report's tables (jobs/ops/assessment.py), written by the report step
RUN_TABLES = ("run_stage", "platform_assessment")
DAY = RUN_DATE.isoformat()
MAINLAND, SAR = {"gz", "sz"}, {"hk", "mo"}
VAR = re.compile(r"\$\{hivevar:([A-Za-z_][A-Za-z0-9_]*)\}")


# ---------------------------------------------------------------- the library, statically
def query_files() -> dict[str, Path]:
    return {p.stem: p for p in sorted(QUERIES.glob("*.sql"))}


def split_query(path: Path) -> tuple[str, str]:
    """(header comment, statement without comments and the trailing ';')."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = "\n".join(line for line in lines if line.startswith("--"))
    body = "\n".join(line for line in lines if not line.lstrip().startswith("--")).strip()
    return header, body.rstrip(";").strip()


def documented_parameters(header: str) -> set[str]:
    """Names listed under ``Parameters:`` in a query's header (``none`` → empty set)."""
    block = re.search(r"^-- Parameters:(.*?)^-- [A-Z][a-z]+:", header, re.S | re.M)
    assert block, "header has no Parameters: section followed by another section"
    names = set()
    for line in block.group(1).splitlines():
        text = line.lstrip("-").strip()
        m = re.match(r"([a-z_][a-z0-9_]*)\s", text + " ")
        if m and m.group(1) != "none":
            names.add(m.group(1))
    return names


def test_every_query_has_a_header_and_documents_its_parameters():
    files = query_files()
    assert len(files) >= 7, files
    for name, path in files.items():
        header, body = split_query(path)
        assert header.startswith(f"-- {name}.sql — "), name
        for section in ("Answers:", "Parameters:", "Reads:", "Returns:", "Usage:"):
            assert f"-- {section}" in header, (name, section)
        assert set(VAR.findall(body)) == documented_parameters(header), name
        # one statement per file; only ${hivevar:…} references (the documented convention)
        assert ";" not in body.replace("';'", ""), name
        assert len(re.findall(r"\$\{", body)) == len(VAR.findall(body)), name
        # no quote or ';' in comments: some beeline versions mis-split files on them
        assert not re.search(r"[';\"]", header), name
        assert "bayres." in body, name


def test_every_query_is_checked_against_pandas():
    assert set(query_files()) == set(EXPECTED), "add the new query to EXPECTED in this file"


# ---------------------------------------------------------------- values, compared exactly
def norm(v):
    """One representation per value on both sides (PyHive rows, pandas frames)."""
    if v is None or v is pd.NaT:
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):  # numpy scalars
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()[:10]
    return v


def rows_of(records) -> list[tuple]:
    return [tuple(norm(v) for v in r) for r in records]


def sort_key(row):
    return tuple((v is None, type(v).__name__, v if v is not None else 0) for v in row)


def assert_same_rows(actual, expected, name, ordered=False):
    actual, expected = rows_of(actual), rows_of(expected)
    if not ordered:
        actual, expected = sorted(actual, key=sort_key), sorted(expected, key=sort_key)
    if actual != expected:
        missing = [r for r in expected if r not in actual][:5]
        extra = [r for r in actual if r not in expected][:5]
        pytest.fail(f"{name}: {len(actual)} rows from HiveServer2, {len(expected)} expected;\n"
                    f"expected, not returned: {missing}\nreturned, not expected: {extra}",
                    pytrace=False)


def cny(value) -> Decimal:
    """What CAST(double AS DECIMAL(20,2)) gives: the decimal text of the double, half-up."""
    return Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def share(part, whole) -> Decimal:
    """What CAST(part / whole AS DECIMAL(9,6)) gives: the library's shares, rounded as an analyst
    reads them (0.000742, never 7.42E-4)."""
    return Decimal(repr(float(part) / float(whole))).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def on_day(frame, day=DAY):
    return frame[frame["run_date"].map(norm) == day]


# ---------------------------------------------------------------- the expected answers, in pandas
# Each function gets {table: DataFrame of the whole table} and the query's parameters and
# returns (columns, rows) — columns in the order the query returns them.
def exp_resources_by_region_type(t, run_date):
    g = on_day(t["golden_resource"], run_date)
    by = g.groupby(["region", "resource_type"]).agg(resources=("cstr_id", "size"),
                                                    source_records=("member_count", "sum"))
    by = by.reset_index()
    region_total = by.groupby("region")["resources"].transform("sum")
    type_total = by.groupby("resource_type")["resources"].transform("sum")
    rows = [(r.region, r.resource_type, int(r.resources), int(r.source_records),
             share(r.resources, rt), share(r.resources, tt), share(r.resources, len(g)))
            for r, rt, tt in zip(by.itertuples(), region_total, type_total)]
    return (["region", "resource_type", "resources", "source_records", "share_of_region",
             "share_of_type", "share_of_catalogue"], rows)


def exp_instrument_value_by_owner(t, run_date, top_n):
    g = on_day(t["golden_resource"], run_date)
    r = on_day(t["resource_record"], run_date)[["record_id", "owner_org_key"]]
    inst = g[(g["resource_type"] == "02") & g["inst_value_cny"].notna() & g["owner_org"].notna()]
    inst = inst.merge(r, how="left", left_on="survivor_record_id", right_on="record_id")
    owners: dict[str, dict] = {}
    for row in inst.itertuples():
        key = row.owner_org_key if isinstance(row.owner_org_key, str) else row.owner_org
        o = owners.setdefault(key, {"names": set(), "values": []})
        o["names"].add(row.owner_org)
        o["values"].append(cny(row.inst_value_cny))
    rows = [(key, " | ".join(sorted(o["names"])), len(o["values"]), sum(o["values"], Decimal(0)),
             max(o["values"])) for key, o in owners.items()]
    rows.sort(key=lambda x: (-x[3], x[0]))
    return (["owner_key", "owner_names", "instruments", "total_value_cny", "max_value_cny"],
            rows[:int(top_n)])


def _platforms(value) -> set[str]:
    return set(value.split(",")) if isinstance(value, str) else set()


def exp_cross_border_resources(t, run_date):
    g = on_day(t["golden_resource"], run_date)
    per_type = g.groupby("resource_type").size()
    rows = []
    for (rtype, platforms), n in g.groupby(["resource_type", "source_platforms"]).size().items():
        p = _platforms(platforms)
        if p & MAINLAND and p & SAR:
            rows.append((rtype, platforms, int(n), int(per_type[rtype]), share(n, per_type[rtype])))
    return (["resource_type", "source_platforms", "resources", "type_resources", "share_of_type"],
            rows)


def exp_merge_rate_by_platform(t, run_date):
    lin = on_day(t["record_lineage"], run_date)
    members = lin.groupby("cstr_id").size()
    platforms = lin.groupby("cstr_id")["src_platform"].nunique()
    rows = []
    for platform, part in lin.groupby("src_platform"):
        n, golden = len(part), part["cstr_id"].nunique()
        merged = int((part["cstr_id"].map(members) > 1).sum())
        rule = part["match_rule"].value_counts()
        rows.append((platform, n, golden, n - golden, int(part["is_survivor"].astype(bool).sum()),
                     merged, int((part["cstr_id"].map(platforms) > 1).sum()),
                     int(rule.get("singleton", 0)), int(rule.get("strong_id", 0)),
                     int(rule.get("name_key", 0)), share(merged, n)))
    return (["src_platform", "records", "golden_resources", "duplicates_within_platform",
             "survivors", "merged_records", "merged_across_platforms", "singleton", "strong_id",
             "name_key", "merge_rate"], rows)


def exp_quarantine_reasons(t, run_date):
    q = on_day(t["quarantine"], run_date).copy()
    q["reason_kind"] = q["reason"].str.replace(r"[0-9][0-9.,]*", "<n>", regex=True)
    per_platform = q.groupby("src_platform").size()
    rows = []
    for (platform, stage, field, kind), part in q.groupby(
            ["src_platform", "stage", "field", "reason_kind"], dropna=False):
        rows.append((platform, stage, field, kind, len(part), part["src_source"].nunique(),
                     min(part["reason"]), share(len(part), per_platform[platform])))
    return (["src_platform", "stage", "field", "reason_kind", "records", "sources",
             "example_reason", "share_of_platform"], rows)


def exp_gbt30523_nonconformant(t, run_date):
    g = on_day(t["golden_resource"], run_date)
    rows = []
    for r in g[g["gbt_missing"].notna()].itertuples():
        platform, source = r.survivor_record_id.split(":")[:2]
        for element in r.gbt_missing.split(";"):
            rows.append((platform, source, element, r.cstr_id, r.resource_type, r.name,
                         r.gbt_missing))
    return (["src_platform", "src_source", "element", "cstr_id", "resource_type", "name",
             "elements_missing"], sorted(rows, key=lambda x: x[:4]))


def exp_quality_scores_over_time(t, from_date, to_date):
    s = t["quality_score"].copy()
    s["day"] = s["run_date"].map(norm)
    s = s[(s["day"] >= from_date) & (s["day"] <= to_date)].sort_values(["src_platform", "day", "run_id"])
    s["score_change"] = s["score"] - s.groupby("src_platform")["score"].shift()
    cols = ["src_platform", "run_date", "run_id", "records", "completeness", "validity",
            "uniqueness", "timeliness", "score", "score_change"]
    return cols, list(s[cols].itertuples(index=False, name=None))


def exp_platform_assessment_over_time(t, from_date, to_date):
    a = t["platform_assessment"].copy()
    a["day"] = a["run_date"].map(norm)
    a = a[(a["day"] >= from_date) & (a["day"] <= to_date)].sort_values(["src_platform", "day", "run_id"])
    a["failure_rate_change"] = a["failure_rate"] - a.groupby("src_platform")["failure_rate"].shift()
    stages = t["run_stage"]
    failed = {}
    for row in stages[stages["status"] == "failed"].itertuples():
        failed.setdefault((row.run_id, norm(row.run_date)), []).append(row.stage)
    a["failed_stages"] = [",".join(sorted(failed[k])) if k in failed else None
                          for k in zip(a["run_id"], a["day"])]
    cols = ["src_platform", "run_date", "run_id", "extracted", "quarantined", "failure_rate",
            "failure_rate_change", "sources_delivered", "sources", "service_quality", "availability",
            "service_failure_rate", "error_rate", "latency_p95_ms", "satisfaction", "quality_score",
            "gbt30523_conformance", "published", "stages_failed", "failed_stages"]
    return cols, list(a[cols].itertuples(index=False, name=None))


def exp_resource_lineage(t, run_date, cstr_id):
    lin = on_day(t["record_lineage"], run_date)
    rec = on_day(t["resource_record"], run_date)
    gold = on_day(t["golden_resource"], run_date)
    lin = lin[lin["cstr_id"] == cstr_id]
    out = lin.merge(rec[["record_id", "src_source", "src_record_id", "name", "name_lang",
                         "owner_org", "region", "src_location"]], how="left", on="record_id")
    out = out.merge(gold[["cstr_id", "name"]].rename(columns={"name": "golden_name"}),
                    how="left", on="cstr_id")
    out["is_survivor"] = out["is_survivor"].astype(bool)
    out = out.sort_values(["is_survivor", "record_id"], ascending=[False, True])
    cols = ["cstr_id", "golden_name", "record_id", "src_platform", "src_source", "src_record_id",
            "name", "name_lang", "owner_org", "region", "match_rule", "is_survivor", "src_location"]
    return cols, list(out[cols].itertuples(index=False, name=None))


def exp_cstr_history(t, cstr_id, to_date):
    c = t["cstr_change"].copy()
    c["day"] = c["run_date"].map(norm)
    c = c[((c["cstr_id"] == cstr_id) | (c["related_cstr_id"] == cstr_id)) & (c["day"] <= to_date)]
    c["role"] = ["self" if x == cstr_id else "related" for x in c["cstr_id"]]
    c = c.sort_values(["day", "role", "cstr_id"], ascending=[True, False, True])
    cols = ["run_date", "cstr_id", "change", "related_cstr_id", "resource_type", "members_before",
            "members_after", "role"]
    return cols, list(c[cols].itertuples(index=False, name=None))


def exp_table_row_counts(t):
    rows = []
    for table in TABLES:
        for day, n in t[table]["run_date"].map(norm).value_counts().items():
            rows.append((table, day, int(n)))
    return ["table_name", "run_date", "row_count"], rows


EXPECTED = {
    "resources_by_region_type": exp_resources_by_region_type,
    "instrument_value_by_owner": exp_instrument_value_by_owner,
    "cross_border_resources": exp_cross_border_resources,
    "merge_rate_by_platform": exp_merge_rate_by_platform,
    "quarantine_reasons": exp_quarantine_reasons,
    "quality_scores_over_time": exp_quality_scores_over_time,
    "platform_assessment_over_time": exp_platform_assessment_over_time,
    "resource_lineage": exp_resource_lineage,
    "cstr_history": exp_cstr_history,
    "table_row_counts": exp_table_row_counts,
    "gbt30523_nonconformant": exp_gbt30523_nonconformant,
}
#: queries whose ORDER BY is a total order: HiveServer2's row order is checked too
ORDERED = {"instrument_value_by_owner", "quality_scores_over_time", "resource_lineage",
           "platform_assessment_over_time", "cstr_history"}


# ---------------------------------------------------------------- HiveServer2 fixtures
def _require_shared_metastore(profile) -> None:
    """The pipeline's Spark session must use HiveServer2's metastore, or HS2 cannot see its tables."""
    uri = str(profile.get("spark.metastore_uri") or "")
    if uri.rstrip("/") == ep.HIVE_METASTORE_URI.rstrip("/"):
        return
    why = (f"the test session's Spark metastore is {uri or 'embedded Derby'}, not HiveServer2's "
           f"{ep.HIVE_METASTORE_URI}: set BAYRES__SPARK__METASTORE_URI={ep.HIVE_METASTORE_URI}")
    if os.environ.get("BAYRES_REQUIRE_SERVERS", "").strip() in ("1", "true", "yes"):
        pytest.fail(why, pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="module")
def pipeline(request, local_profile):
    """The pipeline's reports and its tables (read through the suite's Spark session) — only
    once HiveServer2 is known to be reachable and to share the session's metastore."""
    ep.require("hiveserver2")
    pytest.importorskip("pyhive.hive")
    _require_shared_metastore(local_profile)
    first, _, second, _ = request.getfixturevalue("runs")
    spark = request.getfixturevalue("spark")
    db = local_profile.get("spark.hive_database")
    tables = {t: spark.table(f"{db}.{t}").toPandas() for t in TABLES + RUN_TABLES}
    return {"reports": (first, second), "tables": tables, "db": db, "spark": spark}


def hs2(sql: str, **hivevars):
    """Run one statement on HiveServer2 through PyHive; the parameters go in as Hive variables
    (the session configuration ``set:hivevar:<name>``, exactly what ``beeline --hivevar`` sends)."""
    from pyhive import hive

    conn = hive.connect(host=ep.HIVESERVER2_HOST, port=ep.HIVESERVER2_PORT, username="bayres",
                        configuration={f"set:hivevar:{k}": str(v) for k, v in hivevars.items()})
    try:
        cur = conn.cursor()
        cur.execute(sql)
        columns = [d[0].split(".")[-1] for d in cur.description]
        return columns, cur.fetchall()
    finally:
        conn.close()


def run_library_query(name: str, **params):
    """The file as an analyst sends it through a driver: comments included, no final ';'."""
    return hs2((QUERIES / f"{name}.sql").read_text(encoding="utf-8").strip().rstrip(";"), **params)


def check_query(pipeline, name, **params):
    columns, rows = run_library_query(name, **params)
    exp_columns, exp_rows = EXPECTED[name](pipeline["tables"], **params)
    assert columns == exp_columns, name
    assert_same_rows(rows, exp_rows, name, ordered=name in ORDERED)
    return rows


def lineage_cases(tables) -> dict[str, str]:
    g = on_day(tables["golden_resource"]).sort_values(["member_count", "cstr_id"],
                                                      ascending=[False, True])
    cross = g[g["source_platforms"].map(lambda p: bool(_platforms(p) & MAINLAND and _platforms(p) & SAR))]
    return {"largest": g["cstr_id"].iloc[0], "cross_border": cross["cstr_id"].iloc[0],
            "singleton": g[g["member_count"] == 1]["cstr_id"].iloc[0],
            "unknown": "CSTR:GBA01.99.DOES-NOT-EXIST"}


# ---------------------------------------------------------------- tests against HiveServer2
@pytest.mark.servers
@pytest.mark.slow
def test_hiveserver2_sees_exactly_the_partitions_the_pipeline_wrote(pipeline):
    spark, db = pipeline["spark"], pipeline["db"]
    for table in TABLES:
        _, rows = hs2(f"SHOW PARTITIONS {db}.{table}")
        seen = sorted(r[0] for r in rows)
        written = sorted(r[0] for r in spark.sql(f"SHOW PARTITIONS {db}.{table}").collect())
        assert seen == written == [f"run_date={DAY}"], table


@pytest.mark.servers
@pytest.mark.slow
def test_row_counts_through_hiveserver2_equal_the_run_report(pipeline):
    rows = check_query(pipeline, "table_row_counts")
    counts = {(table, day): n for table, day, n in rows_of(rows)}
    for report in pipeline["reports"]:
        stages = report["stages"]
        # resource_record, record_lineage, quarantine (load); golden_resource (publish)
        expected = {name: info["rows"] for name, info in stages["load"]["hive"].items()}
        expected["golden_resource"] = stages["publish"]["hive"]["rows"]
        expected["quality_score"] = len(stages["quality"]["scores"])
        assert expected["record_lineage"] == stages["dedup"]["records"]
        assert expected["golden_resource"] == stages["dedup"]["golden"]
        assert {t: counts[(t, DAY)] for t in TABLES} == expected
    accounting = pipeline["reports"][1]["accounting"]
    assert counts[("resource_record", DAY)] == sum(r["standardized"] for r in accounting.values())


@pytest.mark.servers
@pytest.mark.slow
@pytest.mark.parametrize("name", ["resources_by_region_type", "cross_border_resources",
                                  "merge_rate_by_platform", "quarantine_reasons",
                                  "gbt30523_nonconformant"])
def test_run_date_queries_match_pandas(pipeline, name):
    rows = check_query(pipeline, name, run_date=DAY)
    # the sample is ≥ 95 % GB/T 30523-conformant, not 100 %: some records lack an element
    assert rows, f"{name} returned nothing on the sample"
    # another day has no partition: no rows, no error
    assert run_library_query(name, run_date="1999-01-01")[1] == []


@pytest.mark.servers
@pytest.mark.slow
@pytest.mark.parametrize("top_n", [5, 100000])
def test_instrument_value_by_owner_matches_pandas(pipeline, top_n):
    rows = check_query(pipeline, "instrument_value_by_owner", run_date=DAY, top_n=top_n)
    assert rows and isinstance(rows[0][3], Decimal)
    if top_n == 5:
        assert len(rows) == 5
    else:  # every owner: instruments and value add up to the golden instruments
        g = on_day(pipeline["tables"]["golden_resource"])
        inst = g[(g["resource_type"] == "02") & g["owner_org"].notna() & g["inst_value_cny"].notna()]
        assert sum(r[2] for r in rows) == len(inst)
        # the matching key folds scripts and abbreviations of one owner together
        assert len(rows) <= inst["owner_org"].nunique()


@pytest.mark.servers
@pytest.mark.slow
@pytest.mark.parametrize("window", [(DAY, DAY), ("2000-01-01", "2999-12-31"), ("1999-01-01", "1999-12-31")])
def test_quality_scores_over_time_matches_pandas(pipeline, window):
    rows = check_query(pipeline, "quality_scores_over_time", from_date=window[0], to_date=window[1])
    if window[0] <= DAY <= window[1]:
        assert {r[0] for r in rows} == {"gz", "sz", "hk", "mo"}
    else:
        assert rows == []


@pytest.mark.servers
@pytest.mark.slow
@pytest.mark.parametrize("window", [(DAY, DAY), ("2000-01-01", "2999-12-31"), ("1999-01-01", "1999-12-31")])
def test_platform_assessment_over_time_matches_pandas(pipeline, window):
    rows = check_query(pipeline, "platform_assessment_over_time", from_date=window[0], to_date=window[1])
    if window[0] <= DAY <= window[1]:
        ours = [r for r in rows_of(rows) if r[2] == pipeline["reports"][1]["run_id"]]
        # one row per platform for the day, even though the day ran twice (same run id)
        assert sorted(r[0] for r in ours) == ["gz", "hk", "mo", "sz"]
        accounting = pipeline["reports"][1]["accounting"]
        for r in ours:
            assert (r[3], r[4]) == (accounting[r[0]]["extracted"], accounting[r[0]]["quarantined"])
            assert r[-3] is True and r[-2] == 0 and r[-1] is None  # published, nothing failed
    else:
        assert rows == []


@pytest.mark.servers
@pytest.mark.slow
def test_resource_lineage_matches_pandas(pipeline):
    for case, cstr_id in lineage_cases(pipeline["tables"]).items():
        rows = check_query(pipeline, "resource_lineage", run_date=DAY, cstr_id=cstr_id)
        if case == "unknown":
            assert rows == []
            continue
        assert rows and rows[0][11] is True, case  # survivor first
        assert sum(1 for r in rows if r[11]) == 1, case
        assert all(r[6] and r[5] for r in rows), case  # every record has its source id and name
        if case == "cross_border":
            assert {r[3] for r in rows} & MAINLAND and {r[3] for r in rows} & SAR


@pytest.mark.servers
@pytest.mark.slow
def test_cstr_history_matches_pandas(pipeline):
    cases = lineage_cases(pipeline["tables"])
    for case, cstr_id in cases.items():
        rows = check_query(pipeline, "cstr_history", cstr_id=cstr_id, to_date=DAY)
        if case == "unknown":
            assert rows == []
            continue
        assert [r[1:3] for r in rows] == [(cstr_id, "new")], case  # the sample's first run issues it
        assert check_query(pipeline, "cstr_history", cstr_id=cstr_id, to_date="1999-12-31") == []


@pytest.mark.servers
@pytest.mark.slow
def test_a_query_without_its_parameters_fails(pipeline):
    """An unset ${hivevar:…} is left in the text: the query must fail, not answer something."""
    for name, path in query_files().items():
        header, body = split_query(path)
        if not VAR.findall(body):
            continue
        with pytest.raises(Exception, match="INVALID_TYPED_LITERAL|PARSE_SYNTAX_ERROR|ParseException"):
            hs2(body)


def _beeline(query: str, columns: list[str], **hivevars) -> list[dict]:
    """Run a library file with pyspark's shipped beeline (-f, --hivevar, csv2 output).

    Beeline 2.3 echoes its (silent, so "null") prompt once per line of a -f file, without a
    newline, just before the header; and its csv2 quotes with NUL unless
    ``-Ddisable.quoting.for.sv=false``. Both handled here, as hive/README.md tells analysts."""
    import pyspark

    spark_home = os.environ.get("SPARK_HOME") or os.path.dirname(pyspark.__file__)
    cmd = [os.path.join(spark_home, "bin", "beeline"),
           "-u", f"jdbc:hive2://{ep.HIVESERVER2_HOST}:{ep.HIVESERVER2_PORT}/default", "-n", "bayres",
           "--silent=true", "--showHeader=true", "--outputformat=csv2"]
    for k, v in hivevars.items():
        cmd += ["--hivevar", f"{k}={v}"]
    cmd += ["-f", str(QUERIES / f"{query}.sql")]
    env = dict(os.environ, SPARK_HOME=spark_home, LC_ALL="C.UTF-8",
               JAVA_TOOL_OPTIONS="-Ddisable.quoting.for.sv=false -Dfile.encoding=UTF-8")
    proc = subprocess.run(cmd, capture_output=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")[-3000:]
    out = proc.stdout.decode("utf-8")
    header = ",".join(columns)
    at = out.find(header)
    assert at >= 0, out[:2000]
    assert re.fullmatch(r"[\rnul \n]*", out[:at]), repr(out[:at])  # only the echoed prompts
    # quoted values may span lines (reasons quoting a broken raw row): let csv read them whole
    rows = csv.DictReader(io.StringIO(out[at:].replace("\r", ""), newline=""))
    # and drop the prompts beeline echoes after the result ("null   null")
    return [r for r in rows
            if not re.fullmatch(r"[\rnul \n]*", "".join(v or "" for v in r.values()))]


def _text(v) -> str:
    """How beeline's csv2 prints a value."""
    v = norm(v)
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return str(v).lower()
    return str(v)


@pytest.mark.servers
@pytest.mark.slow
def test_beeline_runs_library_files_with_hivevars(pipeline):
    tables = pipeline["tables"]
    # numbers, NULL fields and reasons with commas (CSV quoting)
    columns, expected = exp_quarantine_reasons(tables, run_date=DAY)
    got = _beeline("quarantine_reasons", columns, run_date=DAY)
    assert got and list(got[0]) == columns
    key = lambda r: (r["src_platform"], r["stage"], r["field"], r["reason_kind"])  # noqa: E731
    exp = sorted((dict(zip(columns, map(_text, r))) for r in expected), key=key)
    got = sorted(got, key=key)
    assert len(got) == len(exp)
    for g, e in zip(got, exp):
        assert float(g.pop("share_of_platform")) == float(e.pop("share_of_platform"))
        assert g == e
    # Chinese names as published, two parameters
    cstr_id = lineage_cases(tables)["cross_border"]
    columns, expected = exp_resource_lineage(tables, run_date=DAY, cstr_id=cstr_id)
    got = _beeline("resource_lineage", columns, run_date=DAY, cstr_id=cstr_id)
    assert [list(r.values()) for r in got] == [[_text(v) for v in r] for r in expected]
    assert list(got[0]) == columns


# ---------------------------------------------------------------- hive/hive-server.sh, no server
def _script(*args, home):
    # the script follows the run's overrides (a standalone metastore among them): none here
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BAYRES__SPARK__", "BAYRES_HIVE_SERVER_"))}
    env["BAYRES_HOME"] = str(home)
    return subprocess.run(["bash", str(HIVE_SERVER_SH), *args], capture_output=True, text=True,
                          env=env, timeout=60)


def test_hive_server_script_without_a_local_run(tmp_path):
    assert subprocess.run(["bash", "-n", str(HIVE_SERVER_SH)]).returncode == 0
    status = _script("status", home=tmp_path)
    assert status.returncode == 3 and "not running" in status.stdout
    start = _script("start", home=tmp_path)  # no metastore_db yet: refuses, starts nothing
    assert start.returncode != 0 and "make run" in start.stderr
    assert not (tmp_path / "hive-server" / "hive-server.pid").exists()
    assert _script("stop", home=tmp_path).returncode == 0
    usage = _script("bogus", home=tmp_path)
    assert usage.returncode == 2 and "start|stop|status" in usage.stderr

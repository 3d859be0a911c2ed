"""End to end on the local profile: generate a small sample, run every stage twice, check the
record accounting, de-duplication against the generator's ground truth, and idempotence."""
from __future__ import annotations

import json
import pandas as pd
import pytest

from bayres.jobs.dedup.evaluate import GENERATOR_FX_TOLERANCE, pairwise_scores

pytestmark = pytest.mark.slow


def _truth(sample) -> pd.DataFrame:
    truth = pd.read_csv(sample / "truth" / "records.csv", dtype=str, keep_default_na=False)
    truth["record_id"] = truth["platform"] + ":" + truth["source"] + ":" + truth["src_record_id"]
    return truth


def test_every_record_is_accounted_for(runs, sample):
    report = runs[0]
    assert report["balanced"], report["accounting"]
    assert set(report["accounting"]) == {"gz", "sz", "hk", "mo"}
    for platform, row in report["accounting"].items():
        assert row["extracted"] > 0, platform
        assert row["extracted"] == row["standardized"] + row["quarantined"], platform
    total = sum(r["extracted"] for r in report["accounting"].values())
    assert total == len(_truth(sample))


def test_quarantine_holds_the_bad_records_with_reasons(runs, sample):
    truth = _truth(sample)
    quarantine = runs[1]["quarantine"]
    assert quarantine["reason"].notna().all() and (quarantine["reason"] != "").all()
    assert quarantine["src_location"].notna().all()
    refused = set(quarantine["src_platform"] + "|" + quarantine["src_location"])
    expected = truth[truth["expect_quarantine"].str.lower() == "true"]
    assert len(expected) > 0
    # every record the generator made bad on purpose is refused (matched by id where it has one)
    quarantined_ids = set(quarantine["src_platform"] + ":" + quarantine["src_source"] + ":"
                          + quarantine["src_record_id"].fillna(""))
    missing = [r for r in expected["record_id"] if r not in quarantined_ids]
    broken = expected[expected["defect"] == "broken_row"]
    assert len(missing) <= len(broken), missing[:10]
    assert len(refused) == len(quarantine)


def test_calibrated_values_match_ground_truth(runs, sample):
    truth = _truth(sample).set_index("record_id")[["true_value_cny", "true_phone_e164"]]
    records = runs[1]["resource_record"].set_index("record_id")
    joined = records.join(truth, how="inner")
    assert len(joined) > 0.9 * len(records)
    cny = joined[joined["true_value_cny"] != ""]
    value = cny["inst_value_cny"].fillna(cny["proj_amount_cny"]).astype(float)
    # the generator prices with its own rates, not the calibrator's (evaluate.GENERATOR_FX_TOLERANCE)
    true = cny["true_value_cny"].astype(float)
    foreign = cny["inst_currency"].fillna(cny["proj_currency"]).fillna("CNY") != "CNY"
    close = (value - true).abs() <= true * foreign.map({True: GENERATOR_FX_TOLERANCE, False: 0.0}) + 1
    assert close.mean() >= 0.99, cny[~close].head()
    assert foreign.sum() > 50 and (~foreign).sum() > 50
    phones = joined[(joined["true_phone_e164"] != "") & joined["contact_phone"].notna()]
    assert len(phones) > 0
    assert (phones["contact_phone"] == phones["true_phone_e164"]).mean() >= 0.99


def test_dedup_against_ground_truth(runs, sample):
    truth = _truth(sample)
    lineage = runs[1]["record_lineage"]
    scores = pairwise_scores(lineage[["record_id", "cstr_id"]], truth[["record_id", "entity_id"]])
    # floors of exact plus probabilistic matching on this small sample (the benchmarks measure more)
    assert scores["precision"] >= 0.97, scores
    assert scores["recall"] >= 0.60, scores
    # the run report scores the stage against the sample's truth (evaluation.truth), per type too
    reported = runs[2]["stages"]["dedup"]["accuracy"]
    assert {k: reported[k] for k in scores} == scores
    assert set(reported["per_type"]) == set(truth["resource_type"])
    for rtype, group in truth.groupby("resource_type"):
        assert reported["per_type"][rtype] == pairwise_scores(
            lineage[["record_id", "cstr_id"]], group[["record_id", "entity_id"]]), rtype
    golden = runs[1]["golden_resource"]
    assert golden["cstr_id"].is_unique
    assert golden["cstr_id"].str.match(r"^CSTR:[A-Za-z0-9]{5}\.[0-9]{2}\..+$").all()
    assert (golden["member_count"] >= 1).all()
    assert golden["member_count"].sum() == len(lineage)


def test_rerunning_the_day_changes_nothing(runs):
    first, snap1, second, snap2 = runs
    assert first["accounting"] == second["accounting"]
    for table in snap1:
        a, b = snap1[table], snap2[table]
        assert len(a) == len(b), table
        key = [c for c in ("cstr_id", "record_id", "src_location", "src_platform", "CSTR_ID") if c in a]
        a = a.sort_values(key).reset_index(drop=True)
        b = b.sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=table)
    assert snap1["golden_resource"]["cstr_id"].is_unique


def test_report_written_and_outputs_exist(runs, local_profile):
    report = runs[2]
    path = report["outputs"]["run report"]
    saved = json.loads(open(path, encoding="utf-8").read())
    assert saved["run_id"] == report["run_id"]
    assert report["stages"]["publish"]["published"] is True
    assert report["stages"]["quality"]["success"] is True
    assert local_profile.path("serving.path").exists()


def test_a_critical_quality_failure_stops_publication(runs, spark, local_profile, tmp_path):
    """Golden records with a broken CSTR id for another day: quality says why, nothing is published."""
    import shutil
    from datetime import date

    from bayres.jobs.run.pipeline import run_publish, run_quality
    from bayres.jobs.run.context import RunContext

    bad_day, good = date(2026, 11, 2), RunContext(profile=local_profile, run_date=date(2026, 11, 1))
    ctx = RunContext(profile=local_profile, run_date=bad_day)
    lake = local_profile.path("lake.root")
    for src in local_profile.sources:  # the same raw data, another day
        shutil.copytree(lake / "raw" / src["platform"] / src["source"] / "2026-11-01",
                        lake / "raw" / src["platform"] / src["source"] / bad_day.isoformat())
    for table in ("resource_record", "record_lineage"):
        shutil.copytree(lake / "curated" / table / "run_date=2026-11-01",
                        lake / "curated" / table / f"run_date={bad_day}")
    golden = runs[1]["golden_resource"].copy()
    golden.loc[golden.index[:3], "cstr_id"] = "not-a-cstr"
    out = lake / "curated" / "golden_resource" / f"run_date={bad_day}"
    out.mkdir(parents=True)
    golden.to_parquet(out / "part-0.parquet", index=False)

    run_quality(ctx, spark)
    run_publish(ctx, spark)
    quality, publish = ctx.stages["quality"], ctx.stages["publish"]
    assert quality["success"] is False
    assert any("golden" in f and "cstr_id" in f for f in quality["critical_failures"])
    assert publish["published"] is False and publish["why_not"] == quality["critical_failures"]
    db = local_profile.get("spark.hive_database")
    days = {r.run_date for r in spark.table(f"{db}.golden_resource").select("run_date").distinct().collect()}
    assert days == {good.run_date}  # the bad day was not published


def test_the_command_line_run_of_make_run(tmp_path, own_home_env):
    """``make run``'s own path: ``bayres generate`` then ``bayres run`` as processes, with no
    session handed in — the run starts its Spark session itself (in the background, beside the
    first stages).  The suite's other runs are given the suite's session and never take it."""
    import subprocess
    import sys
    from pathlib import Path

    bayres = str(Path(sys.executable).with_name("bayres"))
    env = own_home_env  # a home of its own (tmp_path), the embedded metastore, not the suite's servers
    subprocess.run([bayres, "generate", "--seed", "7", "--scale", "600"], env=env, check=True,
                   capture_output=True)
    done = subprocess.run([bayres, "run", "--date", "2026-11-03"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads((tmp_path / "reports" / "local-2026-11-03" / "report.json").read_text(encoding="utf-8"))
    assert report["status"] == "ok" and report["balanced"] and report["stages"]["publish"]["published"]
    assert sorted(report["hive"]) == ["platform_assessment", "run_stage"]
    assert report["hive"]["run_stage"]["rows"] == 7  # the six data stages and logs

"""The review queue round trip (jobs/dedup/review_queue.py): uncertain pairs exported as CSV, a steward's
decisions read back on the next run as overrides; bad decision files are refused clearly."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from bayres.jobs.dedup.review_queue import DecisionError, pairs_columns, read_decisions, write_queue

try:
    from tests.test_dedup import ROWS, fixed_linker, record, run
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from test_dedup import ROWS, fixed_linker, record, run

DAY = date(2026, 11, 1)
EXTRA = [record("sz:o:5", "sz", "04", "港科大", name="港科大"),
         record("sz:o:6", "sz", "04", "科大", name="科大", owner_org="?")]
#: TEST DOUBLE of jobs/dedup/linkage: two uncertain pairs, one accepted
LINKER = fixed_linker([("gz:o:1", "sz:o:5", "04", 0.7), ("gz:o:2", "sz:o:6", "04", 0.6),
                       ("gz:i:1", "gz:i:2", "02", 0.95)])


def test_round_trip(tmp_path):
    first = run(ROWS + EXTRA, linker=LINKER)
    written = write_queue(tmp_path / DAY.isoformat(), first.review_pairs, first.review_clusters)
    assert written["pairs_to_review"] == 2
    queue = pd.read_csv(written["pairs"], dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(queue.columns) == pairs_columns()
    assert (queue["decision"] == "").all()
    assert queue.loc[0, "name_r"] in ("港科大", "科大")  # Chinese text survives the CSV (UTF-8 BOM for Excel)
    lineage = first.frame("lineage").set_index("record_id")
    assert lineage.loc["gz:i:1", "cstr_id"] == lineage.loc["gz:i:2", "cstr_id"]  # accepted pair

    # the steward decides: the two org pairs match / do not, and the accepted pair is wrong
    queue["decision"] = queue["record_id_r"].map({"sz:o:5": "match", "sz:o:6": "no_match"})
    queue["reviewer"], queue["decided_at"] = "steward", "2026-11-01T16:00:00"
    decided = tmp_path / "decisions"
    decided.mkdir()
    queue.to_csv(decided / "batch1.csv", index=False, encoding="utf-8-sig")
    pd.DataFrame({"record_id_l": ["gz:i:2"], "record_id_r": ["gz:i:1"], "decision": ["no_match"],
                  "reviewer": ["lead"], "decided_at": ["2026-11-01"]}).to_csv(decided / "b2.csv", index=False)

    decisions = read_decisions(tmp_path, as_of=DAY)
    assert list(zip(decisions["record_id_l"], decisions["record_id_r"], decisions["decision"])) == [
        ("gz:i:1", "gz:i:2", "no_match"), ("gz:o:1", "sz:o:5", "match"), ("gz:o:2", "sz:o:6", "no_match")]
    second = run(ROWS + EXTRA, linker=LINKER, decisions=decisions)
    lineage = second.frame("lineage").set_index("record_id")
    assert lineage.loc["sz:o:5", "cstr_id"] == lineage.loc["gz:o:1", "cstr_id"]
    assert lineage.loc["sz:o:5", "match_rule"] == "review"
    assert lineage.loc["sz:o:6", "cstr_id"] != lineage.loc["gz:o:2", "cstr_id"]
    assert lineage.loc["gz:i:1", "cstr_id"] != lineage.loc["gz:i:2", "cstr_id"]  # override of Splink
    assert second.review_pairs.empty  # decided pairs are not asked again


def test_latest_decision_wins_and_future_ones_wait(tmp_path):
    decided = tmp_path / "decisions"
    decided.mkdir()
    pd.DataFrame({"record_id_l": ["a", "b", "a"], "record_id_r": ["b", "a", "c"],
                  "decision": ["match", "No_Match", "match"], "reviewer": ["x", "y", "z"],
                  "decided_at": ["2026-10-01", "2026-10-02T09:00", "2026-11-05"]}) \
        .to_csv(decided / "d.csv", index=False)
    got = read_decisions(tmp_path, as_of=DAY)
    assert got[["record_id_l", "record_id_r", "decision", "reviewer"]].values.tolist() == \
        [["a", "b", "no_match", "y"]]
    assert len(read_decisions(tmp_path, as_of=date(2026, 11, 5))) == 2
    assert read_decisions(tmp_path / "nothing-here", as_of=DAY).empty


@pytest.mark.parametrize("rows, message", [
    ({"record_id_l": ["a"], "record_id_r": ["b"], "decision": ["maybe"], "reviewer": ["x"],
      "decided_at": ["2026-10-01"]}, r"d\.csv, line 2 \(pair a / b\), field decision: 'maybe'"),
    ({"record_id_l": ["a"], "record_id_r": ["b"], "decision": ["match"], "reviewer": ["x"],
      "decided_at": ["yesterday"]}, r"line 2 .*field decided_at"),
    ({"record_id_l": ["a"], "record_id_r": ["a"], "decision": ["match"], "reviewer": ["x"],
      "decided_at": ["2026-10-01"]}, r"field record_id_l/record_id_r"),
    ({"record_id_l": ["a"], "record_id_r": ["b"], "decision": ["match"]}, r"d\.csv: missing column"),
])
def test_bad_decisions_name_file_line_and_field(tmp_path, rows, message):
    decided = tmp_path / "decisions"
    decided.mkdir()
    pd.DataFrame(rows).to_csv(decided / "d.csv", index=False)
    with pytest.raises(DecisionError, match=message):
        read_decisions(tmp_path, as_of=DAY)


def test_giant_clusters_listed_beside_the_pairs(tmp_path):
    rows = [record(f"gz:s:{i:03d}", "gz", "11", f"题名{i}", ach_patent_no="CN9") for i in range(5)]
    r = run(rows, guard={"max_cluster_size": 4})
    written = write_queue(tmp_path, r.review_pairs, r.review_clusters)
    listed = pd.read_csv(written["giant_clusters"], dtype=str, encoding="utf-8-sig")
    assert len(listed) == 5 and listed["cstr_id"].nunique() == 1
    # the next run's queue without giant clusters removes the stale file
    written = write_queue(tmp_path, r.review_pairs, r.review_clusters.iloc[0:0])
    assert "giant_clusters" not in written and not (tmp_path / "giant_clusters.csv").exists()

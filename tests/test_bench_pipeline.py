"""tests/bench/pipeline_run.py's figures: the file and field names the speed issue's check reads
(``.bench/pipeline_vs_copy_<scale>.json``: pipeline_seconds, copy_seconds, ratio), medians of
the rounds, written after every round; the floor job finds every raw directory."""
from __future__ import annotations

import json

from tests.bench import pipeline_run, record
from tests.bench.plain_copy import raw_dirs


def _round(i, pipeline, copy):
    return {"round": i, "pipeline_seconds": pipeline, "copy_seconds": copy, "ratio": pipeline / copy,
            "load_average_before": [1.0, 1.0, 1.0], "load_average_after": [2.0, 2.0, 2.0],
            "stage_seconds": {"conform": 10.0 * i}}


def test_vs_copy_file_has_the_checked_fields_and_medians(tmp_path, monkeypatch):
    monkeypatch.setattr(record, "BENCH_DIR", tmp_path)
    rows = [_round(1, 100.0, 40.0)]
    doc = json.loads(pipeline_run.write_vs_copy(5000, 5020, 3, rows).read_text())
    assert doc["name"] == "pipeline_vs_copy_5000" and doc["rounds_done"] == 1
    assert (doc["pipeline_seconds"], doc["copy_seconds"], doc["ratio"]) == (100.0, 40.0, 2.5)
    rows += [_round(2, 130.0, 50.0), _round(3, 90.0, 45.0)]
    path = pipeline_run.write_vs_copy(5000, 5020, 3, rows)
    assert path == tmp_path / "pipeline_vs_copy_5000.json"
    doc = json.loads(path.read_text())
    assert (doc["pipeline_seconds"], doc["copy_seconds"], doc["ratio"]) == (100.0, 45.0, 2.22)
    assert doc["stage_seconds"] == {"conform": 10.0}  # the first round's run, not a later one
    assert doc["load_average"] == {"before": [1.0, 1.0, 1.0], "after": [2.0, 2.0, 2.0]}
    assert doc["machine"]["cpus"] >= 1


def test_rounds_where_affordable_and_the_raw_directories_of_the_copy(tmp_path):
    assert pipeline_run.default_rounds(5000) == 3 and pipeline_run.default_rounds(1_000_000) == 1
    for source in ("gz/patents", "hk/talent"):
        day = tmp_path / "raw" / source / "2026-11-01"
        day.mkdir(parents=True)
        (day / "part-0.parquet").write_bytes(b"")
        (day / "_manifest.json").write_text("{}")
    assert [p.relative_to(tmp_path / "raw").as_posix() for p in raw_dirs(tmp_path / "raw")] == \
        ["gz/patents/2026-11-01", "hk/talent/2026-11-01"]

"""The profile's ``linkage.duckdb`` bounds reach both DuckDB users of the dedup stage."""
from __future__ import annotations

import pytest

from bayres.jobs.run.config import load_profile
from bayres.jobs.dedup.stage import duckdb_settings, engine_for
from bayres.jobs.run.duckdb_connection import connect
from bayres.jobs.dedup.linkage.backends import backend_for


def _setting(con, name: str) -> str:
    return con.execute(f"SELECT current_setting('{name}')").fetchone()[0]


def test_memory_limit_threads_and_spill_folder(tmp_path):
    con = connect({"memory_limit": "512MB", "temp_directory": str(tmp_path / "spill"), "threads": 1})
    assert _setting(con, "memory_limit") == "488.2 MiB"
    assert _setting(con, "threads") == 1
    assert _setting(con, "temp_directory") == (tmp_path / "spill").as_posix()
    assert (tmp_path / "spill").is_dir()


def test_a_size_duckdb_would_misread_is_refused():
    with pytest.raises(ValueError, match="memory_limit must be a size such as 8GB, not '75%'"):
        connect({"memory_limit": "75%"})


def test_the_profile_bounds_the_stage_engine_and_splink(tmp_path, monkeypatch):
    monkeypatch.setenv("BAYRES_HOME", str(tmp_path))
    monkeypatch.setenv("BAYRES__LINKAGE__DUCKDB__MEMORY_LIMIT", "256MB")
    settings = duckdb_settings(load_profile("local"))
    assert settings["memory_limit"] == "256MB"
    assert settings["temp_directory"] == str((tmp_path / "duckdb-tmp").resolve())
    stage = engine_for("duckdb", duckdb=settings)
    assert _setting(stage.con, "memory_limit") == "244.1 MiB"
    splink_con = backend_for("duckdb", duckdb_settings=settings).db_api()._con
    assert _setting(splink_con, "memory_limit") == _setting(stage.con, "memory_limit")
    assert _setting(splink_con, "temp_directory") == settings["temp_directory"]

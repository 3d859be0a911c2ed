"""The local serving store's publication (connectors/serving_duckdb.py): each store is written
aside and renamed in, so a portal process holding the published file open neither blocks the
publication nor sees half of it, and a failed publication leaves the store it found."""
from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from bayres.connectors.serving_duckdb import _replace_store

READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("SELECT a FROM t").fetchone()[0], flush=True)
sys.stdin.readline()                       # hold the store open until told
print(con.execute("SELECT a FROM t").fetchone()[0], flush=True)
"""


def _fill(value: int):
    return lambda con: con.execute(f"CREATE TABLE t AS SELECT {value} AS a")


def _read(path) -> int:
    out = subprocess.run([sys.executable, "-c", "import sys, duckdb; print(duckdb.connect(sys.argv[1], "
                          "read_only=True).execute('SELECT a FROM t').fetchone()[0])", str(path)],
                         capture_output=True, text=True, check=True)
    return int(out.stdout)


def test_a_store_is_replaced_while_another_process_reads_it(tmp_path):
    path = tmp_path / "serving.duckdb"
    _replace_store(path, _fill(1))
    reader = subprocess.Popen([sys.executable, "-c", READER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "1"
        # a writer opening the published file itself would need its lock, which the reader holds
        with pytest.raises(duckdb.IOException):
            duckdb.connect(str(path))
        _replace_store(path, _fill(2))
        assert _read(path) == 2                              # a new reader sees the new store
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "1"       # the open one, the old one, whole
    finally:
        reader.kill()
        reader.wait()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["serving.duckdb"]


def test_a_failed_publication_leaves_the_store_it_found(tmp_path):
    path = tmp_path / "serving.duckdb"
    _replace_store(path, _fill(1))

    def broken(con):
        _fill(3)(con)
        raise RuntimeError("killed half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        _replace_store(path, broken)
    assert _read(path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["serving.duckdb"]
    # an aside file a killed run left behind is discarded by the next publication
    (tmp_path / "serving.duckdb.new").write_bytes(b"partial")
    _replace_store(path, _fill(4))
    assert _read(path) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["serving.duckdb"]

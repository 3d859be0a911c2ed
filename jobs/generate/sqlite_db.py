"""The platforms' embedded relational databases (``<platform>/<platform>_platform.sqlite``) and
copying them into another database through SQLAlchemy (MariaDB/MySQL in the cluster tests).
"""
from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import sqlalchemy as sa


def db_path(out_dir: Path, platform: str) -> Path:
    return Path(out_dir) / platform / f"{platform}_platform.sqlite"


class SqliteTable:
    """Append-only writer of one platform table; connections are shared per database file."""

    def __init__(self, out_dir: Path, dbs: dict, platform: str, table: str,
                 columns: tuple[tuple[str, str], ...], key: str) -> None:
        path = db_path(out_dir, platform)
        if path not in dbs:
            path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(path)
            con.execute("PRAGMA journal_mode=OFF")
            con.execute("PRAGMA synchronous=OFF")
            dbs[path] = con
        self.con = dbs[path]
        self.table = table
        self.columns = columns
        cols = ",\n  ".join(f'"{c}" {t}{" PRIMARY KEY" if c == key else ""}' for c, t in columns)
        self.con.execute(f'CREATE TABLE "{table}" (\n  {cols}\n)')
        marks = ",".join("?" * len(columns))
        self.insert = f'INSERT INTO "{table}" VALUES ({marks})'
        self.rows = 0
        self.rel = str(path.relative_to(out_dir))

    def write(self, cols: dict[str, list], broken: list[bool]) -> list[str]:
        assert list(cols) == [c for c, _ in self.columns], f"{self.table}: columns disagree"
        rows = list(zip(*cols.values()))
        self.con.executemany(self.insert, rows)
        self.con.commit()
        first = self.rows
        self.rows += len(rows)
        return [f"table {self.table} row {first + i + 1}" for i in range(len(rows))]

    def close(self) -> list[str]:
        return [self.rel]


def close_databases(dbs: dict) -> None:
    for con in dbs.values():
        con.commit()
        con.close()
    dbs.clear()


# ------------------------------------------------------------------------- copy elsewhere
_TYPE = re.compile(r"^\s*(\w+)\s*(?:\((\d+)(?:\s*,\s*(\d+))?\))?", re.I)


def _sa_type(declared: str):
    m = _TYPE.match(declared or "TEXT")
    name, a, b = m.group(1).upper(), m.group(2), m.group(3)
    if name in ("INTEGER", "INT", "BIGINT"):
        return sa.BigInteger()
    if name in ("DECIMAL", "NUMERIC"):
        return sa.Numeric(int(a or 18), int(b or 2))
    if name in ("REAL", "DOUBLE", "FLOAT"):
        return sa.Float()
    if name in ("VARCHAR", "CHAR", "NVARCHAR"):
        return sa.String(int(a or 255))
    if name == "DATETIME":
        return sa.DateTime()
    if name == "DATE":
        return sa.Date()
    return sa.Text()


def _convert(value, sa_type):
    if value is None or not isinstance(value, str):
        return value
    if isinstance(sa_type, sa.DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(sa_type, sa.Date):
        return dt.date.fromisoformat(value)
    return value


def load_into_database(out_dir: Path | str, platform: str, sqlalchemy_url: str,
                       tables: list[str] | None = None, chunk_rows: int = 5000) -> dict[str, int]:
    """Copy a platform's generated SQLite tables into the database at ``sqlalchemy_url``.

    Tables are dropped and re-created with the declared column types and primary key (MySQL/
    MariaDB: InnoDB, utf8mb4), then filled in chunks.  Returns rows copied per table.
    """
    src = sqlite3.connect(db_path(Path(out_dir), platform))
    url = sa.engine.make_url(sqlalchemy_url)
    if url.get_backend_name() in ("mysql", "mariadb") and "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})
    engine = sa.create_engine(url)
    names = tables or [r[0] for r in src.execute(
        "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    copied: dict[str, int] = {}
    try:
        for name in names:
            info = src.execute(f'PRAGMA table_info("{name}")').fetchall()
            md = sa.MetaData()
            cols = [sa.Column(c[1], _sa_type(c[2]), primary_key=bool(c[5]), nullable=not c[5],
                              autoincrement=False) for c in info]
            table = sa.Table(name, md, *cols, mysql_engine="InnoDB", mysql_charset="utf8mb4",
                             mysql_collate="utf8mb4_unicode_ci", mariadb_engine="InnoDB",
                             mariadb_charset="utf8mb4", mariadb_collate="utf8mb4_unicode_ci")
            table.drop(engine, checkfirst=True)
            table.create(engine)
            types = [c.type for c in cols]
            keys = [c.name for c in cols]
            cur = src.execute(f'SELECT * FROM "{name}" ORDER BY rowid')
            n = 0
            with engine.begin() as conn:
                while True:
                    batch = cur.fetchmany(chunk_rows)
                    if not batch:
                        break
                    conn.execute(table.insert(), [
                        {k: _convert(v, t) for k, v, t in zip(keys, row, types)} for row in batch])
                    n += len(batch)
            copied[name] = n
    finally:
        src.close()
        engine.dispose()
    return copied

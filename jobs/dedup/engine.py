"""Where the dedup stage's SQL runs: DuckDB on one machine (``local``), Spark to scale out (``cluster``).

The stage's logic is written once — SQL text in ``jobs/dedup/match_keys.py`` and
``jobs/dedup/survivorship.py``, pandas/numpy in ``jobs/dedup/clusters.py`` and ``jobs/dedup/id_registry.py`` —
and an engine only registers tables, runs that SQL, hands small results to pandas and writes
Parquet. The few places where the two SQL dialects differ are the methods ``alnum``,
``sorted_distinct`` and ``local_id``; everything else is SQL both engines accept. Both engines must give the same
rows for the same input (tests/test_dedup_engines.py).
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pyarrow as pa

from bayres.connectors.commit import write_directory, write_spark_directory
from bayres.schemas.derive_arrow import arrow_type

#: logical type of a registered frame's column → (DuckDB type, Spark type)
_TYPES = {"string": ("VARCHAR", "string"), "double": ("DOUBLE", "double"),
          "long": ("BIGINT", "bigint"), "boolean": ("BOOLEAN", "boolean"), "date": ("DATE", "date")}


def _columns(schema: str) -> list[tuple[str, str]]:
    """``"a string, b long"`` → [("a", "string"), ("b", "long")]."""
    out = []
    for part in schema.split(","):
        name, kind = part.split()
        if kind not in _TYPES:
            raise ValueError(f"unknown column type {kind!r} in {schema!r}")
        out.append((name, kind))
    return out


def local_path(uri: str) -> Path:
    """A file:// URI (or a plain path) of the local lake as a filesystem path."""
    parsed = urlparse(uri)
    if parsed.scheme not in ("", "file"):
        raise ValueError(f"the DuckDB dedup engine reads and writes the local lake only, not {uri}")
    return Path(parsed.path if parsed.scheme else uri)


class DuckDBEngine:
    """An in-process DuckDB database holding the stage's tables (temp tables and views)."""

    name = "duckdb"
    #: the probabilistic linkage may run beside this engine's SQL: Splink's DuckDB backend works
    #: on connections of its own
    links_concurrently = True

    def __init__(self, con=None, settings: dict | None = None):
        from ..run.duckdb_connection import connect

        self.con = con or connect(settings)

    # ------------------------------------------------------------ dialect
    @staticmethod
    def alnum(expr: str) -> str:
        """Letters and digits of any script, upper-case: 'S/N bb-19' → 'SNBB19', and a document
        number keeps its issuer: '粤科函政字〔2017〕1号' → '粤科函政字20171号'."""
        return f"upper(regexp_replace({expr}, '[^\\p{{L}}\\p{{N}}]', '', 'g'))"

    @staticmethod
    def has_han(expr: str) -> str:
        """Whether the text holds a Chinese (Han) character."""
        return f"regexp_matches({expr}, '\\p{{Han}}')"

    @staticmethod
    def sorted_distinct(column: str, sep: str = ",") -> str:
        return f"string_agg(DISTINCT {column}, '{sep}' ORDER BY {column})"

    @staticmethod
    def local_id(expr: str) -> str:
        """identifiers.stable_local_id of one text part: upper-case hex, 16 chars of SHA-256."""
        return f"upper(substr(sha256({expr}), 1, 16))"

    # ------------------------------------------------------------ tables
    def read_parquet(self, name: str, uri: str, cache: bool = False) -> None:
        """A view over the Parquet files of ``uri`` (DuckDB scans Parquet about as fast as its
        own tables, so ``cache`` changes nothing here)."""
        files = f"{local_path(uri).as_posix()}/*.parquet"
        self.con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{files}')")

    def register(self, name: str, frame, schema: str | None = None) -> None:
        """A pandas DataFrame or pyarrow Table as table ``name`` (with ``schema``: typed columns)."""
        view = f"{name}__frame"
        self.con.register(view, frame)
        if schema:
            cols = ", ".join(f"CAST({c} AS {_TYPES[k][0]}) AS {c}" for c, k in _columns(schema))
        else:
            cols = "*"
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cols} FROM {view}")
        self.con.unregister(view)

    def create(self, name: str, sql: str) -> None:
        """Materialise ``sql`` as table ``name``."""
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def define(self, name: str, sql: str) -> None:
        """``sql`` as ``name``, computed where it is read: a view.  For the records themselves
        (every column, millions of rows): DuckDB reads from Parquet only the columns each reader
        needs and holds no copy within its memory limit (a copy of 4M records made the golden
        records spill to disk: 44 s against 19 s)."""
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")

    def fetch(self, sql: str) -> pd.DataFrame:
        return self.con.sql(sql).df()

    def scalar(self, sql: str):
        return self.con.execute(sql).fetchone()[0]

    def linkage_input(self, name: str):
        """What jobs/dedup/linkage takes for the duckdb backend: a pyarrow Table."""
        return self.con.table(name).to_arrow_table()

    def write_parquet(self, sql: str, uri: str) -> None:
        """Replace the directory ``uri`` with the rows of ``sql`` (one Parquet file)."""
        def write(staging: Path) -> None:
            staging.mkdir(parents=True)
            self.con.execute(f"COPY ({sql}) TO '{(staging / 'part-00000.parquet').as_posix()}' "
                             "(FORMAT parquet, COMPRESSION snappy)")

        # written aside, then swapped in atomically: a kill never leaves the day without its
        # directory (bayres.connectors.commit)
        write_directory(local_path(uri), write)

    def drop(self, *names: str) -> None:
        for name in names:
            self.con.execute(f"DROP TABLE IF EXISTS {name}")


class SparkEngine:
    """A Spark session: tables are temp views; materialised ones are cached."""

    name = "spark"
    #: not beside this engine's SQL: Splink's Spark backend clears the session's cache, which
    #: holds this stage's tables
    links_concurrently = False

    def __init__(self, spark):
        self.spark = spark
        self._cached: dict = {}

    # ------------------------------------------------------------ dialect
    @staticmethod
    def alnum(expr: str) -> str:
        return f"upper(regexp_replace({expr}, '[^\\\\p{{L}}\\\\p{{N}}]', ''))"

    @staticmethod
    def has_han(expr: str) -> str:
        return f"({expr} RLIKE '\\\\p{{IsHan}}')"

    @staticmethod
    def sorted_distinct(column: str, sep: str = ",") -> str:
        return f"array_join(array_sort(collect_set({column})), '{sep}')"

    @staticmethod
    def local_id(expr: str) -> str:
        """identifiers.stable_local_id of one text part: upper-case hex, 16 chars of SHA-256."""
        return f"upper(substr(sha2({expr}, 256), 1, 16))"

    # ------------------------------------------------------------ tables
    def read_parquet(self, name: str, uri: str, cache: bool = False) -> None:
        """A view over ``uri``; ``cache``: kept in memory (a table the stage reads many times)."""
        df = self.spark.read.parquet(uri)
        if cache:
            df = df.cache()
            df.count()
            self._remember(name, df)
        df.createOrReplaceTempView(name)

    def register(self, name: str, frame, schema: str | None = None) -> None:
        """A pandas DataFrame, pyarrow Table or Spark DataFrame as view ``name``."""
        from pyspark.sql import DataFrame

        if not isinstance(frame, DataFrame):
            if schema:  # typed through Arrow: fast, and all-null columns keep their type
                cols = _columns(schema)
                arrow = pa.schema([(c, arrow_type(k)) for c, k in cols])
                if isinstance(frame, pd.DataFrame):
                    frame = pa.Table.from_pandas(frame[[c for c, _ in cols]], schema=arrow,
                                                 preserve_index=False)
                else:
                    frame = frame.select([c for c, _ in cols]).cast(arrow)
            elif not isinstance(frame, pd.DataFrame):
                frame = frame.to_pandas()
            frame = self.spark.createDataFrame(frame).cache()
            self._remember(name, frame)
        frame.createOrReplaceTempView(name)

    def create(self, name: str, sql: str) -> None:
        df = self.spark.sql(sql).cache()
        df.count()
        self._remember(name, df)
        df.createOrReplaceTempView(name)

    def define(self, name: str, sql: str) -> None:
        """As :meth:`create`: Spark's cache spills to disk by itself, and saves recomputing."""
        self.create(name, sql)

    def _remember(self, name: str, df) -> None:
        old = self._cached.pop(name, None)
        if old is not None:
            old.unpersist()
        self._cached[name] = df

    def fetch(self, sql: str) -> pd.DataFrame:
        return self.spark.sql(sql).toPandas()

    def scalar(self, sql: str):
        return self.spark.sql(sql).collect()[0][0]

    def linkage_input(self, name: str):
        """What jobs/dedup/linkage takes for the spark backend: a Spark DataFrame."""
        return self.spark.table(name)

    def write_parquet(self, sql: str, uri: str) -> None:
        """Replace the directory ``uri`` with the rows of ``sql``: written aside, swapped in."""
        write_spark_directory(self.spark.sql(sql), uri)

    def drop(self, *names: str) -> None:
        for name in names:
            df = self._cached.pop(name, None)
            if df is not None:
                df.unpersist()
            self.spark.catalog.dropTempView(name)

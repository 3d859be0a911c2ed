"""The two Splink backends behind one small interface: DuckDB (one machine) and Spark (scale out).

Each engine prepares a type's records (filter to its resource types, keep the columns the
configuration needs, add the derived ``lk_*`` columns with the same pandas code and the block
purging guards of blocking.py), creates the
Splink database API, and brings the scored pairs back as pandas.
"""
from __future__ import annotations

import pandas as pd
import pyarrow as pa

from bayres.schemas.derive_arrow import arrow_type
from bayres.schemas.resource import RESOURCE_RECORD

from .blocking import guard_duckdb, guard_spark
from .config import TypeConfig
from .features import FEATURE_INPUTS, add_features, derive, derived_columns


def _arrow_table(df: pd.DataFrame) -> pa.Table:
    """Record columns of ``df`` as Arrow with the declared type of every column, so that a
    column without a single value still has its type in DuckDB (not NULL)."""
    fields = {f.name: f for f in RESOURCE_RECORD.fields}
    arrays, names = [], []
    for c in df.columns:
        typ = arrow_type(fields[c].type if c in fields else "string")
        values = df[c]
        if typ == pa.date32():
            values = pd.to_datetime(values, errors="coerce").dt.date
        values = values.astype(object).where(values.notna(), None)
        arrays.append(pa.array(values.tolist(), type=typ))
        names.append(c)
    return pa.Table.from_arrays(arrays, names=names)


def _derived_arrow_type(kind: str) -> pa.DataType:
    """Arrow type of a derived (``lk_*``) column of kind "string" or "array"."""
    return pa.list_(pa.string()) if kind == "array" else pa.string()


class DuckDBEngine:
    """Splink on an in-process DuckDB database; records come as pandas or pyarrow."""

    name = "duckdb"

    def __init__(self, settings: dict | None = None) -> None:
        self.settings = settings  # the profile's linkage.duckdb (memory_limit, temp_directory, threads)

    def prepare(self, records, conf: TypeConfig, columns: list[str]) -> tuple[pa.Table, dict[str, int]]:
        """(the type's records with derived and guard columns, keys purged per blocking rule).
        The record columns stay in Arrow as they came; only the columns the features read go
        through pandas; the block sizes are counted in DuckDB."""
        import pyarrow.compute as pc

        from bayres.jobs.run.duckdb_connection import connect

        names = records.columns if isinstance(records, pd.DataFrame) else records.column_names
        missing = sorted(set(columns) - set(names))
        if missing:
            raise ValueError(f"linkage {conf.name}: records lack columns {missing}")
        if isinstance(records, pd.DataFrame):
            rows = _arrow_table(records[records["resource_type"].isin(conf.resource_types)][columns])
        else:
            rows = records.select(columns)
            rows = rows.filter(pc.is_in(rows["resource_type"], value_set=pa.array(conf.resource_types)))
        inputs = sorted({c for f in conf.features for c in FEATURE_INPUTS[f]} & set(columns))
        derived = derive(rows.select(inputs).to_pandas(), conf.features)
        for column, kind in derived_columns(conf.features).items():
            rows = rows.append_column(column, pa.array(derived[column].tolist(), type=_derived_arrow_type(kind)))
        con = connect(self.settings)
        try:
            return guard_duckdb(rows, conf, con)
        finally:
            con.close()

    @staticmethod
    def count(prepared: pa.Table) -> int:
        return prepared.num_rows

    @staticmethod
    def to_arrow(prepared: pa.Table) -> pa.Table:
        return prepared

    @staticmethod
    def from_arrow(table: pa.Table) -> pa.Table:
        """Prepared records from another engine (``to_arrow``), as this engine takes them."""
        return table

    def db_api(self):
        import tempfile

        from splink import DuckDBAPI

        from bayres.jobs.run.duckdb_connection import connect

        # spill to the profile's temp directory, never to a ``.tmp`` folder in the working directory
        settings = {"temp_directory": f"{tempfile.gettempdir()}/bayres-duckdb", **(self.settings or {})}
        return DuckDBAPI(connection=connect(settings))

    @staticmethod
    def scored(predictions, columns: list[str], review: float) -> tuple[pd.DataFrame, int]:
        """(pairs at or above ``review``, number of scored candidate pairs)."""
        rel = predictions.as_duckdbpyrelation()
        n = rel.count("*").fetchall()[0][0]
        return rel.filter(f"match_probability >= {float(review)!r}").select(*columns).df(), int(n)

    @staticmethod
    def release(db_api) -> None:
        db_api._con.close()


class SparkEngine:
    """Splink on the pipeline's SparkSession; records come as a Spark DataFrame."""

    name = "spark"

    def __init__(self, spark) -> None:
        if spark is None:
            raise ValueError("linkage backend 'spark' needs the SparkSession (spark=...)")
        self.spark = spark
        self._jar_added = False

    def prepare(self, records, conf: TypeConfig, columns: list[str]):
        """(the type's records with derived and guard columns, persisted; keys purged per rule)."""
        from pyspark.sql import functions as F
        from pyspark.sql.types import ArrayType, StringType, StructField, StructType

        missing = sorted(set(columns) - set(records.columns))
        if missing:
            raise ValueError(f"linkage {conf.name}: records lack columns {missing}")
        rows = records.where(F.col("resource_type").isin(list(conf.resource_types))).select(*columns)
        derived = derived_columns(conf.features)
        schema = StructType(list(rows.schema.fields) + [
            StructField(c, ArrayType(StringType()) if t == "array" else StringType()) for c, t in derived.items()])
        features = conf.features

        def derive(batches):
            for batch in batches:
                yield add_features(batch, features)

        prepared, purged = guard_spark(rows.mapInPandas(derive, schema), conf, "record_id")
        return prepared.persist(), purged

    @staticmethod
    def count(prepared) -> int:
        return prepared.count()

    @staticmethod
    def to_arrow(prepared) -> pa.Table:
        """The prepared records on the driver, as Arrow (to estimate a model on another engine)."""
        return prepared.toArrow()

    def from_arrow(self, table: pa.Table):
        return self.spark.createDataFrame(table).persist()

    def db_api(self):
        from splink import SparkAPI
        from splink.internals.spark.jar_location import similarity_jar_location

        if not self._jar_added:  # Jaro-Winkler and friends are Scala UDFs shipped with Splink
            self.spark.sql(f"ADD JAR '{similarity_jar_location()}'")
            self._jar_added = True
        partitions = int(self.spark.conf.get("spark.sql.shuffle.partitions"))
        return SparkAPI(spark_session=self.spark, break_lineage_method="persist",
                        num_partitions_on_repartition=partitions)

    @staticmethod
    def scored(predictions, columns: list[str], review: float) -> tuple[pd.DataFrame, int]:
        """(pairs at or above ``review``, number of scored candidate pairs)."""
        from pyspark.sql import functions as F

        df = predictions.as_spark_dataframe()
        n = df.count()
        return df.where(F.col("match_probability") >= float(review)).select(*columns).toPandas(), int(n)

    @staticmethod
    def release(db_api) -> None:
        db_api.spark.catalog.clearCache()


def backend_for(name: str, spark=None, duckdb_settings: dict | None = None):
    if name == "duckdb":
        return DuckDBEngine(duckdb_settings)
    if name == "spark":
        return SparkEngine(spark)
    raise ValueError(f"unknown linkage backend {name!r} (duckdb or spark)")

"""Spark representation of the declared tables: ``StructType`` and DDL string.

Every column is nullable in Spark so reading and writing never fails on a missing value;
mandatory fields are enforced by validation and expectations (see :func:`mandatory_fields`).
Partition columns come last, in the order Hive stores them, so ``insertInto`` works by position.
"""
from __future__ import annotations

from pyspark.sql.types import (BooleanType, DataType, DateType, DoubleType, LongType, StringType,
                               StructField, StructType)

from .derive_hive import ordered_fields
from .fields import Field, Table

#: fields.LOGICAL_TYPES' Spark names → Spark data types
_SPARK_TYPES: dict[str, DataType] = {
    "string": StringType(), "date": DateType(), "double": DoubleType(),
    "bigint": LongType(), "boolean": BooleanType(),
}


def spark_field(field: Field) -> StructField:
    """One nullable column; its description travels as the column comment."""
    meta = {"comment": field.description} if field.description else {}
    return StructField(field.name, _SPARK_TYPES[field.spark_type], nullable=True, metadata=meta)


def spark_schema(table: Table | str) -> StructType:
    """The table's Spark schema (all columns nullable, partition columns last)."""
    return StructType([spark_field(f) for f in ordered_fields(table)])


def spark_ddl(table: Table | str) -> str:
    """The schema as a Spark DDL string: ``\\`record_id\\` STRING, ...``."""
    return ", ".join(f"`{f.name}` {f.spark_type.upper()}" for f in ordered_fields(table))


def mandatory_fields(table: Table | str) -> list[str]:
    """Names of the fields GB/T 30523 or the pipeline requires to be non-null."""
    return [f.name for f in ordered_fields(table) if f.mandatory]

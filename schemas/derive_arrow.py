"""Arrow representation of the declared types: what the DuckDB side of the pipeline hands
between pandas, DuckDB and Spark (dedup engines, linkage backends) when a column must keep its
type even without a single value."""
from __future__ import annotations

import pyarrow as pa

#: fields.LOGICAL_TYPES → Arrow data types
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(), "date": pa.date32(), "double": pa.float64(), "long": pa.int64(),
    "boolean": pa.bool_(),
}


def arrow_type(logical: str) -> pa.DataType:
    """The Arrow type of a logical type ("string", "date", "double", "long", "boolean")."""
    return ARROW_TYPES[logical]

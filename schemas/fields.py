"""The building block of the declared schema: a typed, documented field.

A field says what it is once (type, whether GB/T 30523 makes it mandatory, its pattern or code
list, the group it belongs to); every target representation — Spark, Hive, Phoenix, HBase bytes,
the embedded serving store, Great Expectations — is derived from it in the ``schemas.derive_*``
modules.
"""
from __future__ import annotations

from dataclasses import dataclass

#: the logical types a field may have, and what each target calls them.
#: Phoenix columns over HBase avoid signed numerics, DATE and DECIMAL (DESIGN.md): dates travel as
#: ISO-8601 VARCHAR, numbers as UNSIGNED_* (values are non-negative by declaration).
LOGICAL_TYPES = {
    #          spark          hive       phoenix            serving (DuckDB)
    "string": ("string", "STRING", "VARCHAR", "VARCHAR"),
    "date": ("date", "DATE", "VARCHAR", "VARCHAR"),
    "double": ("double", "DOUBLE", "UNSIGNED_DOUBLE", "DOUBLE"),
    "long": ("bigint", "BIGINT", "UNSIGNED_LONG", "BIGINT"),
    "boolean": ("boolean", "BOOLEAN", "BOOLEAN", "BOOLEAN"),
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str = "string"
    group: str = "core"
    mandatory: bool = False
    description: str = ""
    #: the GB/T 30523-2014 core metadata element this field carries, if any
    gbt30523: str = ""
    #: its GB/T 30523 obligation: "M" mandatory, "C" conditional, "O" optional ("" = not an element)
    obligation: str = ""
    #: per resource category (two-digit code) where the obligation differs: (("05", "O"), ...)
    obligation_by_type: tuple[tuple[str, str], ...] = ()
    #: for "C": the condition, in words (schemas/gbt30523.py evaluates it)
    condition: str = ""
    #: a regex (Java/Python-compatible: ASCII classes only) every non-null value must match
    pattern: str | None = None
    #: name of a controlled vocabulary in conf/vocab/ whose codes are the only allowed values
    code_list: str | None = None
    min_value: float | None = None
    #: true for derived matching keys and flags, which are not published as metadata
    derived: bool = False

    def __post_init__(self) -> None:
        if self.type not in LOGICAL_TYPES:
            raise ValueError(f"field {self.name}: unknown type {self.type!r}")
        if self.min_value is None and self.type in ("double", "long"):
            # UNSIGNED_* in Phoenix: declare the non-negativity so expectations check it
            object.__setattr__(self, "min_value", 0)
        for ob in (self.obligation, *(o for _, o in self.obligation_by_type)):
            if ob not in ("", "M", "C", "O"):
                raise ValueError(f"field {self.name}: obligation {ob!r} is not M, C or O")
        if (self.obligation or self.obligation_by_type) and not self.gbt30523:
            raise ValueError(f"field {self.name}: an obligation needs a GB/T 30523 element name")

    def obligation_for(self, resource_type: str | None) -> str:
        """The GB/T 30523 obligation (M / C / O, "" when not an element) for a resource category."""
        return dict(self.obligation_by_type).get(resource_type or "", self.obligation)

    @property
    def spark_type(self) -> str:
        return LOGICAL_TYPES[self.type][0]

    @property
    def hive_type(self) -> str:
        return LOGICAL_TYPES[self.type][1]

    @property
    def phoenix_type(self) -> str:
        return LOGICAL_TYPES[self.type][2]

    @property
    def serving_type(self) -> str:
        return LOGICAL_TYPES[self.type][3]


@dataclass(frozen=True)
class Table:
    """A table of the catalogue: its fields, key and partitioning, in every store it lives in."""

    name: str
    fields: tuple[Field, ...]
    description: str
    key: tuple[str, ...]
    partition_by: tuple[str, ...] = ()

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name}")

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

"""GB/T 30523 core metadata, read off the one declaration (``schemas/resource.py``).

Nothing here is a second table: every element, its name and its obligation (M / C / O, per
resource category where it differs) is an attribute of a declared :class:`Field`.  This module
only reads them: the mandatory elements of a category, the SQL and pandas checks of what a record
lacks, and the JSON Schema of the export document.  What could and could not be confirmed
against the standard's text is in ``schemas/README.md``.
"""
from __future__ import annotations

import re

from .categories import CODES
from .fields import Field
from .resource import GOLDEN_RESOURCE, RESOURCE_RECORD, URL

#: a C element's condition: ``<field> != <value>`` or ``<field> = <value>``
_CONDITION = re.compile(r"^\s*(\w+)\s*(!=|=)\s*([\w-]+)\s*$")
#: the condition as written in a Field's ``condition`` (words after " — " are commentary)
STANDARD = "GB/T 30523-2014"


def elements(table=GOLDEN_RESOURCE) -> tuple[Field, ...]:
    """The fields of ``table`` that carry a GB/T 30523 element with an obligation."""
    return tuple(f for f in table.fields if f.gbt30523 and (f.obligation or f.obligation_by_type))


def condition(field: Field) -> tuple[str, str, str] | None:
    """A C element's condition as (field, operator, value); None for M and O elements."""
    if not field.condition:
        return None
    m = _CONDITION.match(field.condition.split(" — ")[0])
    if not m:
        raise ValueError(f"field {field.name}: condition {field.condition!r} is not "
                         f"'<field> != <value>' or '<field> = <value>'")
    return m.group(1), m.group(2), m.group(3)


def required(table=GOLDEN_RESOURCE, resource_type: str | None = None) -> tuple[Field, ...]:
    """Elements that are M or C for ``resource_type`` (for any category when None)."""
    types = [resource_type] if resource_type else list(CODES)
    return tuple(f for f in elements(table)
                 if any(f.obligation_for(t) in ("M", "C") for t in types))


def _applies_sql(field: Field, resource_type: str, col) -> str:
    """SQL predicate: the element is required for this row (its category and condition)."""
    whens = []
    for t in CODES:
        ob = field.obligation_for(t)
        if ob in ("M", "C"):
            whens.append(t)
    if len(whens) == len(CODES):
        applies = "TRUE"
    else:
        applies = f"{col(resource_type)} IN ({', '.join(repr(t) for t in whens)})"
    cond = condition(field)
    if cond:
        other, op, value = cond
        # an unknown value does not lift the condition: a record of unknown mode counts as shared
        test = (f"({col(other)} IS NULL OR {col(other)} <> '{value}')" if op == "!="
                else f"{col(other)} = '{value}'")
        applies = f"({applies}) AND {test}"
    return applies


def missing_sql(table=GOLDEN_RESOURCE, prefix: str = "", exprs: dict | None = None) -> str:
    """SQL (Spark and DuckDB) of the mandatory elements a row lacks: their field names joined by
    ';', NULL when the row conforms.  Columns are ``<prefix><field>`` unless ``exprs`` names
    another expression for a field."""
    exprs = exprs or {}

    def col(name: str) -> str:
        return exprs.get(name, f"{prefix}{name}")
    parts = []
    for f in required(table):
        blank = f"({col(f.name)} IS NULL OR trim(CAST({col(f.name)} AS STRING)) = '')"
        parts.append(f"CASE WHEN {_applies_sql(f, 'resource_type', col)} AND {blank} "
                     f"THEN '{f.name}' END")
    return f"NULLIF(concat_ws(';', {', '.join(parts)}), '')"


def missing_of(row: dict, table=GOLDEN_RESOURCE) -> list[str]:
    """The mandatory elements one record (a dict of field values) lacks, in declared order."""
    rtype = row.get("resource_type")
    out = []
    for f in required(table, rtype if rtype in CODES else None):
        if f.obligation_for(rtype) == "O":
            continue
        cond = condition(f)
        if cond:
            other, op, value = cond
            v = row.get(other)
            if (op == "!=" and v == value) or (op == "=" and v != value):
                continue
        v = row.get(f.name)
        if v is None or (isinstance(v, float) and v != v) or str(v).strip() == "":
            out.append(f.name)
    return out


def json_schema(table=GOLDEN_RESOURCE) -> dict:
    """JSON Schema (draft 2020-12) of the export document, from the declaration: one property per
    element (its GB/T 30523 name), required = the elements M for every category, string patterns
    from the fields, ``if``/``then`` per category for elements whose obligation differs."""
    props: dict = {}
    always, by_type = [], {}
    for f in elements(table):
        prop: dict = {"type": "string", "description": f"{f.name}: {f.description}".strip(": ")}
        if f.pattern:
            prop["pattern"] = f.pattern
        if f.type == "date":
            prop["pattern"] = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
        props[f.gbt30523] = prop
        if f.obligation == "M" and not f.obligation_by_type:
            always.append(f.gbt30523)
        for t, ob in f.obligation_by_type:
            if ob == "M":
                by_type.setdefault(t, []).append(f.gbt30523)
    type_el = GOLDEN_RESOURCE.field("resource_type").gbt30523
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://bayres.example/schemas/gbt30523-record.json",
        "title": f"{STANDARD} core metadata of one BayRes golden record",
        "type": "object",
        "properties": {
            "standard": {"const": STANDARD},
            "elements": {
                "type": "object", "properties": props, "required": always,
                "additionalProperties": False,
                "allOf": [{"if": {"properties": {type_el: {"const": t}}},
                           "then": {"required": req}} for t, req in sorted(by_type.items())],
            },
            "derived": {"type": "object", "additionalProperties": {"type": "string"},
                        "description": "element name -> the rule that filled it"},
        },
        "required": ["standard", "elements"],
    }


#: elements BayRes may fill by a rule (jobs/conform/gbt30523.py); gbt_derived names the rule per record
DERIVABLE = ("keywords", "rights", "access_url", "metadata_date")

__all__ = ["DERIVABLE", "elements", "required", "missing_sql", "missing_of", "json_schema", "condition",
           "STANDARD", "URL", "RESOURCE_RECORD"]

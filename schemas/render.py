"""Render every generated schema file from the declarations, and tell which ones are stale.

Generated files: ``hive/ddl/<table>.sql`` (one per declared table), ``hbase/tables.json``,
``hbase/phoenix/<VIEW>.sql`` and ``hbase/serving_duckdb.sql``.  Each starts with :data:`HEADER`;
a file under a generated folder that carries the header but is no longer generated is an orphan
(stale; removed by :func:`render_all`).
"""
from __future__ import annotations

import json
from pathlib import Path

from .derive_hbase import KEY_SEPARATOR, SERVING_TABLES, hbase_spec, phoenix_ddl
from .derive_hive import hive_database_ddl, hive_ddl
from .derive_serving import serving_ddl_all
from .resource import TABLES

HEADER = "generated from schemas/ by `bayres schema render` — do not edit"
#: folders whose header-carrying files render owns
_GENERATED_DIRS = ("hive/ddl", "hbase/phoenix")


def _sql(*statements: str) -> str:
    return f"-- {HEADER}\n\n" + "\n\n".join(s + ";" for s in statements) + "\n"


def _json(obj, indent: int = 0) -> str:
    """JSON with one line per flat object (a family, a column), nested containers indented."""
    flat = not isinstance(obj, (dict, list)) or all(
        not isinstance(v, (dict, list)) for v in (obj.values() if isinstance(obj, dict) else obj))
    if flat:
        return json.dumps(obj, ensure_ascii=False)
    pad = "  " * (indent + 1)
    if isinstance(obj, dict):
        items = [f"{pad}{json.dumps(k)}: {_json(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    items = [pad + _json(v, indent + 1) for v in obj]
    return "[\n" + ",\n".join(items) + "\n" + "  " * indent + "]"


def _tables_json() -> str:
    doc = {
        "_generated": HEADER,
        "key_separator": KEY_SEPARATOR.decode(),
        "tables": [hbase_spec(t.name) for t in SERVING_TABLES],
    }
    return _json(doc) + "\n"


def rendered() -> dict[str, str]:
    """Every generated file (path relative to the project root) and its content."""
    files = {f"hive/ddl/{t.name}.sql": _sql(hive_database_ddl(), hive_ddl(t)) for t in TABLES}
    files["hbase/tables.json"] = _tables_json()
    files.update({f"hbase/phoenix/{t.name}.sql": _sql(phoenix_ddl(t.name)) for t in SERVING_TABLES})
    files["hbase/serving_duckdb.sql"] = _sql(*serving_ddl_all())
    return files


def _orphans(root: Path, expected: dict[str, str]) -> list[str]:
    found = []
    for d in _GENERATED_DIRS:
        for p in sorted((root / d).glob("*")):
            rel = p.relative_to(root).as_posix()
            if rel not in expected and p.is_file() and HEADER in p.read_text("utf-8").split("\n", 1)[0]:
                found.append(rel)
    return found


def check_stale(root: Path) -> list[str]:
    """Generated files (relative paths) that are missing, differ from a fresh render, or are orphans."""
    root = Path(root)
    files = rendered()
    stale = [rel for rel, text in files.items()
             if not (root / rel).is_file() or (root / rel).read_text("utf-8") != text]
    return stale + _orphans(root, files)


def render_all(root: Path) -> list[Path]:
    """Write every generated file under ``root`` and remove orphans; returns the paths changed."""
    root = Path(root)
    files = rendered()
    changed = []
    for rel in check_stale(root):
        path = root / rel
        if rel in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(files[rel], "utf-8")
        else:
            path.unlink()
        changed.append(path)
    return changed

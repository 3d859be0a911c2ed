#!/usr/bin/env python3
"""Write Hadoop configuration files from `CORE-SITE.XML_<key>=<value>` environment variables.

The apache/hadoop images configure their daemons this way (their envtoconf.py): a variable
named `<FILE>.XML_<property>` becomes `<property>` in `<file>.xml`. The images built here (bayres,
airflow) are Hadoop *clients* — Spark on YARN, the NodeManager — and run this at start-up, so one
block of environment in docker/compose.yaml (`x-hadoop-env`) configures the daemons and the
clients alike.

    hadoop_conf_from_env.py [DEST_DIR]      # default: $HADOOP_CONF_DIR

Standard library only.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from xml.sax.saxutils import escape

_VAR = re.compile(r"^(?P<file>[A-Za-z0-9-]+)\.XML_(?P<key>.+)$", re.IGNORECASE)


def collect(environ: dict[str, str]) -> dict[str, dict[str, str]]:
    """{'core-site.xml': {'fs.defaultFS': 'hdfs://namenode:9000', …}, …} from the environment."""
    files: dict[str, dict[str, str]] = {}
    for name, value in sorted(environ.items()):
        m = _VAR.match(name)
        if m:
            files.setdefault(m.group("file").lower() + ".xml", {})[m.group("key")] = value
    return files


def render(properties: dict[str, str]) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             "<!-- written by hadoop_conf_from_env.py from the container's environment -->",
             "<configuration>"]
    for key, value in sorted(properties.items()):
        lines.append(f"  <property><name>{escape(key)}</name><value>{escape(str(value))}</value></property>")
    lines.append("</configuration>")
    return "\n".join(lines) + "\n"


def write(dest: Path, environ: dict[str, str]) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, props in collect(environ).items():
        path = dest / file_name
        path.write_text(render(props), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    dest = Path(argv[1] if len(argv) > 1 else os.environ.get("HADOOP_CONF_DIR", "/etc/hadoop/conf"))
    written = write(dest, dict(os.environ))
    names = ", ".join(p.name for p in written) or "nothing (no *.XML_* variables)"
    print(f"hadoop_conf_from_env: {dest}: {names}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

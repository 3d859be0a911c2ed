#!/usr/bin/env python3
"""Generate the four sample platforms and load their databases into MariaDB.

Used by the `mariadb-init` one-shot service of docker/compose.yaml (bayres image):

1. `bayres generate` writes the sample platforms (databases as SQLite, file feeds, ground truth)
   to the shared `bayres-sources` volume (BAYRES_SOURCES_DIR, default /data/sources); the file
   feeds are uploaded into the cluster profile's drop folder — `sources.feeds_root` on HDFS
   (`sources.feeds_kind: hdfs`) — where the extract stage picks them up.
2. Each platform's SQLite tables are copied into its MariaDB database — the URLs are the cluster
   profile's `sources.databases` (bayres_gz, bayres_sz, bayres_hk, bayres_mo) — with
   `bayres.jobs.generate.load_into_database`.

A marker file records seed and scale; a later `docker compose up` with the same values skips
both steps (set BAYRES_FORCE_RELOAD=1 to redo them).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def main() -> int:
    from bayres.jobs.run.config import load_profile

    try:  # the package's public entry point …
        from bayres.jobs.generate import load_into_database
    except ImportError:  # … or where it is implemented
        from bayres.jobs.generate.sqlite_db import load_into_database

    profile = load_profile("cluster")
    out = Path(os.environ.get("BAYRES_SOURCES_DIR", "/data/sources"))
    databases: dict[str, str] = profile.get("sources.databases") or {}
    seed = os.environ.get("BAYRES_SEED", "42")
    scale = os.environ.get("BAYRES_SCALE", "5000")
    wanted = {"seed": seed, "scale": scale, "platforms": sorted(databases)}

    marker = out / ".bayres-loaded.json"
    if marker.exists() and not os.environ.get("BAYRES_FORCE_RELOAD"):
        done = json.loads(marker.read_text(encoding="utf-8"))
        if {k: done.get(k) for k in wanted} == wanted:
            print(f"mariadb-init: already generated (seed {seed}, scale {scale}) and loaded; "
                  "nothing to do (BAYRES_FORCE_RELOAD=1 redoes it)")
            return 0

    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["bayres", "--profile", "cluster", "generate", "--seed", seed, "--scale", scale,
                    "--out", str(out)], check=True)
    loaded = {}
    for platform, url in sorted(databases.items()):
        counts = load_into_database(out, platform, url)
        loaded[platform] = counts
        safe_url = url.split("@", 1)[-1]  # never print the password
        print(f"mariadb-init: {platform} → {safe_url}: "
              + ", ".join(f"{t}={n}" for t, n in sorted(counts.items())))
    if profile.get("sources.feeds_kind") == "hdfs":
        upload_feeds(profile, out)
    marker.write_text(json.dumps({**wanted, "rows": loaded}, ensure_ascii=False, indent=2),
                      encoding="utf-8")
    return 0


def upload_feeds(profile, out: Path) -> None:
    """Every platform's feeds/ folder into the HDFS drop folder, same relative layout."""
    from hdfs import InsecureClient

    client = InsecureClient(str(profile.get("lake.url")), user=profile.get("lake.user"))
    root = str(profile.get("sources.feeds_root")).rstrip("/")
    for feeds in sorted(out.glob("*/feeds")):
        target = f"{root}/{feeds.parent.name}/feeds"
        client.makedirs(target)
        for path in sorted(p for p in feeds.iterdir() if p.is_file()):
            client.upload(f"{target}/{path.name}", str(path), overwrite=True)
        print(f"mariadb-init: feeds of {feeds.parent.name} → hdfs {target}")


if __name__ == "__main__":
    sys.exit(main())

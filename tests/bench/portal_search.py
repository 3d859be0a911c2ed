"""Portal search under load: ``python -m tests.bench.portal_search [--home var] [--records 100000]``.

1. A catalogue published by the pipeline: ``--home`` (default: make run's ``var/``; if it has no
   serving store, ``bayres generate`` + ``bayres run`` at ``--scale`` into a temporary home).
2. Its golden records and lineage, padded to ``--records`` with distractors derived from them
   (a real name with a branch qualifier, 「…（第3分部）」 / "… Branch 3": near-homonyms that compete
   with the real records in every query), indexed as the publish stage does (portal/index.py).
3. ``bayres serve`` on that index in its own process, on a free loopback port.
4. Queries from the generator's ground truth (read here, never by the code under test): for each
   entity, every name its source records were published under (Simplified, Traditional, English,
   Portuguese); the expected answer is the golden record holding most of the entity's records.
   recall@10 counts queries whose expected record is among the first ten results; cross-script
   queries are those whose text differs from the expected golden record's displayed name. A name
   more than ten golden records share (an instrument model every laboratory has) does not
   identify a record: its queries add the owner as published ("核磁共振波谱仪 香港科技大學"; a
   patent's first holder).
5. Load from this (second) process: ``--concurrency`` HTTP clients for ``--seconds``, a mix of
   exact-name, cross-script and faceted queries (with a region filter and the facets).

Writes ``.bench/portal_search.json``: records, recall_at_10, p50_ms, p95_ms, throughput_rps,
per query kind, the index build, the machine and its load average.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import duckdb
import httpx
import pandas as pd

from .record import write_result

REPO = Path(__file__).resolve().parents[2]


def _bayres_env(home: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAYRES__")}
    env.update(BAYRES_HOME=str(home), SPARK_LOCAL_DIRS=str(home / "spark-tmp"), **extra)
    return env


def ensure_catalogue(home: Path | None, scale: int) -> tuple[Path, tempfile.TemporaryDirectory | None]:
    if home is not None and (home / "serving" / "bayres.duckdb").exists():
        return home, None
    tmp = tempfile.TemporaryDirectory(prefix="bayres-bench-portal-")
    home = Path(tmp.name)
    bayres = str(Path(sys.executable).with_name("bayres"))
    for args in (["generate", "--seed", "42", "--scale", str(scale)], ["run", "--date", "2026-11-01"]):
        subprocess.run([bayres, *args], env=_bayres_env(home), check=True, stdout=subprocess.DEVNULL)
    return home, tmp


def _latest(path: Path) -> Path:
    return sorted(path.glob("run_date=*"))[-1]


def distractors(golden: list[dict], n: int, seed: int = 7) -> list[dict]:
    """``n`` near-homonyms of real golden records: the name with a branch qualifier."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        g = dict(golden[rnd.randrange(len(golden))])
        k = i // len(golden) + 1
        g["cstr_id"] = f"CSTR:BENCH.{g['resource_type']}.P{i:07d}"
        g["name"] = f"{g['name']}（第{k}分部）"
        if g.get("person_name"):
            g["person_name"] = f"{g['person_name']}（第{k}分部）"
        for f in ("name_en", "org_name_en", "person_name_en"):
            if g.get(f):
                g[f] = f"{g[f]} Branch {k}"
        for f in ("name_pt", "org_name_zh_hans", "org_name_zh_hant", "org_name_pt", "official_no", "cstr",
                  "ach_patent_no", "org_credit_code", "person_orcid", "inst_serial_no", "proj_number"):
            g.pop(f, None)
        g["source_platforms"] = rnd.choice(["GZ", "SZ", "HK", "MO"])
        out.append(g)
    return out


def truth_queries(home: Path, max_queries: int, seed: int = 11) -> list[dict]:
    """(q, expected cstr_id, region, kind) from the ground truth and the curated records."""
    truth = pd.read_csv(home / "sources" / "truth" / "records.csv", dtype=str, keep_default_na=False)
    truth["record_id"] = truth["platform"] + ":" + truth["source"] + ":" + truth["src_record_id"]
    lake = home / "lake" / "curated"
    lineage = pd.read_parquet(_latest(lake / "record_lineage"), columns=["record_id", "cstr_id"])
    records = pd.read_parquet(_latest(lake / "resource_record"),
                              columns=["record_id", "name", "name_en", "name_pt", "owner_org",
                                       "ach_holders", "person_affiliation"])
    # the owner as a user knows it: the owning organisation, else the first holder of a patent
    holder = records["ach_holders"].fillna("").str.split(";").str[0].str.strip()
    records["owner_org"] = records["owner_org"].fillna(holder.where(holder != "")) \
        .fillna(records["person_affiliation"])
    with duckdb.connect(str(home / "serving" / "bayres.duckdb"), read_only=True) as con:
        golden = con.execute("SELECT CSTR_ID, NAME, NAME_EN, REGION FROM BAYRES_RESOURCE").df()
    shown = dict(zip(golden["CSTR_ID"], golden["NAME"]))
    region = dict(zip(golden["CSTR_ID"], golden["REGION"]))
    # a name more than ten records share (核磁共振波谱仪: one per laboratory) does not identify a
    # record: such queries name the owner too, as a portal user would
    from bayres.portal.names import simplified

    def norm(name):
        return (simplified(name) or "").lower() if isinstance(name, str) else ""

    homonyms = Counter(norm(n) for n in golden["NAME"])
    homonyms.update(norm(n) for n in golden["NAME_EN"] if isinstance(n, str))
    joined = truth[["record_id", "entity_id"]].merge(lineage, on="record_id").merge(records, on="record_id")
    expected = joined.groupby("entity_id")["cstr_id"].agg(lambda s: Counter(s).most_common(1)[0][0])
    queries = []
    for entity, group in joined.groupby("entity_id"):
        target = expected[entity]
        target_crowded = homonyms[norm(shown.get(target))] > 10
        names = set()
        for row in group.itertuples():
            for col in ("name", "name_en", "name_pt"):
                v = getattr(row, col)
                if isinstance(v, str) and v.strip():
                    crowded = target_crowded or homonyms[norm(v)] > 10
                    owner = row.owner_org if crowded and isinstance(row.owner_org, str) else ""
                    names.add((v, owner))
        for q, owner in sorted(names):
            queries.append({"q": f"{q} {owner}".strip(), "expected": target, "region": region.get(target),
                            "with_owner": bool(owner),
                            "kind": "exact_name" if q == shown.get(target) else "cross_script"})
    random.Random(seed).shuffle(queries)
    return queries[:max_queries]


class Service:
    def __init__(self, home: Path, index_path: Path, log_path: Path):
        with __import__("socket").socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = _bayres_env(home, BAYRES__PORTAL__INDEX=str(index_path),
                          BAYRES__PORTAL__REQUEST_LOG=str(log_path))
        self.proc = subprocess.Popen([str(Path(sys.executable).with_name("bayres")), "serve", "--port",
                                      str(self.port)], env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("bayres serve did not start")
            time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _request(client: httpx.Client, item: dict, faceted: bool) -> tuple[float, list[str]]:
    params = {"q": item["q"], "limit": 10}
    if faceted and item.get("region"):
        params["region"] = item["region"]
    started = time.perf_counter()
    r = client.get("/api/v1/search", params=params)
    ms = (time.perf_counter() - started) * 1000
    r.raise_for_status()
    return ms, [h["cstr_id"] for h in r.json()["results"]]


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))], 2)


def run(home: Path | None = None, records: int = 100_000, scale: int = 5000, seconds: float = 30,
        concurrency: int = 4, max_queries: int = 2000) -> Path:
    from bayres.portal import index

    home, tmp = ensure_catalogue(home, scale)
    work = Path(tempfile.mkdtemp(prefix="bayres-bench-portal-index-"))
    try:
        with duckdb.connect(str(home / "serving" / "bayres.duckdb"), read_only=True) as con:
            golden = index._rows(con.execute("SELECT * FROM BAYRES_RESOURCE ORDER BY CSTR_ID"))
            lineage = index._rows(con.execute("SELECT CSTR_ID, SRC_PLATFORM, NAME FROM BAYRES_LINEAGE"))
        real = len(golden)
        rows = [{k.lower(): v for k, v in g.items()} for g in golden]
        padded = rows + distractors(rows, max(0, records - real))
        index_path = work / "portal_index.sqlite"
        built = index.build(index_path, padded, lineage, run_date="bench")
        queries = truth_queries(home, max_queries)
        load_before = os.getloadavg()
        service = Service(home, index_path, work / "requests.jsonl")
        try:
            # phase 1: every query once, for recall@10 (and its latency)
            hits = Counter()
            by_kind: dict[str, list[float]] = {"exact_name": [], "cross_script": [], "faceted": []}
            with httpx.Client(base_url=service.url, timeout=30) as client:
                for item in queries:
                    ms, ids = _request(client, item, faceted=False)
                    by_kind[item["kind"]].append(ms)
                    found = item["expected"] in ids[:10]
                    hits[(item["kind"], found)] += 1
            # phase 2: bounded load from concurrent clients, a mix of the three kinds
            latencies: list[float] = []
            kinds_ms: dict[str, list[float]] = {k: [] for k in by_kind}
            lock = threading.Lock()
            stop_at = time.monotonic() + seconds

            def worker(seed: int) -> None:
                rnd = random.Random(seed)
                with httpx.Client(base_url=service.url, timeout=30) as client:
                    while time.monotonic() < stop_at:
                        item = rnd.choice(queries)
                        faceted = rnd.random() < 1 / 3
                        ms, _ = _request(client, item, faceted)
                        with lock:
                            latencies.append(ms)
                            kinds_ms["faceted" if faceted else item["kind"]].append(ms)

            started = time.perf_counter()
            threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - started
        finally:
            service.stop()
        load_after = os.getloadavg()
        cross = hits[("cross_script", True)] + hits[("cross_script", False)]
        total = sum(hits.values())
        figures = {
            "records": built["records"], "real_golden_records": real,
            "distractor_records": built["records"] - real,
            "index_build_seconds": built["seconds"],
            "index_mib": round(index_path.stat().st_size / 2**20, 1),
            "queries": total, "cross_script_queries": cross,
            "queries_with_owner": sum(1 for q in queries if q["with_owner"]),
            "recall_at_10": round(hits[("cross_script", True)] / cross, 4) if cross else None,
            "recall_at_10_all": round((hits[("cross_script", True)] + hits[("exact_name", True)]) / total, 4)
            if total else None,
            "p50_ms": _pct(latencies, 50), "p95_ms": _pct(latencies, 95), "p99_ms": _pct(latencies, 99),
            "throughput_rps": round(len(latencies) / elapsed, 1), "requests": len(latencies),
            "load_seconds": round(elapsed, 1), "concurrency": concurrency,
            "by_kind": {k: {"requests": len(v), "p50_ms": _pct(v, 50), "p95_ms": _pct(v, 95)}
                        for k, v in kinds_ms.items()},
            "single_client_by_kind": {k: {"queries": len(v), "p50_ms": _pct(v, 50), "p95_ms": _pct(v, 95)}
                                      for k, v in by_kind.items() if v},
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
        }
        return write_result("portal_search", figures, catalogue_home=str(home),
                            note="loopback HTTP, bayres serve in its own process, load from the "
                                 "bench process; ground truth read by the bench only")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if tmp is not None:
            tmp.cleanup()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--home", type=Path, default=REPO / "var",
                   help="BAYRES_HOME of a finished run (default: make run's var/)")
    p.add_argument("--records", type=int, default=100_000, help="golden records in the index (padded)")
    p.add_argument("--scale", type=int, default=5000, help="sample scale when --home has no catalogue")
    p.add_argument("--seconds", type=float, default=30, help="duration of the load phase")
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--max-queries", type=int, default=2000)
    a = p.parse_args()
    run(a.home, a.records, a.scale, a.seconds, a.concurrency, a.max_queries)


if __name__ == "__main__":
    main()

"""Each sample platform's service logs for one day, with planted faults and their truth.

Written after the records (it reads ``truth/records.csv`` for the platforms' LOCAL resource ids,
nothing else), into ``<out>/<platform>/logs/<date>/`` and ``<out>/truth/service_logs.json``:

* the portal's access log in the platform's own format and time-zone habit —
  gz: nginx ``combined`` + ``$request_time`` (seconds), local time ``+0800``;
  sz: the same nginx format but the servers log in UTC (``+0000``);
  hk: JSON lines (``ts`` ISO 8601 ``+08:00``, ``latency_ms``);
  mo: Apache ``common`` + ``%D`` (microseconds), local time ``+0800``;
  every platform's uptime monitor requests ``/healthz`` once a minute (``UptimeMonitor/1.0``);
* ``bookings.csv`` — instrument booking / usage (大仪共享): booked, used hours, cancelled,
  the user's institution; ``calendar.csv`` — hours each instrument was offered that day;
* ``ratings.csv`` — user feedback (满意度), 1–5 stars (mo: 1–10 points);
* planted faults: outage windows (every request and probe answered 503), 5xx bursts, truncated
  and malformed lines, clock skew (a host whose clock ran 10 h ahead), a re-sent batch (lines
  written twice).

Determinism: every draw comes from ``default_rng([seed, 9001, platform number])``; the day only
sets the timestamps. The KPI truth is computed HERE from the generated events, by its own code:
the statistics job (jobs/service_logs/stats.py) shares nothing with this module.
"""
from __future__ import annotations

import csv
import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

PLATFORMS = ("gz", "sz", "hk", "mo")
DAY_MINUTES = 1440
#: per platform: requests per 1,000 of scale, latency median (ms), outage windows
#: (start minute local, minutes), 5xx bursts (start, minutes, share failing), ratings mean
PROFILE = {
    "gz": dict(per_k=2.4, median_ms=80, outages=((130, 25),), bursts=((610, 20, 0.5),), stars=4.2),
    "sz": dict(per_k=3.0, median_ms=55, outages=((300, 10), (1180, 45)), bursts=((860, 15, 0.6),), stars=3.9),
    "hk": dict(per_k=1.8, median_ms=120, outages=(), bursts=((420, 30, 0.3),), stars=4.5),
    "mo": dict(per_k=1.0, median_ms=200, outages=((700, 90),), bursts=(), stars=3.4),
}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
LOCAL = timezone(timedelta(hours=8))
AGENTS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0", "Mozilla/5.0 (Macintosh) Safari/17.1",
          "python-requests/2.31", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1) Mobile/15E148")
INSTITUTIONS = ("中山大学", "华南理工大学", "深圳大学", "南方科技大学", "香港科技大学", "香港大学",
                "澳门大学", "澳门科技大学", "暨南大学", "华为技术有限公司", "比亚迪股份有限公司")
#: the resource paths of each portal (view, download, citation export)
#: (a local id is unique within its source — the portal's catalogue — not across a platform)
PATHS = {
    "gz": ("/resource/{src}/{id}", "/download/{src}/{id}", "/cite/{src}/{id}"),
    "sz": ("/api/v1/{src}/{id}", "/api/v1/{src}/{id}/file", "/api/v1/{src}/{id}/citation"),
    "hk": ("/en/{src}/{id}", "/en/{src}/{id}/download", "/en/{src}/{id}/cite"),
    "mo": ("/recurso.php?cat={src}&id={id}", "/descarregar.php?cat={src}&id={id}", "/citar.php?cat={src}&id={id}"),
}
OTHER_PATHS = ("/", "/search?q=instrument", "/search?q=%E4%BB%AA%E5%99%A8", "/static/app.js", "/about")


def write_service_logs(out_dir: Path, seed: int, scale: int, day: date) -> dict:
    """Write every platform's logs of ``day``; returns (and writes) the truth."""
    out_dir = Path(out_dir)
    ids = _local_ids(out_dir / "truth" / "records.csv")
    truth = {"date": day.isoformat(), "seed": seed, "platforms": {}, "golden_usage": {},
             "instrument_usage": {}}
    usage_by_entity: dict[str, dict[str, int]] = {}
    for pno, p in enumerate(PLATFORMS):
        rng = np.random.default_rng([seed, 9001, pno])
        d = out_dir / p / "logs" / day.isoformat()
        d.mkdir(parents=True, exist_ok=True)
        t = _access(rng, p, d, day, max(1500, int(scale * PROFILE[p]["per_k"])), ids.get(p, {}))
        for (plat, local), counts in t.pop("_usage").items():
            eid = ids[plat]["entity"][local]
            agg = usage_by_entity.setdefault(eid, {"view": 0, "download": 0, "cite": 0})
            for k, v in counts.items():
                agg[k] += v
        t.update(_bookings(rng, p, d, day, ids.get(p, {}), truth["instrument_usage"]))
        t.update(_ratings(rng, p, d))
        truth["platforms"][p] = t
    truth["golden_usage"] = dict(sorted(usage_by_entity.items()))
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)
    (out_dir / "truth" / "service_logs.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return truth


def _local_ids(records_csv: Path) -> dict:
    """platform → {"all": ["source/local id"], "instruments": [(source, id, region)],
    "entity": {"source/local id": entity}} of the records a correct pipeline keeps."""
    out: dict = {}
    with open(records_csv, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["expect_quarantine"] == "true":
                continue
            p = out.setdefault(row["platform"], {"all": [], "instruments": [], "entity": {}})
            key = f'{row["source"]}/{row["src_record_id"]}'
            p["all"].append(key)
            p["entity"][key] = row["entity_id"]
            if row["resource_type"] == "02":
                p["instruments"].append((row["source"], row["src_record_id"], row["true_region"]))
    return out


# ------------------------------------------------------------------------------ access logs
def _access(rng, p: str, d: Path, day: date, n_user: int, ids: dict) -> dict:
    prof = PROFILE[p]
    # diurnal traffic: busier in office hours (local time)
    minute_w = 0.25 + np.exp(-((np.arange(DAY_MINUTES) - 660) / 240.0) ** 2)
    minutes = np.sort(rng.choice(DAY_MINUTES, n_user, p=minute_w / minute_w.sum()))
    secs = minutes * 60 + rng.integers(0, 60, n_user)
    down = np.zeros(DAY_MINUTES, bool)
    for start, length in prof["outages"]:
        down[start:start + length] = True
    burst = np.zeros(DAY_MINUTES)
    for start, length, share in prof["bursts"]:
        burst[start:start + length] = share
    users = np.array([f"{p}u{n:04d}" for n in range(max(50, n_user // 12))])
    user = np.where(rng.random(n_user) < 0.7, users[rng.integers(0, len(users), n_user)], "-")
    resources = ids.get("all") or ["none/X1"]
    kind = rng.choice(4, n_user, p=[0.45, 0.2, 0.05, 0.3])  # view, download, cite, other page
    res = np.array(resources)[np.minimum(rng.zipf(1.6, n_user) - 1, len(resources) - 1)]
    latency = np.maximum(1, np.round(rng.lognormal(np.log(prof["median_ms"]), 0.7, n_user))).astype(int)
    status = np.where(rng.random(n_user) < 0.02, 404, 200)
    status = np.where(rng.random(n_user) < burst[minutes], rng.choice([500, 502], n_user), status)
    status = np.where(down[minutes], 503, status)
    latency = np.where(down[minutes], rng.integers(1, 5, n_user), latency)
    size = rng.integers(300, 90_000, n_user)
    sub_us = rng.integers(0, 1000, n_user)  # mo logs microseconds
    events = []
    for i in range(n_user):
        k = int(kind[i])
        src, _, rid = str(res[i]).partition("/")
        path = PATHS[p][k].format(src=src, id=rid) if k < 3 else OTHER_PATHS[int(rng.integers(0, len(OTHER_PATHS)))]
        events.append(dict(sec=int(secs[i]), ip=f"10.{pno(p)}.{int(rng.integers(0, 255))}.{int(rng.integers(1, 255))}",
                           user=str(user[i]), method="GET", path=path, status=int(status[i]),
                           size=int(size[i]) if status[i] < 500 else 0, ms=int(latency[i]),
                           us=int(latency[i]) * 1000 + int(sub_us[i]), agent=AGENTS[int(rng.integers(0, len(AGENTS)))],
                           probe=False, kind=k if k < 3 else None, res=str(res[i]) if k < 3 else None))
    for m in range(DAY_MINUTES):  # the uptime monitor
        events.append(dict(sec=m * 60, ip="10.99.0.1", user="-", method="GET", path="/healthz",
                           status=503 if down[m] else 200, size=2, ms=1, us=1000, agent="UptimeMonitor/1.0",
                           probe=True, kind=None, res=None))
    events.sort(key=lambda e: (e["sec"], e["probe"] is False, e["path"]))
    # planted faults on user lines: clock skew (16:00-17:59 of one host, 10 h ahead), truncated
    # and malformed lines; then a re-sent batch (lines written again further down)
    n = len(events)
    user_pos = [i for i, e in enumerate(events) if not e["probe"]]
    skew = [i for i in user_pos if 960 * 60 <= events[i]["sec"] < 1080 * 60 and int(events[i]["ip"].rsplit(".", 1)[1]) % 8 == 7]
    for i in skew:
        events[i]["skew_h"] = 10
    pool = [i for i in user_pos if "skew_h" not in events[i]]
    bad = rng.choice(pool, max(3, n // 400), replace=False)
    for j, i in enumerate(sorted(bad.tolist())):
        events[i]["fault"] = ("truncated", "malformed")[j % 2]
    lines = [_render(p, day, e, rng) for e in events]
    start = int(rng.integers(n // 3, n // 2))
    resent = lines[start:start + max(20, n // 200)]
    insert_at = start + len(resent) + int(rng.integers(50, 400))
    out_lines = lines[:insert_at] + resent + lines[insert_at:]
    name = {"gz": "access.log", "sz": "access.log", "hk": "access.jsonl", "mo": "access_log"}[p]
    with open(d / name, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(x + "\n" for x in out_lines)
    # ---- the truth, from the events
    good = [e for e in events if "fault" not in e]
    req = [e for e in good if not e["probe"]]
    lat = np.array([e["us"] / 1000.0 if p == "mo" else float(e["ms"]) for e in req])
    probes = [e for e in good if e["probe"]]
    usage: dict = {}
    views: dict[str, int] = {}
    for e in req:
        if e["kind"] is not None and e["status"] < 400:
            k = ("view", "download", "cite")[e["kind"]]
            usage.setdefault((p, e["res"]), {}).setdefault(k, 0)
            usage[(p, e["res"])][k] += 1
            views[e["res"]] = views.get(e["res"], 0) + 1
    top = sorted(views.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    return {
        "access_file": name, "lines": len(out_lines), "duplicate_lines": len(resent),
        "malformed_lines": {"truncated": sum(1 for e in events if e.get("fault") == "truncated"),
                            "malformed": sum(1 for e in events if e.get("fault") == "malformed")},
        "clock_skew_lines": len(skew), "probe_lines": len(probes),
        "outage_minutes": int(down.sum()),
        "availability": sum(1 for e in probes if e["status"] < 500) / DAY_MINUTES,
        "requests": len(req),
        "errors": sum(1 for e in req if e["status"] >= 500),
        "error_rate": sum(1 for e in req if e["status"] >= 500) / len(req),
        "latency_p50_ms": float(np.percentile(lat, 50)), "latency_p95_ms": float(np.percentile(lat, 95)),
        "distinct_users": len({e["user"] for e in req if e["user"] != "-"}),
        "top_resources": [{"resource": r, "uses": c} for r, c in top],
        "_usage": usage,
    }


def pno(p: str) -> int:
    return PLATFORMS.index(p) + 1


def _render(p: str, day: date, e: dict, rng) -> str:
    t = datetime(day.year, day.month, day.day, tzinfo=LOCAL) + timedelta(seconds=e["sec"] + 3600 * e.get("skew_h", 0))
    req = f'{e["method"]} {e["path"]} HTTP/1.1'
    if p in ("gz", "sz"):
        if p == "sz":
            t = t.astimezone(timezone.utc)
        stamp = f"{t.day:02d}/{MONTHS[t.month - 1]}/{t.year}:{t:%H:%M:%S} {t:%z}"
        line = (f'{e["ip"]} - {e["user"]} [{stamp}] "{req}" {e["status"]} {e["size"]} "-" '
                f'"{e["agent"]}" {e["ms"] / 1000:.3f}')
    elif p == "hk":
        line = json.dumps({"ts": t.isoformat(), "client": e["ip"], "user": None if e["user"] == "-" else e["user"],
                           "method": e["method"], "path": e["path"], "status": e["status"], "bytes": e["size"],
                           "latency_ms": e["ms"], "ua": e["agent"]}, separators=(",", ":"))
    else:
        stamp = f"{t.day:02d}/{MONTHS[t.month - 1]}/{t.year}:{t:%H:%M:%S} {t:%z}"
        line = f'{e["ip"]} - {e["user"]} [{stamp}] "{req}" {e["status"]} {e["size"] or "-"} {e["us"]}'
    fault = e.get("fault")
    if fault == "truncated":  # the writer died mid-line
        return line[: max(8, len(line) // 3)]
    if fault == "malformed":  # a proxy wrote garbage into the log
        if p == "hk":  # well-formed JSON, but the status is not a number
            return re.sub(r'"status":\d+', '"status":"5xx?"', line)
        return "\x00\x00" + line[::-1][:40]
    return line


# ------------------------------------------------------------------------------ bookings
def _bookings(rng, p: str, d: Path, day: date, ids: dict, usage: dict) -> dict:
    inst = ids.get("instruments") or []
    chosen = [inst[i] for i in sorted(rng.choice(len(inst), min(len(inst), 60), replace=False).tolist())] if inst else []
    n_book = 0
    with open(d / "calendar.csv", "w", encoding="utf-8", newline="") as fc, \
            open(d / "bookings.csv", "w", encoding="utf-8", newline="") as fb:
        wc, wb = csv.writer(fc, lineterminator="\n"), csv.writer(fb, lineterminator="\n")
        wc.writerow(("date", "catalogue", "instrument_id", "offered_hours"))
        wb.writerow(("booking_id", "date", "catalogue", "instrument_id", "institution", "booked_hours",
                     "used_hours", "cancelled"))
        for src, iid, region in chosen:
            offered = float(rng.choice([8.0, 10.0, 12.0, 24.0]))
            wc.writerow((day.isoformat(), src, iid, f"{offered:.1f}"))
            used_total = 0.0
            free = offered
            for _ in range(int(rng.integers(0, 5))):
                booked = float(min(free, rng.choice([1.0, 2.0, 3.0, 4.0])))
                if booked <= 0:
                    break
                free -= booked
                cancelled = bool(rng.random() < 0.15)
                used = 0.0 if cancelled else float(np.round(booked * rng.uniform(0.5, 1.0) * 4) / 4)
                used_total += used
                n_book += 1
                wb.writerow((f"{p.upper()}B{n_book:05d}", day.isoformat(), src, iid,
                             INSTITUTIONS[int(rng.integers(0, len(INSTITUTIONS)))],
                             f"{booked:.2f}", f"{used:.2f}", "Y" if cancelled else "N"))
            usage[f"{p}/{src}/{iid}"] = {"region": region, "offered_hours": offered, "used_hours": used_total}
    return {"bookings": n_book, "instruments_offered": len(chosen)}


# ------------------------------------------------------------------------------ ratings
def _ratings(rng, p: str, d: Path) -> dict:
    scale_max = 10 if p == "mo" else 5
    n = int(rng.integers(40, 120))
    stars = np.clip(np.round(rng.normal(PROFILE[p]["stars"], 0.8, n)), 1, 5)
    bad = set(rng.choice(n, 3, replace=False).tolist())
    scores = []
    with open(d / "ratings.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("rating_id", "user", "score", "scale_max"))
        for i in range(n):
            if i in bad:  # out of range: the form's validation was off that day
                w.writerow((f"{p}r{i}", f"{p}u{i:04d}", scale_max + 3, scale_max))
                continue
            score = int(stars[i]) * (2 if p == "mo" else 1)
            scores.append(stars[i])
            w.writerow((f"{p}r{i}", f"{p}u{i:04d}", score, scale_max))
    return {"ratings": len(scores), "ratings_invalid": len(bad), "satisfaction": float(np.mean(scores))}

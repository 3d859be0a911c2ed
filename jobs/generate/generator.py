"""The generator: entities first, then every source's records, then the truth — streamed in chunks.

Determinism: every random draw comes from ``numpy.random.default_rng([seed, kind, chunk])`` with a
fixed chunk size, files are written in a fixed order with no timestamps, so the same seed and
scale give byte-identical outputs (on the same library versions).
"""
from __future__ import annotations

import shutil
import time
from datetime import date, datetime
from pathlib import Path
from typing import Callable

import numpy as np

from . import catalogue as cat
from . import platform_gz, platform_hk, platform_mo, platform_sz
from .days import DAYS_README, apply_days
from .conventions import BAD_DATES, bad_phone, fmt_dates
from .entities import MAKERS, World, org_frame
from .plan import DUP_P, DUP_P_REAL_ORG, QUARANTINE, THIRD_COPY_P, defects, emissions, records_per_entity
from .spec import Batch, SourceSpec
from .service_logs import write_service_logs
from .sqlite_db import close_databases
from .truth import TruthWriter, fmt_amount, write_static
from .variants import VARIANT_NAMES

PLATFORMS = ("gz", "sz", "hk", "mo")
KIND_ORDER = ("org", "instrument", "talent", "patent", "achievement", "project", "policy", "event", "standard")
ENTITY_CHUNK = 50_000
MIN_SYNTHETIC_ORGS = 40


def all_sources() -> list[SourceSpec]:
    """Every generated source, platform by platform."""
    return platform_gz.sources() + platform_sz.sources() + platform_hk.sources() + platform_mo.sources()


def generate(out_dir: Path | str, seed: int = 42, scale: int = 5000,
             progress: Callable[[str], None] | None = None, log_date: date | None = None,
             day: int = 1, changes_at: dict[int, datetime] | None = None,
             first_ids: dict[str, int] | None = None) -> dict:
    """Generate the four platforms' databases and feeds plus ground truth under ``out_dir``.

    ``scale`` ≈ total number of source records (at least the ~80 catalogue organisations and their
    duplicates are always emitted).  ``out_dir/{gz,sz,hk,mo,truth}`` are replaced; nothing else
    there is touched.  ``progress`` receives one line per resource kind.  Returns a summary:
    records per platform/source, entities, duplicates, defects, variants, files written
    (relative to ``out_dir``) and seconds taken.

    ``day`` > 1: the platforms as they stand on that day — day 1 with the changes of days 2..day
    applied (jobs/generate/days.py; ``changes_at``: day → when its changes were made); the
    summary then also holds ``day`` and ``changes`` (per platform and source: inserted, edited,
    deleted, late, duplicates). ``first_ids``: source key → how many ids to skip (a source's n-th
    record gets ``make_id(skip + n)``; the days' pools use it so their records fit after the
    catalogue's).
    """
    if day < 1:
        raise ValueError(f"day must be 1 or more, not {day}")
    t0 = time.perf_counter()
    say = progress or (lambda _msg: None)
    out_dir = Path(out_dir)
    for sub in PLATFORMS + ("truth",):
        if (out_dir / sub).exists():
            shutil.rmtree(out_dir / sub)
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = all_sources()
    total_share = sum(s.share for s in specs)
    target = {s.key: s.share / total_share * scale for s in specs}
    world = _world(seed, specs, target)
    dbs: dict = {}
    sinks = {s.key: s.sink(out_dir, dbs) for s in specs}
    truth = TruthWriter(out_dir / "truth")
    run = _Run(specs, sinks, truth, world)
    run.first_ids = dict(first_ids or {})
    try:
        for kind_no, kind in enumerate(KIND_ORDER):
            kspecs = [s for s in specs if s.kind == kind]
            if kind == "org":
                _orgs(run, seed, kind_no, kspecs)
            else:
                _kind(run, seed, kind_no, kind, kspecs, target)
            say(f"{kind}: {run.entities_by_kind.get(kind, 0):,} entities, {run.total:,} records so far "
                f"({time.perf_counter() - t0:.1f}s)")
    finally:
        files = sorted({f for s in sinks.values() for f in s.close()})
        close_databases(dbs)
        truth.close()
    summary = run.summary(seed, scale, files + [f"truth/{n}" for n in (
        "README.md", "entities.csv", "fx_rates_used.csv", "records.csv", "summary.json")])
    if day > 1:
        apply_days(out_dir, seed, scale, day, summary, changes_at)
        say(f"day {day}: the changes of days 2..{day} applied")
    write_static(out_dir / "truth", summary)
    if day > 1:
        with open(out_dir / "truth" / "README.md", "a", encoding="utf-8") as f:
            f.write(DAYS_README)
    # the platforms' service logs of the day (jobs/generate/service_logs.py), truth beside
    day = log_date or date.today()
    logs = write_service_logs(out_dir, seed, scale, day)
    summary["service_logs"] = {"date": day.isoformat(),
                               "lines": {p: t["lines"] for p, t in logs["platforms"].items()}}
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    summary["out_dir"] = str(out_dir)
    say(f"done: {summary['total_records']:,} records, {len(files)} data files in {summary['seconds']}s")
    return summary


def _world(seed: int, specs: list[SourceSpec], target: dict[str, float]) -> World:
    """Size the synthetic organisation pool from the institution sources' share of records."""
    org_specs = [s for s in specs if s.kind == "org"]
    n_real = sum(1 for o in cat.ORGS if o.region)
    real_records = n_real * (1 + DUP_P_REAL_ORG * (1 + THIRD_COPY_P))
    org_records = sum(target[s.key] for s in org_specs)
    n_synth = max(MIN_SYNTHETIC_ORGS, round((org_records - real_records) / records_per_entity("org")))
    weights: dict[str, float] = {}
    total = sum(target[s.key] for s in org_specs)
    for s in org_specs:
        for r, p in s.regions.items():
            weights[r] = weights.get(r, 0.0) + p * target[s.key] / total
    return World(seed, n_synth, weights)


class _Run:
    """State of one generation: sinks, id counters, truth writer and statistics."""

    def __init__(self, specs, sinks, truth, world) -> None:
        self.specs, self.sinks, self.truth, self.world = specs, sinks, truth, world
        self.counters = {s.key: 0 for s in specs}
        self.first_ids: dict[str, int] = {}
        self.defects: dict[str, int] = {}
        self.variants: dict[str, int] = {}
        self.entities_by_kind: dict[str, int] = {}
        self.multi = 0
        self.total = 0

    def publish(self, rng: np.random.Generator, frame, home: np.ndarray, kspecs: list[SourceSpec],
                dup_p: np.ndarray) -> None:
        """Emit one chunk of entities to their sources and record the truth."""
        cross_ok = ~np.asarray(frame.cols["macao_only"]) if "macao_only" in frame.cols else np.ones(frame.n, bool)
        n_records = np.zeros(frame.n, np.int64)
        for spec, (ent, var) in zip(kspecs, emissions(rng, home, kspecs, dup_p, cross_ok)):
            if not len(ent):
                continue
            first = self.counters[spec.key]
            self.counters[spec.key] += len(ent)
            skip = self.first_ids.get(spec.key, 0)
            b = Batch(frame, ent, var, rng, self.world,
                      [spec.make_id(skip + first + i + 1) for i in range(len(ent))])
            cols = spec.render(b)
            phone_e164 = b.col("phone_e164") if spec.phone_field else [""] * b.n
            dfx = defects(rng, spec, b.n, np.array([p != "" for p in phone_e164]) if spec.phone_field else None)
            _plant(cols, spec, dfx, rng)
            locs = self.sinks[spec.key].write(cols, [d == "broken_row" for d in dfx])
            self._truth(spec, b, dfx, phone_e164, locs)
            np.add.at(n_records, ent, 1)
        self.truth.write_entities(frame, n_records)
        self.entities_by_kind[frame.kind] = self.entities_by_kind.get(frame.kind, 0) + int((n_records > 0).sum())
        self.multi += int((n_records > 1).sum())

    def _truth(self, spec: SourceSpec, b: Batch, dfx: list[str], phone_e164: list[str], locs: list[str]) -> None:
        below = b.col("below") if "below" in b.frame.cols else [False] * b.n
        created = fmt_dates(b.arr("date"), "iso")
        value = b.arr("value_cny").tolist()
        rows = []
        for i, (rid, eid, rt, name, reg, v, cd, val, ph, d, bl, loc) in enumerate(zip(
                b.ids, b.col("eid"), b.col("rtype"), b.col("name_hans"), b.col("region"), b.var.tolist(),
                created, value, phone_e164, dfx, below, locs)):
            defect = ";".join(x for x in (d, "below_threshold" if bl else "") if x)
            refused = d in QUARANTINE or bl  # below-threshold instruments are not large instruments
            rows.append((spec.platform, spec.source, rid, eid, rt, defect, "true" if refused else "false",
                         name, cd, fmt_amount(val), "" if d == "bad_phone" else ph, reg, VARIANT_NAMES[v], loc))
            for x in defect.split(";") if defect else ():
                self.defects[x] = self.defects.get(x, 0) + 1
            self.variants[VARIANT_NAMES[v]] = self.variants.get(VARIANT_NAMES[v], 0) + 1
        self.truth.write_records(rows)
        self.total += b.n

    def summary(self, seed: int, scale: int, files: list[str]) -> dict:
        records: dict[str, dict[str, int]] = {}
        for s in self.specs:
            records.setdefault(s.platform, {})[s.source] = self.counters[s.key]
        n_entities = sum(self.entities_by_kind.values())
        return {
            "seed": seed, "scale": scale, "records": records, "total_records": self.total,
            "entities": n_entities, "entities_by_kind": dict(sorted(self.entities_by_kind.items())),
            "entities_with_duplicates": self.multi,
            "duplicate_record_share": round((self.total - n_entities) / max(self.total, 1), 4),
            "defects": dict(sorted(self.defects.items())), "variants": dict(sorted(self.variants.items())),
            "files": files,
        }


def _plant(cols: dict[str, list], spec: SourceSpec, dfx: list[str], rng: np.random.Generator) -> None:
    """Apply the planned record defects to the rendered fields."""
    bad = BAD_DATES[spec.date_style]
    for i, d in enumerate(dfx):
        if d == "missing_mandatory":
            for f in spec.name_fields:
                cols[f][i] = ""
        elif d == "bad_date":
            cols[spec.date_field][i] = bad[int(rng.integers(0, len(bad)))]
        elif d == "bad_phone":
            cols[spec.phone_field][i] = bad_phone(cols[spec.phone_field][i])


def _orgs(run: _Run, seed: int, kind_no: int, kspecs: list[SourceSpec]) -> None:
    """Institutions: every catalogue organisation in the GBA plus the synthetic pool, homed by region."""
    pool = run.world.orgs
    idx = np.flatnonzero(pool.emitted)
    region_home = {}
    for pos, s in enumerate(kspecs):
        for r in s.regions:
            region_home.setdefault(r, pos)
    home_all = np.array([region_home[pool.region[i]] for i in idx.tolist()])
    dup_all = np.where(pool.real[idx], DUP_P_REAL_ORG, DUP_P["org"])
    for c, start in enumerate(range(0, len(idx), ENTITY_CHUNK)):
        rng = np.random.default_rng([seed, kind_no, c + 1])
        sl = slice(start, start + ENTITY_CHUNK)
        run.publish(rng, org_frame(pool, idx[sl]), home_all[sl], kspecs, dup_all[sl])


def _kind(run: _Run, seed: int, kind_no: int, kind: str, kspecs: list[SourceSpec],
          target: dict[str, float]) -> None:
    """Entities of one kind, chunk by chunk: home source, region, attributes, then records."""
    per = records_per_entity(kind)
    counts = [max(1, round(target[s.key] / per)) for s in kspecs]
    homes = np.repeat(np.arange(len(kspecs)), counts)
    np.random.default_rng([seed, kind_no, 0]).shuffle(homes)
    for c, start in enumerate(range(0, len(homes), ENTITY_CHUNK)):
        rng = np.random.default_rng([seed, kind_no, c + 1])
        home = homes[start:start + ENTITY_CHUNK]
        regions = np.empty(len(home), dtype=object)
        for pos, s in enumerate(kspecs):
            m = home == pos
            if m.any():
                keys = list(s.regions)
                p = np.array([s.regions[k] for k in keys])
                regions[m] = np.array(keys)[rng.choice(len(keys), int(m.sum()), p=p / p.sum())]
        frame = MAKERS[kind](rng, run.world, regions.astype(str), start)
        run.publish(rng, frame, home, kspecs, np.full(len(home), DUP_P[kind]))

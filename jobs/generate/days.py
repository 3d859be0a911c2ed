"""Days after the first (``bayres generate --day N``): the platforms as they stand on day N.

Day 1 is what :func:`bayres.jobs.generate.generate` writes. Day N (N ≥ 2) is day 1 with the
changes of days 2..N applied in order, each day's changes drawn from
``numpy.random.default_rng([seed, 9000, day])`` and its new records taken from a *pool*: the
generator run again with a seed of its own for that day (so new records are rendered exactly as
the platforms render records, with their variants and defects). The same seed, scale and day
always give the same files.

What a day changes, per database source:

* **inserted** — new rows (ids after the source's last one), every source; a pool record of a
  catalogue organisation keeps its entity, so it is a *duplicate that appears later* when another
  record already lists that entity (counted under ``duplicates``); the pool's own synthetic
  entities get ids of their own (``<id>-D<day>``);
* **edited** — a name corrected (a typo / abbreviation variant written canonically in the
  source's script), a price revised upwards (original value, project amount), a Traditional
  name added where a zh-Hant source's name field held another script or no Chinese at all. Not
  in the ``append`` source (``mo/equipamento``: rows are only ever appended);
* **deleted** — rows gone, from the ``full`` sources only (a ``lastmodified`` source without a
  delete flag cannot tell a reader that a row went; ``append`` never deletes);
* **late** — ``hk/equipment`` (``lastmodified``): a row whose price was revised on an earlier
  day shows its day-1 version again, with its day-1 modification time — older than the version
  already extracted. An incremental reader never sees it (its window has passed) and the
  catalogue keeps the newer version; a reader of the whole table sees the older one.

and in the file feeds, names corrected in CSV / JSON-lines files (the file delivered again,
edited; the pipeline's feed ledger sees its checksum change), and one source chosen a day gets a
new delivery file (the pool's file of that
source, its ids continuing the source's, named ``<stem>_d<day>_<n>``); day 1's files stay as
they were otherwise.

Every edited or inserted row carries the day's modification time in the source's last-modified
column: ``changes_at[day]`` (default: day 1's reference date ``REF_DAY`` + (day − 1) days,
09:00). A ``lastmodified`` source is read from its watermark up to the database's clock, so
when days are run as they are generated, pass the times the changes should carry
(``--changes-at``).

The ground truth follows: ``truth/records.csv`` and ``entities.csv`` describe day N's catalogue
(which records exist, which entity each belongs to, a revised price's new value),
``truth/changes.csv`` lists every change (day, platform, source, record id, change, detail),
``summary.json`` carries the counts. Nothing here reads the pipeline's tables.
"""
from __future__ import annotations

import csv
import json
import re
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np

from .conventions import EPOCH
from .entities import REF_DAY
from .sqlite_db import db_path
from .truth import ENTITY_COLUMNS, RECORD_COLUMNS

DAYS_README = """
## Day N (`bayres generate --day N`)
These files describe the catalogue of day N: day 1 with the changes of days 2..N applied.
`records.csv` lists the records that exist on day N (a deleted one is gone, an inserted one is
there with its entity; a revised price's `true_value_cny` is the new value, which a late older
version does not undo), `entities.csv` the entities with at least one record that day.

### changes.csv — one row per change
| column | meaning |
|---|---|
| day | the day the change was made (2..N) |
| platform, source, src_record_id | the record |
| change | `inserted`, `edited` (name corrected, Traditional name added, price revised), `deleted`, `late` (an older version of the record shown again with its older modification time) |
| detail | what changed; `duplicate of a listed entity` for a new record of an entity already listed |
"""

CHANGES = ("inserted", "edited", "deleted", "late", "duplicates")
#: share of a source's live rows changed per day (at least one where a candidate exists)
INSERT_P, EDIT_P, DELETE_P = 0.01, 0.01, 0.005
PRICE_FACTORS = (Decimal("1.05"), Decimal("1.10"), Decimal("1.15"), Decimal("1.20"))
_CJK = re.compile(r"[\u3400-\u9fff]")
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


@dataclass(frozen=True)
class DbSource:
    """A database source as the generator publishes it, and how it may change."""
    platform: str
    source: str
    table: str
    id_col: str
    name_col: str
    script: str                  # hans | hant: the script of name_col
    stamp_col: str               # last-modified column
    value_col: str | None = None
    mode: str = "full"           # full | lastmodified | append (conf/sources/<platform>_<source>.yaml)


DB_SOURCES = (
    DbSource("gz", "instruments", "T_YQSB", "YQBH", "YQMC", "hans", "GXSJ", "YZ"),
    DbSource("gz", "institutions", "T_KYJG", "JGBH", "JGMC", "hans", "GXSJ"),
    DbSource("gz", "achievements", "T_KJCG", "CGBH", "CGMC", "hans", "GXSJ"),
    DbSource("sz", "instruments", "instrument", "id", "instrument_name", "hans", "updated_at", "original_value"),
    DbSource("sz", "talent", "talent", "id", "full_name", "hans", "updated_at"),
    DbSource("sz", "projects", "project", "id", "project_title", "hans", "updated_at", "amount"),
    DbSource("hk", "equipment", "EQUIPMENT", "EQUIPMENT_ID", "EQUIPMENT_NAME_TC", "hant", "LAST_UPDATED",
             "ORIGINAL_COST", mode="lastmodified"),
    DbSource("hk", "organisations", "ORGANISATION", "ORG_ID", "ORG_NAME_TC", "hant", "LAST_UPDATED"),
    DbSource("mo", "equipamento", "equipamento", "id_equipamento", "designacao_chines", "hant",
             "data_actualizacao", "valor_original", mode="append"),
    DbSource("mo", "instituicoes", "instituicoes", "id_instituicao", "nome_chines", "hant", "data_actualizacao"),
)


#: line feeds whose records may be edited in place: (platform, source) → (name field, script, encoding)
LINE_FEEDS = {("sz", "patents"): ("title", "hans", "utf-8"),
              ("sz", "standards"): ("标准名称", "hans", "gb18030"),
              ("mo", "projectos"): ("titulo_chines", "hant", "utf-8-sig")}


def default_changes_at(day: int) -> datetime:
    """When day ``day``'s changes are made at the platforms unless told otherwise."""
    ref = datetime.combine(EPOCH, time(9)) + timedelta(days=REF_DAY)
    return ref + timedelta(days=day - 1)


def _stamp(changes_at: dict[int, datetime], day: int) -> str:
    return (changes_at.get(day) or default_changes_at(day)).strftime("%Y-%m-%d %H:%M:%S")


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _write_csv(path: Path, columns, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        w.writerows([r[c] for c in columns] for r in rows)


def _revise(value, factor: Decimal):
    """A price revised by ``factor``, written as the source writes it (number or text)."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        d = Decimal(str(value))
        places = max(0, -d.as_tuple().exponent)
        new = (d * factor).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        return int(new) if isinstance(value, int) else float(new)
    m = _NUMBER.search(str(value))
    if not m:
        return None
    text = m.group(0)
    d = Decimal(text.replace(",", ""))
    places = len(text.split(".")[1]) if "." in text else 0
    new = (d * factor).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    out = f"{new:,.{places}f}" if "," in text else f"{new:.{places}f}"
    return str(value)[:m.start()] + out + str(value)[m.end():]


class _Days:
    def __init__(self, out_dir: Path, seed: int, scale: int, changes_at: dict[int, datetime]) -> None:
        self.out, self.seed, self.scale, self.changes_at = out_dir, seed, scale, changes_at
        truth = out_dir / "truth"
        self.records = _read_csv(truth / "records.csv")
        self.entities = {e["entity_id"]: e for e in _read_csv(truth / "entities.csv")}
        self.changes: list[dict] = []
        self.counts: dict[str, dict[str, dict[str, int]]] = {}
        self.cons = {p: sqlite3.connect(db_path(out_dir, p)) for p in sorted({s.platform for s in DB_SOURCES})}
        self.serial: dict[tuple, int] = {}
        self.day1_rows: dict[tuple, tuple] = {}     # hk/equipment rows as on day 1 (late versions)
        self.priced: dict[tuple, int] = {}          # (source key, id) → day of its last price revision
        self.late_done: set = set()
        self.late_today: set = set()
        self.new_files: list[str] = []

    # ------------------------------------------------------------------ helpers
    def _count(self, s: DbSource, what: str, n: int = 1) -> None:
        c = self.counts.setdefault(s.platform, {}).setdefault(s.source, dict.fromkeys(CHANGES, 0))
        c[what] += n

    def _live(self, s: DbSource) -> list[dict]:
        return [r for r in self.records if r["platform"] == s.platform and r["source"] == s.source]

    def _cols(self, s: DbSource) -> list[str]:
        return [r[1] for r in self.cons[s.platform].execute(f'PRAGMA table_info("{s.table}")')]

    def _id_value(self, s: DbSource, rid: str):
        return int(rid) if s.platform in ("sz", "mo") else rid

    def _note(self, day: int, s: DbSource, rid, change: str, detail: str = "") -> None:
        self.changes.append({"day": str(day), "platform": s.platform, "source": s.source,
                             "src_record_id": str(rid), "change": change, "detail": detail})

    def _pick(self, rng, rows: list, share: float) -> list:
        if not rows:
            return []
        k = min(len(rows), max(1, round(share * len(rows))))
        return [rows[i] for i in sorted(rng.choice(len(rows), k, replace=False).tolist())]

    # ------------------------------------------------------------------ a day
    def apply(self, day: int) -> None:
        rng = np.random.default_rng([self.seed, 9000, day])
        stamp = _stamp(self.changes_at, day)
        pool = self._pool(day)
        try:
            for s in DB_SOURCES:
                self._count(s, "inserted", 0)
                self.late_today = set()
                if s.mode == "lastmodified":
                    self._late(rng, day, s)
                if s.mode != "append":
                    self._edits(rng, day, s, stamp)
                if s.mode == "full":
                    self._deletes(rng, day, s)
                self._inserts(rng, day, s, stamp, pool)
            self._feed_edits(rng, day)
            self._feed_file(rng, day, pool)
        finally:
            shutil.rmtree(pool, ignore_errors=True)
        for con in self.cons.values():
            con.commit()

    def _pool(self, day: int) -> Path:
        from .generator import generate
        pool_seed = int(np.random.default_rng([self.seed, 9001, day]).integers(1, 2**31 - 1))
        where = Path(tempfile.mkdtemp(prefix=f"bayres-day{day}-pool-"))
        generate(where, seed=pool_seed, scale=max(300, self.scale // 10),
                 first_ids={f"{p}_{s}": n for (p, s), n in self.serial.items()})
        return where

    def _edits(self, rng, day: int, s: DbSource, stamp: str) -> None:
        con = self.cons[s.platform]
        clean = [r for r in self._live(s) if not r["defect"] and r["expect_quarantine"] == "false"
                 and r["src_record_id"] not in self.late_today]
        names = {r["src_record_id"]: con.execute(
            f'SELECT "{s.name_col}" FROM "{s.table}" WHERE "{s.id_col}" = ?',
            (self._id_value(s, r["src_record_id"]),)).fetchone() for r in clean}

        def target(r):
            e = self.entities.get(r["entity_id"]) or {}
            return (e.get("name_zh_hant") if s.script == "hant" else r["true_name_zh_hans"]) or ""

        def current(r):
            got = names.get(r["src_record_id"])
            return (got[0] or "") if got else None

        fixes = [r for r in clean if r["variant"] in ("typo", "abbreviation") and current(r) is not None
                 and target(r) and current(r) != target(r)]
        fixed = set()
        for r in self._pick(rng, fixes, EDIT_P):
            self._update(s, r, {s.name_col: target(r)}, stamp)
            self._note(day, s, r["src_record_id"], "edited", f"name corrected: {current(r)} → {target(r)}")
            fixed.add(r["src_record_id"])
        if s.script == "hant":
            hant = [r for r in clean if r["src_record_id"] not in fixed and current(r) is not None and target(r) and current(r) != target(r)
                    and (not _CJK.search(current(r)) or current(r) == r["true_name_zh_hans"])]
            for r in self._pick(rng, hant, EDIT_P):
                self._update(s, r, {s.name_col: target(r)}, stamp)
                self._note(day, s, r["src_record_id"], "edited", f"Traditional name added: {target(r)}")
        if s.value_col:
            priced = [r for r in clean if r["true_value_cny"]]
            for r in self._pick(rng, priced, EDIT_P):
                rid = self._id_value(s, r["src_record_id"])
                old = con.execute(f'SELECT "{s.value_col}" FROM "{s.table}" WHERE "{s.id_col}" = ?',
                                  (rid,)).fetchone()[0]
                factor = PRICE_FACTORS[int(rng.integers(0, len(PRICE_FACTORS)))]
                new = _revise(old, factor)
                if new is None:
                    continue
                self._update(s, r, {s.value_col: new}, stamp)
                r["true_value_cny"] = f"{Decimal(r['true_value_cny']) * factor:.2f}"
                self.priced[(s.platform, s.source, r["src_record_id"])] = day
                self._note(day, s, r["src_record_id"], "edited", f"price revised: {old} → {new}")

    def _update(self, s: DbSource, r: dict, values: dict, stamp: str) -> None:
        rid = self._id_value(s, r["src_record_id"])
        values = {**values, s.stamp_col: stamp}
        sets = ", ".join(f'"{c}" = ?' for c in values)
        self.cons[s.platform].execute(f'UPDATE "{s.table}" SET {sets} WHERE "{s.id_col}" = ?',
                                      (*values.values(), rid))
        self._count(s, "edited")

    def _deletes(self, rng, day: int, s: DbSource) -> None:
        gone = self._pick(rng, self._live(s), DELETE_P)
        for r in gone:
            self.cons[s.platform].execute(f'DELETE FROM "{s.table}" WHERE "{s.id_col}" = ?',
                                          (self._id_value(s, r["src_record_id"]),))
            self._note(day, s, r["src_record_id"], "deleted")
            self._count(s, "deleted")
        ids = {id(r) for r in gone}
        self.records = [r for r in self.records if id(r) not in ids]

    def _late(self, rng, day: int, s: DbSource) -> None:
        """A row revised on an earlier day shows its day-1 version again (older than the one read)."""
        live = {r["src_record_id"] for r in self._live(s)}
        cands = sorted(k for k, d in self.priced.items() if d < day and k[:2] == (s.platform, s.source)
                       and k not in self.late_done and k[2] in live and k in self.day1_rows)
        if not cands:
            return
        key = cands[int(rng.integers(0, len(cands)))]
        row = self.day1_rows[key]
        cols = self._cols(s)
        con = self.cons[s.platform]
        con.execute(f'DELETE FROM "{s.table}" WHERE "{s.id_col}" = ?', (self._id_value(s, key[2]),))
        con.execute(f'INSERT INTO "{s.table}" ({", ".join(chr(34) + c + chr(34) for c in cols)}) '
                    f'VALUES ({", ".join("?" * len(cols))})', row)
        self.late_done.add(key)
        self.late_today.add(key[2])
        self._note(day, s, key[2], "late", "its day-1 version again, with its day-1 modification time")
        self._count(s, "late")

    def _inserts(self, rng, day: int, s: DbSource, stamp: str, pool: Path) -> None:
        from .generator import all_sources
        spec = next(x for x in all_sources() if (x.platform, x.source) == (s.platform, s.source))
        key = (s.platform, s.source)
        pool_truth = {r["src_record_id"]: r for r in _read_csv(pool / "truth" / "records.csv")
                      if (r["platform"], r["source"]) == key}
        pool_entities = {e["entity_id"]: e for e in _read_csv(pool / "truth" / "entities.csv")}
        with sqlite3.connect(db_path(pool, s.platform)) as pcon:
            cols = [r[1] for r in pcon.execute(f'PRAGMA table_info("{s.table}")')]
            rows = pcon.execute(f'SELECT * FROM "{s.table}" ORDER BY rowid').fetchall()
        live = self._live(s)
        picked = self._pick(rng, rows, INSERT_P * max(1, len(live)) / max(1, len(rows)))
        id_at, stamp_at = cols.index(s.id_col), cols.index(s.stamp_col)
        listed = {r["entity_id"] for r in self.records}
        con = self.cons[s.platform]
        for row in picked:
            t = pool_truth[str(row[id_at])]
            self.serial[key] += 1
            new_id = spec.make_id(self.serial[key])
            row = list(row)
            row[id_at], row[stamp_at] = new_id, stamp
            con.execute(f'INSERT INTO "{s.table}" VALUES ({", ".join("?" * len(row))})', row)
            eid, dup = self._adopt(t["entity_id"], day, pool_entities, listed)
            self.records.append({**t, "src_record_id": str(new_id), "entity_id": eid,
                                 "src_location": f"table {s.table} row {self.serial[key]}"})
            listed.add(eid)
            self._note(day, s, new_id, "inserted", "duplicate of a listed entity" if dup else "")
            self._count(s, "inserted")
            if dup:
                self._count(s, "duplicates")

    def _adopt(self, eid: str, day: int, pool_entities: dict, listed: set) -> tuple[str, bool]:
        """The catalogue's entity of a pool record, and whether it is already listed."""
        ours = self.entities.get(eid)
        pe = pool_entities.get(eid, {})
        if ours is None or ours["name_zh_hans"] != pe.get("name_zh_hans"):
            eid = f"{eid}-D{day}"           # an entity of the pool's own world: a new one
            if eid not in self.entities:
                self.entities[eid] = {**pe, "entity_id": eid}
        return eid, eid in listed

    def _feed_edits(self, rng, day: int) -> None:
        """Names corrected in line feeds (CSV, JSON lines): their files are delivered again, edited."""
        cands = [r for r in self.records if (r["platform"], r["source"]) in LINE_FEEDS and not r["defect"]
                 and r["variant"] in ("typo", "abbreviation") and " line " in r["src_location"]]
        by_file: dict[str, list] = {}
        for r in self._pick(rng, cands, EDIT_P):
            by_file.setdefault(r["src_location"].split(" line ")[0], []).append(r)
        for rel, rows in sorted(by_file.items()):
            field, script, encoding = LINE_FEEDS[(rows[0]["platform"], rows[0]["source"])]
            path = self.out / rel
            # lines end at "\n" alone (a value may hold other Unicode line breaks)
            lines = re.findall(r"[^\n]*\n|[^\n]+$", path.read_bytes().decode(encoding))
            header = next(csv.reader([lines[0]])) if path.suffix == ".csv" else None
            s = DbSource(rows[0]["platform"], rows[0]["source"], "", "", "", script, "")
            for r in rows:
                at = int(r["src_location"].rsplit(" ", 1)[1]) - 1
                if header is None:
                    old = str(json.loads(lines[at]).get(field) or "")
                else:
                    old = dict(zip(header, next(csv.reader([lines[at]])))).get(field, "")
                e = self.entities.get(r["entity_id"]) or {}
                new = (e.get("name_zh_hant") if script == "hant" else r["true_name_zh_hans"]) or ""
                if not old or not new or old == new or any(c in new for c in ',"\\') or lines[at].count(old) != 1:
                    continue
                lines[at] = lines[at].replace(old, new)
                self._note(day, s, r["src_record_id"], "edited",
                           f"feed file {path.name} edited: name corrected: {old} → {new}")
                self._count(s, "edited")
            path.write_bytes("".join(lines).encode(encoding))

    def _feed_file(self, rng, day: int, pool: Path) -> None:
        """One feed source gets a new delivery file: the pool's, its ids after the source's."""
        from .generator import all_sources
        feeds = [x for x in all_sources() if x.fmt != "sql"]
        spec = feeds[int(rng.integers(0, len(feeds)))]
        key = (spec.platform, spec.source)
        rows = [r for r in _read_csv(pool / "truth" / "records.csv") if (r["platform"], r["source"]) == key]
        pool_entities = {e["entity_id"]: e for e in _read_csv(pool / "truth" / "entities.csv")}
        listed = {r["entity_id"] for r in self.records}
        renamed = {}
        for rel in sorted({r["src_location"].split(" ")[0] for r in rows}):
            path = Path(rel)
            stem, _, number = path.stem.rpartition("_")
            new = path.with_name(f"{stem}_d{day:03d}_{number}{path.suffix}").as_posix()
            shutil.copyfile(pool / rel, self.out / new)
            renamed[rel] = new
            self.new_files.append(new)
        s = DbSource(spec.platform, spec.source, "", spec.id_field, "", "", "")
        for t in rows:
            rel, _, rest = t["src_location"].partition(" ")
            eid, dup = self._adopt(t["entity_id"], day, pool_entities, listed)
            self.records.append({**t, "entity_id": eid, "src_location": f"{renamed[rel]} {rest}"})
            listed.add(eid)
            self._note(day, s, t["src_record_id"], "inserted",
                       f"feed file {Path(renamed[rel]).name} added" + ("; duplicate of a listed entity" if dup else ""))
            self._count(s, "inserted")
            if dup:
                self._count(s, "duplicates")
        self.serial[key] += len(rows)

    def remember_day1(self) -> None:
        # day 1's n-th record of a source has id make_id(n): new records continue the numbering
        for r in self.records:
            key = (r["platform"], r["source"])
            self.serial[key] = self.serial.get(key, 0) + 1
        for s in DB_SOURCES:
            if s.mode != "lastmodified":
                continue
            cols = self._cols(s)
            at = cols.index(s.id_col)
            for row in self.cons[s.platform].execute(f'SELECT * FROM "{s.table}" ORDER BY rowid'):
                self.day1_rows[(s.platform, s.source, str(row[at]))] = row

    def write_truth(self, day: int, summary: dict) -> None:
        truth = self.out / "truth"
        n = {}
        for r in self.records:
            n[r["entity_id"]] = n.get(r["entity_id"], 0) + 1
        entities = [{**e, "n_records": str(n[eid])} for eid, e in self.entities.items() if n.get(eid)]
        _write_csv(truth / "records.csv", RECORD_COLUMNS, self.records)
        _write_csv(truth / "entities.csv", ENTITY_COLUMNS, entities)
        _write_csv(truth / "changes.csv", ("day", "platform", "source", "src_record_id", "change", "detail"),
                   self.changes)
        records: dict = {}
        for r in self.records:
            records.setdefault(r["platform"], {}).setdefault(r["source"], 0)
            records[r["platform"]][r["source"]] += 1
        summary.update(day=day, records=records, total_records=len(self.records), entities=len(entities),
                       entities_with_duplicates=sum(1 for v in n.values() if v > 1),
                       duplicate_record_share=round((len(self.records) - len(entities)) / max(len(self.records), 1), 4),
                       changes=self.counts,
                       changes_at={str(d): _stamp(self.changes_at, d) for d in range(2, day + 1)})
        summary["files"] = sorted(set(summary.get("files", [])) | {"truth/changes.csv"} | set(self.new_files))

    def close(self) -> None:
        for con in self.cons.values():
            con.commit()
            con.close()


def apply_days(out_dir: Path, seed: int, scale: int, day: int, summary: dict,
               changes_at: dict[int, datetime] | None = None) -> dict:
    """Turn day 1's output under ``out_dir`` into day ``day``'s (see the module notes); updates
    and returns ``summary`` (``changes``: platform → source → inserted/edited/deleted/late/duplicates)."""
    days = _Days(Path(out_dir), seed, scale, changes_at or {})
    try:
        days.remember_day1()
        for d in range(2, day + 1):
            days.apply(d)
        days.write_truth(day, summary)
    finally:
        days.close()
    return summary

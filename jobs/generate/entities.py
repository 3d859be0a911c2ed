"""True entities with their true canonical values — made before any source record exists.

Every kind is built columnar (lists/arrays of equal length) in chunks, so millions of entities
cost list look-ups, not per-object Python.  A ``Frame`` holds one chunk of one kind; the
organisation pool (orgs.py) is shared by all kinds through the ``World``.
"""
from __future__ import annotations

import numpy as np
import opencc

from . import catalogue as cat
from .conventions import day
from .fx import FxRates
from .identifiers import orcid, patent_number
from .orgs import MAINLAND, OrgPool, hash_int
from .people import email_locals, people, phones

REF_DAY = day("2025-12-31")          # the sample data's "today"
NO_DATE = -(10**6)                   # a date that is not there (e.g. a patent not granted yet)
FX_FIRST = day("2015-01-01")         # money-bearing facts happen inside the FX table
_T2S = opencc.OpenCC("t2s")


class Frame:
    """Columnar entities of one kind (one chunk): ``frame.name_hans[i]`` etc."""

    def __init__(self, kind: str, **cols) -> None:
        self.kind = kind
        self.cols = cols
        self.n = len(cols["eid"])

    def __getattr__(self, name):
        try:
            return self.__dict__["cols"][name]
        except KeyError:
            raise AttributeError(name) from None


def _dates(rng, n, first: int, last: int) -> np.ndarray:
    return rng.integers(first, last + 1, n)


def _years(days: np.ndarray) -> list[int]:
    return (days.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970).tolist()


def _maker_prefix(maker: str) -> str:
    """Two letters a manufacturer starts its serial numbers with (Thermo Fisher → TF)."""
    initials = "".join(w[0] for w in maker.split() if w[0].isalpha())
    return (initials + maker.replace(" ", "")).upper()[:2]


def _perm_serial(i: np.ndarray, modulus: int, salt: int) -> np.ndarray:
    """A bijective scramble of global indices into ``[0, modulus)``: unique, not sequential."""
    return (i.astype(np.int64) * 2654435761 + salt) % modulus


def org_frame(pool: OrgPool, idx: np.ndarray) -> Frame:
    """Institution entities (catalogue and synthetic organisations at pool positions ``idx``)."""
    ix = idx.tolist()

    def take(values):
        return [values[i] for i in ix]

    c, n = pool.cols, len(ix)
    types = take(c["type"])
    return Frame(
        "org", eid=take(c["eid"]), pool_idx=idx, rtype=[cat.ORG_RESOURCE_TYPE.get(t, "04") for t in types],
        region=take(c["region"]), name_hans=take(c["hans"]), name_hant=take(c["hant"]), name_en=take(c["en"]),
        name_pt=take(c["pt"]), abbr=take(c["abbr"]), abbr_zh=take(c["abbr_zh"]), type=types,
        date=np.array(take(c["founded"])), strong_id=[a or b for a, b in zip(take(pool.credit), take(pool.br_no))],
        value_cny=np.full(n, np.nan), currency=["CNY"] * n, amount=np.full(n, np.nan),
        parent_idx=pool.parent_idx[idx], web=take(c["web"]), addr=take(c["addr"]), addr_en=take(c["addr_en"]),
        credit=take(pool.credit), br_no=take(pool.br_no), phone_cc=take(pool.phone_cc),
        phone_area=take(pool.phone_area), phone_local=take(pool.phone_local), phone_e164=take(pool.phone_e164),
        domain=take(c["domain"]), former_zh=take(c["former_zh"]), former_en=take(c["former_en"]),
        updated=np.array([hash_int(e) % 86400 for e in take(c["eid"])]))


# ------------------------------------------------------------------------------ world
class World:
    """What every kind draws on: the organisation pool, FX rates, the run's seed."""

    def __init__(self, seed: int, n_synth_orgs: int, synth_regions: dict[str, float]) -> None:
        self.seed = seed
        self.fx = FxRates()
        self.orgs = OrgPool(np.random.default_rng([seed, 7001]), n_synth_orgs, synth_regions)


def _owner_founded_floor(world: World, owner: np.ndarray, dates: np.ndarray) -> np.ndarray:
    founded = np.array(world.orgs.founded)[owner]
    return np.maximum(dates, np.minimum(founded + 60, REF_DAY - 30))


def _money(world: World, rng, value_cny_target: np.ndarray, currency: np.ndarray, dates: np.ndarray,
           step: dict[str, float], cents_share: float = 0.0):
    """Native amounts rounded as people quote them (purchase prices sometimes to the cent), and
    their exact CNY value at the day's rate."""
    rate = world.fx.rates(currency, dates)
    native = value_cny_target / rate
    steps = np.array([step[c] for c in currency.tolist()])
    native = np.maximum(np.round(native / steps) * steps, steps)
    cents = (currency == "CNY") & (rng.random(len(native)) < cents_share)
    native = np.where(cents, native + rng.integers(1, 100, len(native)) / 100.0, native)
    return np.round(native, 2), np.round(native * rate, 2)


_BUILDINGS = (("实验楼A栋", "Laboratory Building A"), ("分析测试中心", "Analysis and Testing Center"),
              ("科研楼", "Research Building"), ("公共技术平台", "Public Technology Platform"),
              ("综合楼", "Complex Building"))
_STATUS_P = {"in_service": 0.82, "maintenance": 0.07, "suspended": 0.07, "retired": 0.04}
_MODE_P = {"open": 0.55, "conditional": 0.30, "internal": 0.15}
INSTRUMENT_OWNER_TYPES = ("university", "research_institute", "laboratory", "large_facility",
                          "innovation_platform", "hospital", "enterprise")
_NEUTRON = [i for i, t in enumerate(cat.INSTRUMENT_TYPES) if t.makers[0][0] == "CSNS"]
_GENERAL = [i for i in range(len(cat.INSTRUMENT_TYPES)) if i not in _NEUTRON]


def make_instruments(rng, world: World, regions, first: int) -> Frame:
    """Large instruments: type, maker/model, serial, owner, value in the owner's currency."""
    n = len(regions)
    regions = np.asarray(regions)
    gi = np.arange(first, first + n)
    owner = world.orgs.pick(rng, regions, INSTRUMENT_OWNER_TYPES, 0.7)
    t = np.array(_GENERAL)[rng.integers(0, len(_GENERAL), n)]
    csns = owner == world.orgs.index["CSNS"]
    t = np.where(csns & (rng.random(n) < 0.6), np.array(_NEUTRON)[rng.integers(0, len(_NEUTRON), n)], t)
    types = [cat.INSTRUMENT_TYPES[i] for i in t.tolist()]
    mk = rng.integers(0, 1000, n).tolist()
    md = rng.integers(0, 1000, n).tolist()
    maker = [ty.makers[a % len(ty.makers)] for ty, a in zip(types, mk)]
    model = [m[1][b % len(m[1])] for m, b in zip(maker, md)]
    maker = [m[0] for m in maker]
    dates = _owner_founded_floor(world, owner, _dates(rng, n, FX_FIRST, day("2025-06-30")))
    serial_num = _perm_serial(gi, 10**8, world.seed % 9973).tolist()
    serial = [f"{_maker_prefix(m)}{y % 100:02d}{s:08d}" for m, y, s in zip(maker, _years(dates), serial_num)]
    # value: log-uniform in the type's range; a few below the 300,000 CNY threshold
    lo = np.array([ty.value_cny[0] for ty in types])
    hi = np.array([ty.value_cny[1] for ty in types])
    target = np.exp(rng.uniform(np.log(lo), np.log(hi)))
    below = rng.random(n) < 0.03
    target = np.where(below, rng.uniform(60_000, 280_000, n), target)
    currency = np.where(regions == "HK", np.where(rng.random(n) < 0.1, "USD", "HKD"),
                        np.where(regions == "MO", "MOP", "CNY"))
    amount, value_cny = _money(world, rng, target, currency, dates,
                               {"CNY": 100.0, "HKD": 1000.0, "MOP": 1000.0, "USD": 100.0}, cents_share=0.3)
    below = value_cny < 300_000
    p = people(rng, regions.tolist())
    cc, area, local, ph_e164 = phones(rng, regions, 0.25)
    b = rng.integers(0, len(_BUILDINGS), n).tolist()
    room = rng.integers(101, 1240, n).tolist()
    addr = [world.orgs.addr[o] for o in owner.tolist()]
    addr_en = [world.orgs.addr_en[o] for o in owner.tolist()]
    dom = [world.orgs.domain[o] or "lab.example.com" for o in owner.tolist()]
    st_keys, st_p = list(_STATUS_P), np.array(list(_STATUS_P.values()))
    md_keys, md_p = list(_MODE_P), np.array(list(_MODE_P.values()))
    return Frame(
        "instrument", eid=[f"INS-{i:09d}" for i in gi.tolist()], rtype=["02"] * n, region=regions.tolist(),
        name_hans=[ty.hans for ty in types], name_hant=[cat.to_hant(ty.hans) for ty in types],
        name_en=[ty.en for ty in types], name_pt=[""] * n, abbr=[ty.short for ty in types],
        date=dates, strong_id=serial, serial=serial, maker=maker, model=model, owner=owner,
        currency=currency.tolist(), amount=amount, value_cny=value_cny, below=below,
        status=[st_keys[i] for i in rng.choice(len(st_keys), n, p=st_p).tolist()],
        mode=[md_keys[i] for i in rng.choice(len(md_keys), n, p=md_p).tolist()],
        contact_hans=p["hans"], contact_hant=p["hant"], contact_en=p["en"], contact_sur=p["sur"],
        contact_given=p["given"], contact_style=p["style"],
        phone_cc=cc, phone_area=area, phone_local=local, phone_e164=ph_e164,
        email=[f"{lc}@{d}" for lc, d in zip(email_locals(p["sur"], p["given"], rng.integers(0, 10**6, n)), dom)],
        loc_zh=[(f"{a}{_BUILDINGS[x][0]}{rm}室" if rg in MAINLAND else f"{a}{cat.to_hant(_BUILDINGS[x][0])}{rm}室")
                if a else "" for a, x, rm, rg in zip(addr, b, room, regions.tolist())],
        loc_en=[f"Room {rm}, {_BUILDINGS[x][1]}, {a}" if a else "" for a, x, rm in zip(addr_en, b, room)],
        updated=rng.integers(0, 86400, n))


TALENT_ORG_TYPES = ("university", "research_institute", "laboratory", "hospital", "enterprise")


def make_talent(rng, world: World, regions, first: int) -> Frame:
    """S&T talent: a person, their affiliation, field, title and (mostly) an ORCID iD."""
    n = len(regions)
    regions = np.asarray(regions)
    gi = np.arange(first, first + n)
    aff = world.orgs.pick(rng, regions, TALENT_ORG_TYPES, 0.75)
    p = people(rng, regions.tolist())
    field = rng.integers(0, len(cat.FIELDS), n)
    title = rng.integers(0, 100, n)
    has_orcid = rng.random(n) < 0.7
    orcids = [orcid(int(s)) if h else "" for s, h in zip(_perm_serial(gi, 10**8, world.seed).tolist(),
                                                          has_orcid.tolist())]
    cc, area, local, ph_e164 = phones(rng, regions, 0.3)
    dom = [world.orgs.domain[o] or "mail.example.com" for o in aff.tolist()]
    return Frame(
        "talent", eid=[f"TAL-{i:09d}" for i in gi.tolist()], rtype=["05"] * n, region=regions.tolist(),
        name_hans=p["hans"], name_hant=p["hant"], name_en=p["en"], name_pt=[""] * n, abbr=[""] * n,
        sur=p["sur"], given=p["given"], style=p["style"], affiliation=aff, field=field, title=title,
        orcid=orcids, strong_id=orcids, date=_dates(rng, n, day("2016-01-01"), day("2025-09-30")),
        value_cny=np.full(n, np.nan), currency=["CNY"] * n, amount=np.full(n, np.nan),
        phone_cc=cc, phone_area=area, phone_local=local, phone_e164=ph_e164,
        email=[f"{lc}@{d}" for lc, d in zip(email_locals(p["sur"], p["given"], rng.integers(0, 10**6, n)), dom)],
        updated=rng.integers(0, 86400, n))


PATENT_HOLDER_TYPES = ("enterprise", "university", "research_institute", "laboratory")
_IPC = ("G06N 3/08", "G06V 10/82", "H04W 72/04", "H01M 4/36", "A61K 36/00", "C07D 401/04", "H01L 29/66",
        "G01N 21/65", "B25J 9/16", "H04L 9/40", "G06F 16/36", "C12N 15/90", "H03M 1/12")
_DESIGN_OBJ = (("无人机", "Unmanned aerial vehicle"), ("智能手表", "Smart watch"), ("充电桩", "Charging pile"),
               ("服务机器人", "Service robot"), ("检测仪", "Detector"))
MACAO_PATENT_BASE = 1000


def _patent_title(rng, n):
    """Patent titles in Simplified and English: method, material/device, bio or design patents."""
    kind_u = rng.random(n)
    a = rng.integers(0, 10**6, n).tolist()
    b = rng.integers(0, 10**6, n).tolist()
    hans, en, kind = [], [], []
    for u, x, y in zip(kind_u.tolist(), a, b):
        if u < 0.04:
            o = _DESIGN_OBJ[x % len(_DESIGN_OBJ)]
            code = f"{chr(65 + y % 26)}{y % 90 + 10}"
            hans.append(f"{o[0]}（{code}）")
            en.append(f"{o[1]} ({code})")
            kind.append("design")
            continue
        if u < 0.5:
            t, o = cat.PATENT_TECH_METHOD[x % len(cat.PATENT_TECH_METHOD)], \
                cat.PATENT_OBJ_METHOD[y % len(cat.PATENT_OBJ_METHOD)]
            hans.append(f"一种{t[0]}{o[0]}")
            en.append(f"{o[1]} {t[1]}".strip())
        elif u < 0.85:
            t, o = cat.PATENT_TECH_MATERIAL[x % len(cat.PATENT_TECH_MATERIAL)], \
                cat.PATENT_OBJ_MATERIAL[y % len(cat.PATENT_OBJ_MATERIAL)]
            hans.append(f"一种{t[0]}{o[0]}")
            en.append(f"A {t[1]} {o[1]}".replace("  ", " "))
        else:
            o = cat.PATENT_OBJ_BIO[y % len(cat.PATENT_OBJ_BIO)]
            hans.append(f"一种{o[0]}")
            en.append(o[1])
        kind.append("invention" if u < 0.65 or u >= 0.85 else "utility")
    return hans, en, kind


def make_patents(rng, world: World, regions, first: int) -> Frame:
    """Patents: holders, inventors, kind, title, application/grant dates and the application number."""
    n = len(regions)
    regions = np.asarray(regions)
    gi = np.arange(first, first + n)
    holder = world.orgs.pick(rng, regions, PATENT_HOLDER_TYPES, 0.6)
    co = np.where(rng.random(n) < 0.2, world.orgs.pick(rng, rng.choice(list(cat.REGIONS), n),
                                                       ("enterprise", "university"), 0.8), -1)
    co = np.where(co == holder, -1, co)
    hans, en, kind = _patent_title(rng, n)
    app = _dates(rng, n, day("2015-01-01"), day("2024-12-31"))
    app = _owner_founded_floor(world, holder, app)
    lag = np.select([np.array(kind) == "invention", np.array(kind) == "utility"],
                    [rng.integers(500, 1400, n), rng.integers(150, 400, n)], rng.integers(90, 250, n))
    granted_p = np.select([np.array(kind) == "invention", np.array(kind) == "utility"], [0.75, 0.95], 0.98)
    grant = np.where((rng.random(n) < granted_p) & (app + lag <= REF_DAY), app + lag, NO_DATE)
    digit = {"invention": 1, "utility": 2, "design": 3}
    serial = _perm_serial(gi, 9_000_000, world.seed % 7919) + 1_000_000
    years = _years(app)
    numbers = [patent_number(y, digit[k], s) for y, k, s in zip(years, kind, serial.tolist())]
    macao_only = (regions == "MO") & (rng.random(n) < 0.35)
    numbers = [f"I/{MACAO_PATENT_BASE + int(s) % 10**6:06d}" if m else num
               for m, s, num in zip(macao_only.tolist(), serial.tolist(), numbers)]
    n_inv = rng.integers(2, 5, n)
    inv_people = people(rng, np.repeat(regions, 4).tolist())
    inventors, inventors_hant, inventors_en = (
        [[inv_people[k][i * 4 + j] for j in range(c)] for i, c in enumerate(n_inv.tolist())]
        for k in ("hans", "hant", "en"))
    return Frame(
        "patent", eid=[f"PAT-{i:09d}" for i in gi.tolist()], rtype=["11"] * n, region=regions.tolist(),
        name_hans=hans, name_hant=[cat.to_hant(h) for h in hans], name_en=en, name_pt=[""] * n,
        abbr=[""] * n, pkind=kind, holder=holder, co_holder=co, date=app, grant=grant, number=numbers,
        strong_id=numbers, macao_only=macao_only, inventors=inventors, inventors_hant=inventors_hant,
        inventors_en=inventors_en, ipc=[_IPC[i] for i in rng.integers(0, len(_IPC), n).tolist()],
        value_cny=np.full(n, np.nan), currency=["CNY"] * n, amount=np.full(n, np.nan),
        updated=rng.integers(0, 86400, n))


def make_achievements(rng, world: World, regions, first: int) -> Frame:
    """Registered S&T achievements (科技成果登记)."""
    n = len(regions)
    regions = np.asarray(regions)
    gi = np.arange(first, first + n)
    holder = world.orgs.pick(rng, regions, PATENT_HOLDER_TYPES, 0.65)
    tm = rng.integers(0, len(cat.ACHIEVEMENT_TEMPLATES), n).tolist()
    tt = rng.integers(0, len(cat.PROJECT_TECH), n).tolist()
    ta = rng.integers(0, len(cat.PROJECT_APPL), n).tolist()
    hans = [cat.ACHIEVEMENT_TEMPLATES[m][0].format(t=cat.PROJECT_TECH[t][0], a=cat.PROJECT_APPL[a][0])
            for m, t, a in zip(tm, tt, ta)]
    en = [cat.ACHIEVEMENT_TEMPLATES[m][1].format(t=cat.PROJECT_TECH[t][1], a=cat.PROJECT_APPL[a][1])
          for m, t, a in zip(tm, tt, ta)]
    reg_day = _owner_founded_floor(world, holder, _dates(rng, n, day("2015-01-01"), day("2025-09-30")))
    years = _years(reg_day)
    serial = _perm_serial(gi, 10**5, world.seed).tolist()
    numbers = [f"44{y}Y{s:05d}" for y, s in zip(years, serial)]
    n_p = rng.integers(2, 6, n)
    pp = people(rng, np.repeat(regions, 5).tolist())
    persons = [[pp["hans"][i * 5 + j] for j in range(c)] for i, c in enumerate(n_p.tolist())]
    cc, area, local, ph_e164 = phones(rng, regions, 0.3)
    return Frame(
        "achievement", eid=[f"ACH-{i:09d}" for i in gi.tolist()], rtype=["09"] * n, region=regions.tolist(),
        name_hans=hans, name_hant=[cat.to_hant(h) for h in hans], name_en=en, name_pt=[""] * n, abbr=[""] * n,
        holder=holder, date=reg_day, number=numbers, strong_id=numbers, persons=persons,
        contact_hans=[p[0] for p in persons], field=rng.integers(0, len(cat.FIELDS), n),
        ach_kind=[cat.ACHIEVEMENT_KINDS[i] for i in rng.choice(3, n, p=[0.75, 0.15, 0.10]).tolist()],
        value_cny=np.full(n, np.nan), currency=["CNY"] * n, amount=np.full(n, np.nan),
        phone_cc=cc, phone_area=area, phone_local=local, phone_e164=ph_e164, updated=rng.integers(0, 86400, n))


PROJECT_HOST_TYPES = ("university", "research_institute", "laboratory", "hospital")
#: funders by host region: (funder key, probability, currency, amount range in the currency)
_FUNDERS = {
    "SZ": (("NSFC", 0.35, "CNY", (3e5, 2.6e6)), ("SZSTIC", 0.45, "CNY", (3e5, 5e6)), ("GDSTC", 0.2, "CNY", (1e5, 1e6))),
    "GZ": (("NSFC", 0.45, "CNY", (3e5, 2.6e6)), ("GZSTB", 0.3, "CNY", (2e5, 2e6)), ("GDSTC", 0.25, "CNY", (1e5, 1e6))),
    "other": (("NSFC", 0.5, "CNY", (3e5, 2.6e6)), ("GDSTC", 0.5, "CNY", (1e5, 1e6))),
    "HK": (("RGC", 0.55, "HKD", (5e5, 1.5e6)), ("ITC", 0.45, "HKD", (1e6, 1.5e7))),
    "MO": (("FDCT", 1.0, "MOP", (3e5, 6e6)),),
}
_RGC_CODE = {"HKU": "17", "CUHK": "14", "HKUST": "16", "POLYU": "15", "CITYU": "11", "HKBU": "12",
             "EDUHK": "18", "LINGNANU": "13"}


def _grant_number(funder: str, host_key: str, start: int, s: int) -> tuple[str, str]:
    """Grant number as the funder issues it, and the scheme it belongs to.  ``s`` comes from
    :func:`_grant_serials`: its serial part is never cut to the format's width (a wider number
    rather than another grant's)."""
    y = _years(np.array([start]))[0]
    if funder == "NSFC":
        return f"{1 + s % 8}{y % 100:02d}{s // 8 % 10}{s // 80:04d}", "NSFC"
    if funder == "GDSTC":
        return f"{y}A1515{s:06d}", "GDBAB"
    if funder == "GZSTB":
        return f"{y}{2 + s % 3:02d}{1 + s // 3 % 3:02d}{s // 9:04d}", "GZKJ"
    if funder == "SZSTIC":
        prefix = ("JCYJ", "JCYJ", "SGDX", "GJHZ", "KQTD")[s % 5]
        return f"{prefix}{y}{s // 5 % 10**13:013d}", prefix
    if funder == "RGC":
        return f"{_RGC_CODE.get(host_key, '19')}{s:04d}{y % 100:02d}", "GRF"
    if funder == "ITC":
        scheme = ("ITS", "ITP", "GHP", "MHP")[s % 4]
        suffix = {"ITS": "", "ITP": "LP", "GHP": "SZ", "MHP": ""}[scheme]
        return f"{scheme}/{s // 4:03d}/{y % 100:02d}{suffix}", scheme
    suffix = ("A1", "A1", "A2", "AKP", "AGJ", "AMJ")[s % 6]
    return f"{s // 6:04d}/{y}/{suffix}", "FDCT"


#: per funder, how many values of the serial select the scheme / check digits (_grant_number):
#: the serial proper is ``s // step``
_GRANT_STEP = {"NSFC": 8, "GDSTC": 1, "GZSTB": 9, "SZSTIC": 5, "RGC": 1, "ITC": 4}


def _grant_serials(funder, start, scrambled: np.ndarray, first: int) -> np.ndarray:
    """Grant serials that make each funder's numbers of one year distinct: the serial proper is
    the grant's rank among that funder's grants of that year (in scrambled order, offset by the
    batch's first index so that batches do not reuse ranks), the scheme digits stay scrambled.
    Drawn at random in the formats' few digits, two projects of one funder and year shared a
    grant number — a "strong" identifier of two entities — more often the more projects there
    were: about 3% of the project pairs the dedup stage linked at 200,000 records were such
    collisions, and the share grew with the scale."""
    funder = np.asarray(funder)
    years = np.asarray(_years(np.asarray(start)))
    out = np.empty(len(funder), dtype=np.int64)
    for f in np.unique(funder).tolist():
        step = _GRANT_STEP.get(f, 6)
        for y in np.unique(years[funder == f]).tolist():
            idx = np.flatnonzero((funder == f) & (years == y))
            rank = np.empty(len(idx), dtype=np.int64)
            rank[np.argsort(scrambled[idx], kind="stable")] = np.arange(len(idx))
            out[idx] = (rank + first) * step + scrambled[idx] % step
    return out


def make_projects(rng, world: World, regions, first: int) -> Frame:
    """Research projects and funding grants: funder, grant number, PI, host, amount, period."""
    n = len(regions)
    regions = np.asarray(regions)
    gi = np.arange(first, first + n)
    host = world.orgs.pick(rng, regions, PROJECT_HOST_TYPES, 0.8)
    funder, currency, lo, hi = [], [], np.zeros(n), np.zeros(n)
    u = rng.random(n).tolist()
    for i, (r, x) in enumerate(zip(regions.tolist(), u)):
        opts = _FUNDERS.get(r, _FUNDERS["other"])
        acc = 0.0
        for key, p, cur, (a, b) in opts:
            acc += p
            if x < acc or key == opts[-1][0]:
                funder.append(key)
                currency.append(cur)
                lo[i], hi[i] = a, b
                break
    currency = np.array(currency)
    start = _owner_founded_floor(world, host, _dates(rng, n, FX_FIRST, day("2025-06-30")))
    end = start + rng.choice([730, 1095, 1460], n) - 1
    target = np.exp(rng.uniform(np.log(lo), np.log(hi)))
    rates = world.fx.rates(currency, start)
    amount, value_cny = _money(world, rng, target * rates, currency, start,
                               {"CNY": 1000.0, "HKD": 1000.0, "MOP": 1000.0, "USD": 100.0})
    s = _grant_serials(funder, start, _perm_serial(gi, 10**13, world.seed), first).tolist()
    grants = [_grant_number(f, world.orgs.key[h], st, si)
              for f, h, st, si in zip(funder, host.tolist(), start.tolist(), s)]
    tt = rng.integers(0, len(cat.PROJECT_TECH), n).tolist()
    ta = rng.integers(0, len(cat.PROJECT_APPL), n).tolist()
    form = rng.random(n) < 0.6
    hans = [f"面向{cat.PROJECT_APPL[a][0]}的{cat.PROJECT_TECH[t][0]}关键技术研究" if f
            else f"{cat.PROJECT_TECH[t][0]}在{cat.PROJECT_APPL[a][0]}中的应用研究"
            for t, a, f in zip(tt, ta, form.tolist())]
    en = [f"Key technologies of {cat.PROJECT_TECH[t][1]} for {cat.PROJECT_APPL[a][1]}" if f
          else f"Applying {cat.PROJECT_TECH[t][1]} to {cat.PROJECT_APPL[a][1]}"
          for t, a, f in zip(tt, ta, form.tolist())]
    pi = people(rng, regions.tolist())
    rtype = np.where((regions == "MO") & (rng.random(n) < 0.25), "06", "14").tolist()
    return Frame(
        "project", eid=[f"PRJ-{i:09d}" for i in gi.tolist()], rtype=rtype, region=regions.tolist(),
        name_hans=hans, name_hant=[cat.to_hant(h) for h in hans], name_en=en, name_pt=[""] * n, abbr=[""] * n,
        host=host, funder=[world.orgs.index[f] for f in funder], funder_key=funder,
        grant=[g for g, _ in grants], scheme=[sc for _, sc in grants], strong_id=[g for g, _ in grants],
        pi_hans=pi["hans"], pi_hant=pi["hant"], pi_en=pi["en"], pi_sur=pi["sur"], pi_given=pi["given"],
        pi_style=pi["style"], date=start, end=end, currency=currency.tolist(), amount=amount,
        value_cny=value_cny, field=rng.integers(0, len(cat.FIELDS), n), updated=rng.integers(0, 86400, n))


def make_policies(rng, world: World, regions, first: int) -> Frame:
    """Policy documents of Guangdong/Guangzhou science authorities, each with a document number."""
    n = len(regions)
    gi = np.arange(first, first + n)
    k = len(cat.POLICY_ISSUERS)
    iss = (gi % k).tolist()
    years = (2015 + (gi // k) % 11).tolist()
    nums = (1 + gi // (k * 11)).tolist()
    subj = rng.integers(0, len(cat.POLICY_SUBJECTS), n).tolist()
    dtyp = rng.integers(0, len(cat.POLICY_DOCTYPES), n).tolist()
    rev = (rng.random(n) < 0.3).tolist()
    names, docnos, issuer = [], [], []
    for i, y, nu, s, d, rv in zip(iss, years, nums, subj, dtyp, rev):
        key, prefix = cat.POLICY_ISSUERS[i]
        org = cat.ORG_BY_KEY[key]
        scope = "广州市" if key == "GZSTB" else "广东省"
        doc = f"{scope}{cat.POLICY_SUBJECTS[s]}{cat.POLICY_DOCTYPES[d]}" + (f"（{y}年修订）" if rv else "")
        names.append(f"{org.hans}关于印发《{doc}》的通知")
        docnos.append(f"{prefix}〔{y}〕{nu}号")
        issuer.append(world.orgs.index[key])
    pub = np.array([day(f"{y}-01-01") for y in years]) + rng.integers(0, 360, n)
    return Frame(
        "policy", eid=[f"POL-{i:09d}" for i in gi.tolist()], rtype=["01"] * n, region=["GZ"] * n,
        name_hans=names, name_hant=[cat.to_hant(x) for x in names], name_en=[""] * n, name_pt=[""] * n,
        abbr=[""] * n, docno=docnos, strong_id=docnos, issuer=issuer, date=pub, subject=subj,
        value_cny=np.full(n, np.nan), currency=["CNY"] * n, amount=np.full(n, np.nan),
        updated=rng.integers(0, 86400, n))


_EVENT_ORGS = ("HKSTP", "ASTRI", "HKU", "CUHK", "HKUST", "POLYU", "CITYU", "HKBU", "HKPC", "LSCM", "NAMI", "ITC")
VENUES = (("香港科學園", "Hong Kong Science Park"), ("香港會議展覽中心", "Hong Kong Convention and Exhibition Centre"),
           ("數碼港", "Cyberport"), ("亞洲國際博覽館", "AsiaWorld-Expo"), ("大學校園", "University campus"))


def make_events(rng, world: World, regions, first: int) -> Frame:
    """S&T exchange events announced on the Hong Kong platform (bilingual titles)."""
    n = len(regions)
    gi = np.arange(first, first + n)
    org = [_EVENT_ORGS[i] for i in rng.integers(0, len(_EVENT_ORGS), n).tolist()]
    et = rng.integers(0, len(cat.EVENT_TYPES), n).tolist()
    fl = rng.integers(0, len(cat.FIELDS), n).tolist()
    pub = _dates(rng, n, day("2016-01-01"), day("2025-11-30"))
    when = pub + rng.integers(14, 75, n)
    years = _years(when)
    ed = (1 + gi // 997 % 9).tolist()
    en, hant = [], []
    for o, t, f, y, e in zip(org, et, fl, years, ed):
        ab = cat.ORG_BY_KEY[o].abbr
        edn = f" ({e}{'st' if e == 1 else 'nd' if e == 2 else 'rd' if e == 3 else 'th'} edition)" if e > 1 else ""
        en.append(f"{ab} {cat.EVENT_TYPES[t][0]} on {cat.FIELDS[f][1]} {y}{edn}")
        hant.append(f"{y}年{cat.ORG_BY_KEY[o].abbr_zh or ab}{cat.to_hant(cat.FIELDS[f][0])}{cat.EVENT_TYPES[t][1]}"
                    + (f"（第{e}屆）" if e > 1 else ""))
    return Frame(
        "event", eid=[f"EVT-{i:09d}" for i in gi.tolist()], rtype=["10"] * n, region=["HK"] * n,
        name_hans=[_T2S.convert(h) for h in hant], name_hant=hant, name_en=en, name_pt=[""] * n, abbr=[""] * n,
        organiser=[world.orgs.index[o] for o in org], date=pub, when=when,
        venue=rng.integers(0, len(VENUES), n), strong_id=[""] * n,
        value_cny=np.full(n, np.nan), currency=["CNY"] * n, amount=np.full(n, np.nan),
        updated=rng.integers(0, 86400, n))


_STD_PARTS = (("", ""), ("第1部分：通用要求", "Part 1: General requirements"),
              ("第2部分：数据采集", "Part 2: Data collection"), ("第3部分：测试方法", "Part 3: Test methods"),
              ("第4部分：运行维护", "Part 4: Operation and maintenance"), ("第5部分：安全", "Part 5: Security"))
STANDARD_ORG_TYPES = ("enterprise", "university", "research_institute")


def make_standards(rng, world: World, regions, first: int) -> Frame:
    """Local and association standards published on the Shenzhen platform."""
    n = len(regions)
    regions = np.asarray(regions)
    gi = np.arange(first, first + n)
    series_p = np.array([p for _, p in cat.STANDARD_SERIES])
    ser = rng.choice(len(cat.STANDARD_SERIES), n, p=series_p / series_p.sum()).tolist()
    pub = _dates(rng, n, day("2015-01-01"), day("2025-10-31"))
    years = _years(pub)
    numbers = [f"{cat.STANDARD_SERIES[s][0]} {1 + int(g)}-{y}" for s, g, y in zip(ser, gi.tolist(), years)]
    subj = rng.integers(0, len(cat.STANDARD_SUBJECTS), n).tolist()
    dt_ = rng.integers(0, len(cat.STANDARD_DOCTYPES), n).tolist()
    part = np.where(rng.random(n) < 0.35, rng.integers(1, len(_STD_PARTS), n), 0).tolist()
    hans = [f"{cat.STANDARD_SUBJECTS[s][0]}{cat.STANDARD_DOCTYPES[d][0]}" + (f"　{_STD_PARTS[p][0]}" if p else "")
            for s, d, p in zip(subj, dt_, part)]
    en = [f"{cat.STANDARD_SUBJECTS[s][1]} — {cat.STANDARD_DOCTYPES[d][1]}" + (f" — {_STD_PARTS[p][1]}" if p else "")
          for s, d, p in zip(subj, dt_, part)]
    drafter = world.orgs.pick(rng, regions, STANDARD_ORG_TYPES, 0.5)
    impl = pub + rng.integers(30, 120, n)
    status = np.where(impl > REF_DAY, "即将实施", np.where(rng.random(n) < 0.1, "废止", "现行")).tolist()
    return Frame(
        "standard", eid=[f"STD-{i:09d}" for i in gi.tolist()], rtype=["13"] * n, region=regions.tolist(),
        name_hans=hans, name_hant=[cat.to_hant(h) for h in hans], name_en=en, name_pt=[""] * n, abbr=[""] * n,
        number=numbers, strong_id=numbers, date=pub, implement=impl, status=status, drafter=drafter,
        value_cny=np.full(n, np.nan), currency=["CNY"] * n, amount=np.full(n, np.nan),
        updated=rng.integers(0, 86400, n))


MAKERS = {"instrument": make_instruments, "talent": make_talent, "patent": make_patents,
          "achievement": make_achievements, "project": make_projects, "policy": make_policies,
          "event": make_events, "standard": make_standards}

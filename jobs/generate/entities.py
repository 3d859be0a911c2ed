"""True entities with their true canonical values — made before any source record exists.

Every kind is built columnar (lists/arrays of equal length) in chunks, so millions of entities
cost list look-ups, not per-object Python.  A ``Frame`` holds one chunk of one kind; the
organisation pool (real catalogue + synthetic organisations) is shared by all kinds.
"""
from __future__ import annotations

import hashlib

import numpy as np
import opencc

from . import catalogue as cat
from .conventions import day, e164, new_phones
from .fx import FxRates
from .identifiers import USCC_TYPE, orcid, patent_number, uscc_from_key

REF_DAY = day("2025-12-31")          # the sample data's "today"
FX_FIRST = day("2015-01-01")         # money-bearing facts happen inside the FX table
MAINLAND = set(cat.MAINLAND)
_T2S = opencc.OpenCC("t2s")
STYLE = {r: ("hk" if r == "HK" else "mo" if r == "MO" else "mainland") for r in cat.REGIONS}


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


def _pick(rng, seq, idx_or_n):
    """Elements of ``seq`` at random (``n``) or given indices."""
    idx = rng.integers(0, len(seq), idx_or_n) if isinstance(idx_or_n, int) else idx_or_n
    return [seq[i] for i in idx.tolist()], idx


def _hash_int(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


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


# ---------------------------------------------------------------------------------- people
_SW = np.array([s[5] for s in cat.SURNAMES], float)
_SW /= _SW.sum()


def people(rng: np.random.Generator, regions) -> dict[str, list]:
    """Person names for people based in ``regions``: Chinese in both scripts plus romanisation
    (pinyin on the mainland, Hong Kong and Macao Cantonese spellings elsewhere)."""
    n = len(regions)
    style = np.array([STYLE[r] for r in regions])
    s = rng.choice(len(cat.SURNAMES), n, p=_SW).tolist()
    g1 = rng.integers(0, len(cat.GIVEN_CHARS), n).tolist()
    g2 = rng.integers(0, len(cat.GIVEN_CHARS), n).tolist()
    two = (rng.random(n) < np.where(style == "mainland", 0.6, 0.93)).tolist()
    S, G = cat.SURNAMES, cat.GIVEN_CHARS
    col = {"mainland": 2, "hk": 3, "mo": 4}
    hans, hant, sur, given, en = [], [], [], [], []
    for si, a, b, t, st in zip(s, g1, g2, two, style.tolist()):
        hans.append(S[si][0] + G[a][0] + (G[b][0] if t else ""))
        hant.append(S[si][1] + G[a][1] + (G[b][1] if t else ""))
        c = col[st]
        sn = S[si][c]
        gn = ((G[a][2] + G[b][2]).capitalize() if t else G[a][2].capitalize()) if c == 2 else \
            (f"{G[a][c]} {G[b][c]}" if t else G[a][c])
        sur.append(sn)
        given.append(gn)
        en.append(f"{sn.upper()} {gn}")
    return {"hans": hans, "hant": hant, "sur": sur, "given": given, "en": en, "style": style.tolist()}


def _email_local(sur: list[str], given: list[str], k: np.ndarray) -> list[str]:
    out = []
    for s, g, kk in zip(sur, given, k.tolist()):
        s2 = s.lower().replace(" ", "")
        g2 = g.lower().replace(" ", "")
        initials = "".join(p[0] for p in g.lower().split(" "))
        out.append((f"{g2}.{s2}", f"{initials}{s2}", f"{s2}{g2}{kk % 97}")[kk % 3])
    return out


def _phones(rng, regions, mobile_share: float):
    """Valid phone numbers for people/places in ``regions``: (cc, area, local, e164) lists."""
    regions = np.asarray(regions)
    n = len(regions)
    cc, area, local = [""] * n, [""] * n, [""] * n
    for r in np.unique(regions).tolist():
        idx = np.flatnonzero(regions == r)
        reg = cat.REGIONS[r]
        a, l_ = new_phones(rng, reg.cc, reg.area, len(idx), mobile_share)
        for j, i in enumerate(idx.tolist()):
            cc[i], area[i], local[i] = reg.cc, a[j], l_[j]
    return cc, area, local, [e164(c, a, l_) for c, a, l_ in zip(cc, area, local)]


# ----------------------------------------------------------------------- organisation pool
_DISTRICTS = {
    "GZ": (("天河区", "Tianhe District"), ("海珠区", "Haizhu District"), ("黄埔区", "Huangpu District"),
           ("番禺区", "Panyu District"), ("南沙区", "Nansha District")),
    "SZ": (("南山区", "Nanshan District"), ("福田区", "Futian District"), ("龙岗区", "Longgang District"),
           ("宝安区", "Bao'an District"), ("光明区", "Guangming District")),
    "ZH": (("香洲区", "Xiangzhou District"), ("金湾区", "Jinwan District"), ("斗门区", "Doumen District")),
    "FS": (("禅城区", "Chancheng District"), ("南海区", "Nanhai District"), ("顺德区", "Shunde District")),
    "JM": (("蓬江区", "Pengjiang District"), ("江海区", "Jianghai District"), ("新会区", "Xinhui District")),
    "ZQ": (("端州区", "Duanzhou District"), ("鼎湖区", "Dinghu District"), ("高要区", "Gaoyao District")),
    "HZ": (("惠城区", "Huicheng District"), ("惠阳区", "Huiyang District"), ("仲恺高新区", "Zhongkai Hi-tech Zone")),
    "DG": (("松山湖", "Songshan Lake"), ("南城街道", "Nancheng Subdistrict"), ("长安镇", "Chang'an Town")),
    "ZS": (("石岐街道", "Shiqi Subdistrict"), ("火炬开发区", "Torch Development Zone"), ("东区街道", "East Subdistrict")),
    "HK": (("沙田", "Sha Tin"), ("觀塘", "Kwun Tong"), ("荃灣", "Tsuen Wan"), ("九龍灣", "Kowloon Bay"),
           ("數碼港", "Cyberport")),
    "MO": (("氹仔", "Taipa"), ("路環", "Coloane"), ("澳門半島", "Macau Peninsula")),
}
_ROADS_CN = (("科技路", "Keji Road"), ("创新大道", "Chuangxin Avenue"), ("高新一路", "Gaoxin 1st Road"),
             ("学府路", "Xuefu Road"), ("产业园路", "Chanyeyuan Road"))
_ROADS_HK = (("科學園路", "Science Park Road"), ("偉業街", "Wai Yip Street"), ("海濱道", "Hoi Bun Road"),
             ("青山公路", "Castle Peak Road"))
_ROADS_MO = (("友誼大馬路", "Avenida da Amizade"), ("孫逸仙大馬路", "Avenida Dr. Sun Yat-Sen"),
             ("北京街", "Rua de Pequim"))
ORG_INDEX_BASE = 10_000_000  # synthetic org ids: ORG-S<8 digits>


class OrgPool:
    """All organisations (catalogue first, then synthetic), columnar, with look-ups by region."""

    def __init__(self, rng: np.random.Generator, n_synth: int, synth_regions: dict[str, float]) -> None:
        cols: dict[str, list] = {k: [] for k in (
            "eid", "key", "hans", "hant", "en", "pt", "abbr", "abbr_zh", "type", "region", "parent",
            "founded", "web", "addr", "addr_en", "domain", "weight", "real")}
        for o in cat.ORGS:
            self._add(cols, eid=f"ORG-{o.key}", key=o.key, hans=o.hans, hant=o.hant or cat.to_hant(o.hans),
                      en=o.en, pt=o.pt, abbr=o.abbr, abbr_zh=o.abbr_zh, type=o.type, region=o.region,
                      parent=o.parent, founded=day(o.founded), web=o.web, addr=o.addr, addr_en=o.addr_en,
                      domain=o.domain, weight=o.weight, real=True)
        for fields in _synthetic_orgs(rng, n_synth, synth_regions):
            self._add(cols, **fields)
        self.cols = cols
        self.n = len(cols["eid"])
        self.region = np.array(cols["region"])
        self.type = np.array(cols["type"])
        self.weight = np.array(cols["weight"], float)
        self.real = np.array(cols["real"])
        self.emitted = self.region != ""
        key_index = {k: i for i, k in enumerate(cols["key"])}
        self.index = key_index
        self.parent_idx = np.array([key_index.get(p, -1) for p in cols["parent"]])
        # identifiers and contacts
        self.credit = [uscc_from_key(k, USCC_TYPE[t], cat.REGIONS[r].admin) if r in MAINLAND else ""
                       for k, t, r in zip(cols["key"], cols["type"], cols["region"])]
        self.br_no = [f"{_hash_int(k) % 10**8:08d}" if r == "HK" and t == "enterprise" else ""
                      for k, t, r in zip(cols["key"], cols["type"], cols["region"])]
        phone_regions = [r or "GZ" for r in cols["region"]]
        self.phone_cc, self.phone_area, self.phone_local, self.phone_e164 = _phones(rng, phone_regions, 0.0)

    @staticmethod
    def _add(cols, **fields):
        for k, v in fields.items():
            cols[k].append(v)

    def __getattr__(self, name):
        try:
            return self.__dict__["cols"][name]
        except KeyError:
            raise AttributeError(name) from None

    def pick(self, rng: np.random.Generator, regions, types: tuple[str, ...], real_share: float) -> np.ndarray:
        """One organisation per element of ``regions``, of one of ``types``: a catalogue organisation
        (by weight) with probability ``real_share``, else a synthetic one."""
        regions = np.asarray(regions)
        out = np.empty(len(regions), dtype=np.int64)
        ok_type = np.isin(self.type, types) & self.emitted
        for r in np.unique(regions).tolist():
            pos = np.flatnonzero(regions == r)
            here = ok_type & (self.region == r)
            real = np.flatnonzero(here & self.real)
            synth = np.flatnonzero(here & ~self.real)
            if len(real) == 0 and len(synth) == 0:
                synth = np.flatnonzero((self.region == r) & ~self.real)
                real = np.flatnonzero((self.region == r) & self.real)
            use_real = rng.random(len(pos)) < (real_share if len(synth) else 1.0)
            if len(real) == 0:
                use_real[:] = False
            w = self.weight[real] / self.weight[real].sum() if len(real) else None
            if use_real.any():
                out[pos[use_real]] = rng.choice(real, use_real.sum(), p=w)
            if (~use_real).any():
                out[pos[~use_real]] = rng.choice(synth, (~use_real).sum())
        return out


def _synthetic_orgs(rng, n: int, region_p: dict[str, float]):
    """Synthetic companies, research bases and hospitals with unique names, per region."""
    codes = list(region_p)
    p = np.array([region_p[c] for c in codes], float)
    p /= p.sum()
    base = [codes[i % len(codes)] for i in range(min(n, 3 * len(codes)))]
    regions = base + rng.choice(codes, max(0, n - len(base)), p=p).tolist()
    counts = {r: regions.count(r) for r in codes}
    used: set[str] = set()
    seq = 0
    for r in codes:
        reg = cat.REGIONS[r]
        c = counts[r]
        if not c:
            continue
        kind = rng.random(c)
        n_base = int((kind < 0.2).sum())
        n_hosp = int(((kind >= 0.2) & (kind < 0.25)).sum()) if r in MAINLAND else 0
        made: list[dict] = []
        made += _bases(rng, r, n_base, used)
        made += _hospitals(rng, r, n_hosp, used)
        made += _companies(rng, r, c - len(made), used)
        dist = _DISTRICTS[r]
        d_idx = rng.integers(0, len(dist), len(made)).tolist()
        num = rng.integers(1, 400, len(made)).tolist()
        founded = rng.integers(day("1985-01-01"), day("2023-12-31"), len(made)).tolist()
        for f, di, nu, fd in zip(made, d_idx, num, founded):
            dz, de = dist[di]
            if r == "HK":
                road, road_en = _ROADS_HK[nu % len(_ROADS_HK)]
                addr, addr_en = f"香港{dz}{road}{nu}號", f"{nu} {road_en}, {de}, Hong Kong"
            elif r == "MO":
                road, road_en = _ROADS_MO[nu % len(_ROADS_MO)]
                addr, addr_en = f"澳門{dz}{road}{nu}號", f"{nu} {road_en}, {de}, Macau"
            else:
                road, road_en = _ROADS_CN[nu % len(_ROADS_CN)]
                addr, addr_en = f"{reg.hans}{dz}{road}{nu}号", f"{nu} {road_en}, {de}, {reg.en}"
            key = f"S{ORG_INDEX_BASE + seq}"
            seq += 1
            yield dict(eid=f"ORG-{key}", key=key, region=r, founded=fd, addr=addr, addr_en=addr_en,
                       weight=1.0, real=False, **f)


def _companies(rng, r: str, n: int, used: set[str]) -> list[dict]:
    reg = cat.REGIONS[r]
    B, IND = cat.BRAND_CHARS, cat.INDUSTRIES
    space = len(B) * len(B) * len(IND)
    out = []
    for code in rng.choice(space, min(n, space), replace=False).tolist():
        b1, rest = divmod(code, len(B) * len(IND))
        b2, ind = divmod(rest, len(IND))
        if b1 == b2:
            b2 = (b2 + 1) % len(B)
        ih, ie = IND[ind]
        if r in MAINLAND:
            city = reg.hans.rstrip("市")
            hans = f"{city}{B[b1][0]}{B[b2][0]}{ih}有限公司"
            hant = cat.to_hant(hans)
            brand = (B[b1][2] + B[b2][2]).capitalize()
            en = f"{reg.en} {brand} {ie} Co., Ltd."
            pt = ""
            domain = f"{brand.lower()}{ie.split()[0].lower()}.com.cn"
            abbr_zh = f"{B[b1][0]}{B[b2][0]}{ih}"
        else:
            hant = f"{B[b1][1]}{B[b2][1]}{cat.to_hant(ih)}有限公司"
            hans = f"{B[b1][0]}{B[b2][0]}{ih}有限公司"
            brand = f"{B[b1][3]} {B[b2][3]}"
            en = f"{brand} {ie} Limited"
            pt = f"{brand} {ie}, Limitada" if r == "MO" else ""
            domain = f"{brand.replace(' ', '').lower()}.com.{'hk' if r == 'HK' else 'mo'}"
            abbr_zh = f"{B[b1][1]}{B[b2][1]}{cat.to_hant(ih)}"
        if hans in used:
            continue
        used.add(hans)
        out.append(dict(hans=hans, hant=hant, en=en, pt=pt, abbr="", abbr_zh=abbr_zh, type="enterprise",
                        parent="", web=f"https://www.{domain}", domain=domain))
    return out


def _bases(rng, r: str, n: int, used: set[str]) -> list[dict]:
    """Key laboratories, engineering centres and new-type R&D institutes hosted by real orgs."""
    reg = cat.REGIONS[r]
    hosts = [o for o in cat.ORGS if o.region == r and o.type in ("university", "research_institute")]
    out = []
    if not n:
        return out
    combos = [(k, f, h) for k in range(len(cat.BASE_KINDS)) for f in range(len(cat.FIELDS))
              for h in range(max(1, len(hosts)))]
    for ci in rng.permutation(len(combos)).tolist():
        if len(out) >= n:
            break
        k, f, h = combos[ci]
        tmpl_zh, tmpl_en, typ = cat.BASE_KINDS[k]
        fh, fe, fp = cat.FIELDS[f]
        host = hosts[h] if hosts else None
        if r in ("HK", "MO"):
            if host is None:
                continue
            hant_host = host.hant or cat.to_hant(host.hans)
            hant = f"{hant_host}{cat.to_hant(fh)}研究中心"
            hans = f"{host.hans}{fh}研究中心"
            en = f"{fe} Research Centre, {host.en}"
            pt = f"Centro de Investigação em {fp}, {host.pt}" if r == "MO" else ""
            typ = "research_institute"
        else:
            if "{c}" in tmpl_zh and host is None:
                hans = tmpl_zh.format(c=reg.hans, f=fh)
                en = tmpl_en.format(c=reg.en, f=fe)
            else:
                hans = tmpl_zh.format(c=host.hans if host else reg.hans, f=fh)
                en = tmpl_en.format(c=host.en if host else reg.en, f=fe)
            hant, pt = cat.to_hant(hans), ""
        if hans in used:
            continue
        used.add(hans)
        out.append(dict(hans=hans, hant=hant, en=en, pt=pt, abbr="", abbr_zh="", type=typ,
                        parent=host.key if host else "", web=host.web if host else "",
                        domain=host.domain if host else "gd.gov.cn"))
    return out


_ORDINALS = ("First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth")
_CN_NUM = "一二三四五六七八九十"


def _hospitals(rng, r: str, n: int, used: set[str]) -> list[dict]:
    reg = cat.REGIONS[r]
    out = []
    for k in rng.permutation(10)[:n].tolist():
        hans = f"{reg.hans}第{_CN_NUM[k]}人民医院"
        if hans in used:
            continue
        used.add(hans)
        out.append(dict(hans=hans, hant=cat.to_hant(hans), en=f"The {_ORDINALS[k]} People's Hospital of {reg.en}",
                        pt="", abbr="", abbr_zh="", type="hospital", parent="", web="",
                        domain=f"{reg.en.lower()}{k + 1}yy.com"))
    return out


def org_frame(pool: OrgPool, idx: np.ndarray) -> Frame:
    """Institution entities (catalogue and synthetic organisations at ``idx``)."""
    g = lambda name: [pool.cols[name][i] for i in idx.tolist()]  # noqa: E731
    types = g("type")
    return Frame(
        "org", eid=g("eid"), pool_idx=idx, rtype=[cat.ORG_RESOURCE_TYPE.get(t, "04") for t in types],
        region=g("region"), name_hans=g("hans"), name_hant=g("hant"), name_en=g("en"), name_pt=g("pt"),
        abbr=g("abbr"), abbr_zh=g("abbr_zh"), type=types, date=np.array(g("founded")),
        strong_id=[pool.credit[i] or pool.br_no[i] for i in idx.tolist()],
        value_cny=np.full(len(idx), np.nan), currency=["CNY"] * len(idx), amount=np.full(len(idx), np.nan),
        parent_idx=pool.parent_idx[idx], web=g("web"), addr=g("addr"), addr_en=g("addr_en"),
        credit=[pool.credit[i] for i in idx.tolist()], br_no=[pool.br_no[i] for i in idx.tolist()],
        phone_cc=[pool.phone_cc[i] for i in idx.tolist()], phone_area=[pool.phone_area[i] for i in idx.tolist()],
        phone_local=[pool.phone_local[i] for i in idx.tolist()], phone_e164=[pool.phone_e164[i] for i in idx.tolist()],
        domain=g("domain"))


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
           step: dict[str, float]):
    """Native amounts rounded as people quote them, and their exact CNY value at the day's rate."""
    rate = world.fx.rates(currency, dates)
    native = value_cny_target / rate
    steps = np.array([step[c] for c in currency.tolist()])
    native = np.maximum(np.round(native / steps) * steps, steps)
    cents = (currency == "CNY") & (rng.random(len(native)) < 0.3)
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
                               {"CNY": 100.0, "HKD": 1000.0, "MOP": 1000.0, "USD": 100.0})
    below = value_cny < 300_000
    p = people(rng, regions.tolist())
    cc, area, local, ph_e164 = _phones(rng, regions, 0.25)
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
        email=[f"{lc}@{d}" for lc, d in zip(_email_local(p["sur"], p["given"], rng.integers(0, 10**6, n)), dom)],
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
    cc, area, local, ph_e164 = _phones(rng, regions, 0.3)
    dom = [world.orgs.domain[o] or "mail.example.com" for o in aff.tolist()]
    return Frame(
        "talent", eid=[f"TAL-{i:09d}" for i in gi.tolist()], rtype=["05"] * n, region=regions.tolist(),
        name_hans=p["hans"], name_hant=p["hant"], name_en=p["en"], name_pt=[""] * n, abbr=[""] * n,
        sur=p["sur"], given=p["given"], style=p["style"], affiliation=aff, field=field, title=title,
        orcid=orcids, strong_id=orcids, date=_dates(rng, n, day("2016-01-01"), day("2025-09-30")),
        value_cny=np.full(n, np.nan), currency=["CNY"] * n, amount=np.full(n, np.nan),
        phone_cc=cc, phone_area=area, phone_local=local, phone_e164=ph_e164,
        email=[f"{lc}@{d}" for lc, d in zip(_email_local(p["sur"], p["given"], rng.integers(0, 10**6, n)), dom)],
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
    grant = np.where((rng.random(n) < granted_p) & (app + lag <= REF_DAY), app + lag, -1)
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
        abbr=[""] * n, kind=kind, holder=holder, co_holder=co, date=app, grant=grant, number=numbers,
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
    cc, area, local, ph_e164 = _phones(rng, regions, 0.3)
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
    """Grant number as the funder issues it, and the scheme it belongs to."""
    y = _years(np.array([start]))[0]
    if funder == "NSFC":
        return f"{1 + s % 8}{y % 100:02d}{s // 8 % 10}{s // 80 % 10000:04d}", "NSFC"
    if funder == "GDSTC":
        return f"{y}A1515{s % 10**6:06d}", "GDBAB"
    if funder == "GZSTB":
        return f"{y}{2 + s % 3:02d}{1 + s // 3 % 3:02d}{s // 9 % 10**4:04d}", "GZKJ"
    if funder == "SZSTIC":
        prefix = ("JCYJ", "JCYJ", "SGDX", "GJHZ", "KQTD")[s % 5]
        return f"{prefix}{y}{s // 5 % 10**13:013d}", prefix
    if funder == "RGC":
        return f"{_RGC_CODE.get(host_key, '19')}{s % 10**4:04d}{y % 100:02d}", "GRF"
    if funder == "ITC":
        scheme = ("ITS", "ITP", "GHP", "MHP")[s % 4]
        suffix = {"ITS": "", "ITP": "LP", "GHP": "SZ", "MHP": ""}[scheme]
        return f"{scheme}/{s // 4 % 1000:03d}/{y % 100:02d}{suffix}", scheme
    suffix = ("A1", "A1", "A2", "AKP", "AGJ", "AMJ")[s % 6]
    return f"{s // 6 % 10**4:04d}/{y}/{suffix}", "FDCT"


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
    s = _perm_serial(gi, 10**13, world.seed).tolist()
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
_VENUES = (("香港科學園", "Hong Kong Science Park"), ("香港會議展覽中心", "Hong Kong Convention and Exhibition Centre"),
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
        venue=rng.integers(0, len(_VENUES), n), strong_id=[""] * n,
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

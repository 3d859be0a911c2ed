"""The organisation pool: every catalogue organisation plus synthetic companies, research bases
and hospitals (unique names per region), columnar, with weighted look-ups by region and type.
"""
from __future__ import annotations

import hashlib

import numpy as np

from . import catalogue as cat
from .conventions import day
from .identifiers import USCC_TYPE, uscc_from_key
from .people import phones

MAINLAND = set(cat.MAINLAND)


def hash_int(text: str) -> int:
    """A stable integer from a text (not Python's salted hash)."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


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
            "founded", "web", "addr", "addr_en", "domain", "weight", "real", "former_zh", "former_en")}
        for o in cat.ORGS:
            self._add(cols, eid=f"ORG-{o.key}", key=o.key, hans=o.hans, hant=o.hant or cat.to_hant(o.hans),
                      en=o.en, pt=o.pt, abbr=o.abbr, abbr_zh=o.abbr_zh, type=o.type, region=o.region,
                      parent=o.parent, founded=day(o.founded), web=o.web, addr=o.addr, addr_en=o.addr_en,
                      domain=o.domain, weight=o.weight, real=True, former_zh=o.former_zh, former_en=o.former_en)
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
        self.br_no = [f"{hash_int(k) % 10**8:08d}" if r == "HK" and t == "enterprise" else ""
                      for k, t, r in zip(cols["key"], cols["type"], cols["region"])]
        phone_regions = [r or "GZ" for r in cols["region"]]
        self.phone_cc, self.phone_area, self.phone_local, self.phone_e164 = phones(rng, phone_regions, 0.0)

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
                       weight=1.0, real=False, former_zh="", former_en="", **f)


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

"""Turning entity columns into published values: names in a script with the record's variant,
organisation references, phones, money, dates, identifiers and timestamps.
"""
from __future__ import annotations

import zlib

import numpy as np
import opencc

from . import catalogue as cat
from .conventions import fmt_dates, fmt_timestamps, money, phone_text
from .entities import NO_DATE, REF_DAY
from .identifiers import GRANT_STYLES, ORCID_STYLES, PATENT_STYLES, SERIAL_STYLES
from .spec import Batch
from .variants import ABBREV, CROSS, ENGLISH, IDFORMAT, SCRIPT, TYPO, person_en, typo

_T2S = opencc.OpenCC("t2s")
FOREIGN = ("HK", "MO")
_FIELDS_HANT = [cat.to_hant(f[0]) for f in cat.FIELDS]


def names_zh(b: Batch, script: str, en_allowed: bool = False, keep_original: bool = True) -> list[str]:
    """The entity's Chinese name in ``script`` ('hans'/'hant'), with the record's variant applied:
    the other script, an abbreviation, a typo, or (cross-platform, if ``keep_original``) the
    original publisher's script."""
    hans, hant, en = b.col("name_hans"), b.col("name_hant"), b.col("name_en")
    abbr = b.col("abbr_zh") if "abbr_zh" in b.frame.cols else b.col("abbr")
    former = b.col("former_zh") if "former_zh" in b.frame.cols else [""] * b.n
    region = b.col("region")
    keep = (b.rng.random(b.n) < 0.3).tolist()
    salt = b.rng.integers(0, 10**6, b.n).tolist()
    out = []
    for i, v in enumerate(b.var.tolist()):
        own, other = (hans[i], hant[i]) if script == "hans" else (hant[i], hans[i])
        if v == SCRIPT:
            name = other
        elif v == CROSS and keep[i] and keep_original:
            name = hant[i] if region[i] in FOREIGN else hans[i]
        elif v == ABBREV and former[i] and (salt[i] % 2 or not abbr[i]):  # a former name
            name = _to_script(former[i], script)
        elif v == ABBREV and abbr[i]:
            name = _to_script(abbr[i], script)
        elif v == ENGLISH and en_allowed and en[i]:
            name = en[i]
        elif v == TYPO:
            name = typo(own, salt[i])
        else:
            name = own
        out.append(name)
    return out


def names_en(b: Batch) -> list[str]:
    """English names; an abbreviation variant uses the English abbreviation (or the former name,
    for an organisation renamed) when there is one."""
    en, abbr = b.col("name_en"), b.col("abbr")
    former = b.col("former_en") if "former_en" in b.frame.cols else [""] * b.n
    return [f if v == ABBREV and f and (len(e) % 2 or not a) else a if v == ABBREV and a and a.isascii() else e
            for e, a, f, v in zip(en, abbr, former, b.var.tolist())]


def to_hans(text: str) -> str:
    """Traditional → Simplified (OpenCC t2s)."""
    return _T2S.convert(text) if text else text


def _to_script(text: str, script: str) -> str:
    return cat.to_hant(text) if script == "hant" else _T2S.convert(text)


def locations_zh(b: Batch, script: str) -> list[str]:
    """Instrument locations in ``script`` (addresses are stored in their home script)."""
    conv = cat.to_hant if script == "hant" else _T2S.convert
    home = "hant" if script == "hant" else "hans"
    return [x if (reg in FOREIGN) == (home == "hant") else conv(x)
            for x, reg in zip(b.col("loc_zh"), b.col("region"))]


def org_refs(b: Batch, org_idx, lang: str, abbr_share: float = 0.08) -> list[str]:
    """How a record names an organisation (owner, host, affiliation …): full name in ``lang``
    ('hans', 'hant', 'en', 'pt'), sometimes its abbreviation."""
    pool = b.world.orgs
    idx = np.asarray(org_idx).tolist()
    short = (b.rng.random(len(idx)) < abbr_share).tolist()
    out = []
    for i, s in zip(idx, short):
        if i < 0:
            out.append("")
            continue
        if lang == "en":
            name = pool.abbr[i] if s and pool.abbr[i] else pool.en[i]
        elif lang == "pt":
            name = pool.pt[i] or pool.en[i]
        else:
            name = pool.hans[i] if lang == "hans" else pool.hant[i]
            if s and pool.abbr_zh[i]:
                name = _to_script(pool.abbr_zh[i], lang)
        out.append(name)
    return out


def phones(b: Batch, home_cc: str) -> list[str]:
    """Phone numbers as written on a platform whose country code is ``home_cc``."""
    k = b.choice(4)
    return [phone_text(c, a, l_, home_cc, kk) if l_ else ""
            for c, a, l_, kk in zip(b.col("phone_cc"), b.col("phone_area"), b.col("phone_local"), k)]


def converted(b: Batch, currency: str) -> np.ndarray:
    """The entity's amount in ``currency`` at the rate of its date (rounded to cents)."""
    native_cur = np.array(b.col("currency"))
    amount = b.arr("amount")
    value_cny = b.arr("value_cny")
    days = b.arr("date")
    out = np.where(native_cur == currency, amount,
                   np.round(value_cny / b.world.fx.rate(currency, days), 2))
    return out


def amounts(b: Batch, currency: str, keep_share: float) -> tuple[list[float], list[str]]:
    """Amounts in the platform's ``currency``; cross-platform copies keep their original currency
    with probability ``keep_share``.  Returns (amount, currency) lists."""
    native_cur = b.col("currency")
    conv = converted(b, currency).tolist()
    native = b.arr("amount").tolist()
    keep = (b.rng.random(b.n) < keep_share).tolist()
    amt, cur = [], []
    for i, v in enumerate(b.var.tolist()):
        if native_cur[i] != currency and (v == CROSS and keep[i] or native_cur[i] == "USD"):
            amt.append(native[i])
            cur.append(native_cur[i])
        else:
            amt.append(conv[i])
            cur.append(currency)
    return amt, cur


def money_texts(amt: list[float], cur: list[str], style: str, alt_style: str, var: np.ndarray) -> list[str]:
    """Money strings; id/format variants use the platform's alternative style."""
    return [money(a, c, alt_style if v == IDFORMAT else style) for a, c, v in zip(amt, cur, var.tolist())]


def dates(b: Batch, name: str, style: str) -> list[str]:
    """Dates in a style; missing ones (NO_DATE) empty."""
    days = b.arr(name)
    out = fmt_dates(np.where(days == NO_DATE, 0, days), style)
    return [s if d != NO_DATE else "" for s, d in zip(out, days.tolist())]


def updated(b: Batch) -> list[str]:
    """Last-modified timestamps (after the fact's date, never after the data's 'today')."""
    base = np.maximum(b.arr("date"), 0)
    later = np.maximum(REF_DAY - b.rng.integers(0, 3000, b.n), np.minimum(base + b.rng.integers(0, 400, b.n), REF_DAY))
    return fmt_timestamps(later, b.arr("updated"))


def styled_ids(values: list[str], var: np.ndarray, styles: dict, default: str, alternates: tuple[str, ...],
               rng: np.random.Generator) -> list[str]:
    """Identifiers in the source's default style; id-format variants use another style."""
    alt = rng.integers(0, len(alternates), len(values)).tolist()
    f = styles[default]
    return [(styles[alternates[a]] if v == IDFORMAT else f)(x) if x else ""
            for x, v, a in zip(values, var.tolist(), alt)]


def patent_numbers(b: Batch, default: str, alternates: tuple[str, ...], granted_style: str | None = None) -> list[str]:
    nums = b.col("number")
    grant = b.arr("grant").tolist()
    out = styled_ids(nums, b.var, PATENT_STYLES, default, alternates, b.rng)
    if granted_style:
        f = PATENT_STYLES[granted_style]
        out = [f(n) if g != NO_DATE and v != IDFORMAT and not n.startswith("I/") else o
               for o, n, g, v in zip(out, nums, grant, b.var.tolist())]
    return [n if n.startswith("I/") else o for o, n in zip(out, nums)]


def serials(b: Batch) -> list[str]:
    return styled_ids(b.col("serial"), b.var, SERIAL_STYLES, "plain", ("lower", "sn", "dashed"), b.rng)


def orcids(b: Batch, default: str) -> list[str]:
    alts = tuple(s for s in ORCID_STYLES if s != default)
    return styled_ids(b.col("orcid"), b.var, ORCID_STYLES, default, alts, b.rng)


def grants(b: Batch) -> list[str]:
    return styled_ids(b.col("grant"), b.var, GRANT_STYLES, "plain", ("dash", "lower", "spaced"), b.rng)


def person_names_en(b: Batch, sur: str, given: str, style: str) -> list[str]:
    """Romanised names in varying order/case (``CHAN Tai Man``, ``Tai Man Chan`` …)."""
    k = [0 if v not in (IDFORMAT, TYPO, CROSS) else kk
         for v, kk in zip(b.var.tolist(), b.choice(4))]
    return [person_en(s, g, st, kk) for s, g, st, kk in zip(b.col(sur), b.col(given), b.col(style), k)]


def region_labels(b: Batch, lang: str) -> list[str]:
    """Region of each entity as a platform labels it: 'admin' code, 'hans' name, 'en', 'pt'."""
    attr = {"admin": "admin", "hans": "hans", "en": "en", "pt": "pt"}[lang]
    return [getattr(cat.REGIONS[r], attr) for r in b.col("region")]


def field_names(b: Batch, lang: str) -> list[str]:
    j = {"hans": 0, "en": 1, "pt": 2}
    if lang == "hant":
        return [_FIELDS_HANT[f] for f in b.col("field")]
    return [cat.FIELDS[f][j[lang]] for f in b.col("field")]


def describe(cols: dict[str, list], ids: list, parts: tuple[tuple[str, str], ...], sep: str,
             end: str = "", missing_pct: int = 3) -> list[str | None]:
    """A description (资源描述) in the platform's own words, made of the record's published values:
    ``parts`` are (label, column) pairs written ``label + value`` and joined by ``sep``; a part
    whose value is empty is left out.  About ``missing_pct`` % of records publish none, as in
    life (chosen from the record id, so the random streams of the other fields do not move)."""
    out: list[str | None] = []
    for i, rid in enumerate(ids):
        if zlib.crc32(str(rid).encode()) % 100 < missing_pct:
            out.append(None)
            continue
        text = sep.join(f"{label}{cols[c][i]}" for label, c in parts
                        if cols[c][i] not in (None, "") and cols[c][i] == cols[c][i])
        out.append(text + end if text else None)
    return out

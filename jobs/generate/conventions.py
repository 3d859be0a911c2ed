"""How platforms write dates, money and phone numbers — vectorised formatting.

Days are integers (days since 1970-01-01).  Date strings come from precomputed tables, so a
million dates format in a list look-up.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np

EPOCH = dt.date(1970, 1, 1)
DATE_MIN = dt.date(1860, 1, 1)
DATE_MAX = dt.date(2030, 12, 31)
_MIN_DAY = (DATE_MIN - EPOCH).days
_WD = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MON = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

DATE_STYLES = {
    "iso": lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}",
    "dmy": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year:04d}",
    "cn": lambda d: f"{d.year}年{d.month}月{d.day}日",
    "rfc822": lambda d: f"{_WD[d.weekday()]}, {d.day:02d} {_MON[d.month - 1]} {d.year:04d}",
    "compact": lambda d: f"{d.year:04d}{d.month:02d}{d.day:02d}",
    "year": lambda d: f"{d.year:04d}",
}

#: unparseable dates as platforms really publish them, per style
BAD_DATES = {
    "iso": ("2021-13-45", "2021-02-30", "N/A", "0000-00-00", "2019-00-12"),
    "dmy": ("31/02/2021", "32/01/2019", "N/A", "00/00/0000", "15/13/2020"),
    "cn": ("2021年13月5日", "2019年2月30日", "不详", "N/A"),
    "rfc822": ("Sun, 31 Feb 2021 09:00:00 +0800", "N/A", "Mon, 45 Jan 2020 10:00:00 +0800"),
    "excel": ("31/02/2021", "N/A", "TBC"),
}


def day(iso: str) -> int:
    """Day number of an ISO date string."""
    return (dt.date.fromisoformat(iso) - EPOCH).days


def to_date(d: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(d))


@lru_cache(maxsize=None)
def _table(style: str) -> tuple[str, ...]:
    f = DATE_STYLES[style]
    n = (DATE_MAX - DATE_MIN).days + 1
    return tuple(f(DATE_MIN + dt.timedelta(days=i)) for i in range(n))


def fmt_dates(days, style: str) -> list[str]:
    """Format day numbers in one of DATE_STYLES."""
    t = _table(style)
    return [t[i] for i in (np.asarray(days, dtype=np.int64) - _MIN_DAY).tolist()]


def fmt_timestamps(days, seconds) -> list[str]:
    """``YYYY-MM-DD HH:MM:SS`` from day numbers and seconds of the day."""
    t = _table("iso")
    return [f"{t[d]} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
            for d, s in zip((np.asarray(days, dtype=np.int64) - _MIN_DAY).tolist(),
                            np.asarray(seconds, dtype=np.int64).tolist())]


def fmt_rfc822(days, seconds) -> list[str]:
    """RSS pubDate: ``Tue, 05 Mar 2019 09:30:00 +0800``."""
    t = _table("rfc822")
    return [f"{t[d]} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d} +0800"
            for d, s in zip((np.asarray(days, dtype=np.int64) - _MIN_DAY).tolist(),
                            np.asarray(seconds, dtype=np.int64).tolist())]


# ------------------------------------------------------------------------------------ money
def money(value: float, currency: str, style: str) -> str:
    """One amount as a platform writes it.

    Styles: ``plain`` 1234000.00 · ``grouped`` 1,234,000.00 · ``symbol`` HK$1,234,000 /
    MOP 2,500,000 / US$180,000.00 / RMB 1,234,000.00 · ``code`` HKD 1,234,000 · ``dollar`` MOP$2,500,000.
    """
    if style == "plain":
        return f"{value:.2f}"
    if style == "grouped":
        return f"{value:,.2f}"
    if style == "symbol":
        return {"HKD": f"HK${value:,.0f}", "MOP": f"MOP {value:,.0f}", "USD": f"US${value:,.2f}",
                "CNY": f"RMB {value:,.2f}"}[currency]
    if style == "code":
        return f"{currency} {value:,.0f}"
    if style == "dollar":
        return {"HKD": f"HK$ {value:,.2f}", "MOP": f"MOP${value:,.0f}", "USD": f"USD {value:,.2f}",
                "CNY": f"¥{value:,.2f}"}[currency]
    raise ValueError(style)


# ----------------------------------------------------------------------------------- phones
#: valid number ranges (checked against libphonenumber): fixed-line and mobile prefixes
HK_FIXED = ("21", "23", "24", "25", "26", "27", "28", "29")
HK_MOBILE = ("61", "63", "64", "65", "69", "94", "96", "97")
MO_FIXED = ("282", "283", "284", "285", "286", "287", "288", "289")
MO_MOBILE = ("62", "63", "65")
CN_MOBILE = ("130", "135", "136", "137", "138", "139", "150", "152", "158", "159", "177", "180",
             "186", "188", "189", "199")
CN_LOCAL_LEN = {"20": 8, "755": 8, "757": 8, "769": 8, "760": 8, "756": 7, "750": 7, "758": 7, "752": 7}


def new_phones(rng: np.random.Generator, cc: str, area: str, n: int, mobile_share: float):
    """``n`` valid numbers as (area, local) lists for one country code / area."""
    digits = rng.integers(0, 10**8, n)
    mobile = rng.random(n) < mobile_share
    areas, locals_ = [], []
    for d, m in zip(digits.tolist(), mobile.tolist()):
        if cc == "86":
            if m:
                p = CN_MOBILE[d % len(CN_MOBILE)]
                areas.append("")
                locals_.append(f"{p}{d:08d}")
            else:
                ln = CN_LOCAL_LEN[area]
                areas.append(area)
                locals_.append(f"{2 + d % 7}{d // 7 % 10**(ln - 1):0{ln - 1}d}")
        elif cc == "852":
            p = (HK_MOBILE if m else HK_FIXED)[d % 8]
            areas.append("")
            locals_.append(f"{p}{d // 8 % 10**6:06d}")
        else:
            pool = MO_MOBILE if m else MO_FIXED
            p = pool[d % len(pool)]
            areas.append("")
            locals_.append(f"{p}{d // 8 % 10**(8 - len(p)):0{8 - len(p)}d}")
    return areas, locals_


def e164(cc: str, area: str, local: str) -> str:
    return f"+{cc}{area}{local}"


def phone_text(cc: str, area: str, local: str, home_cc: str, k: int) -> str:
    """A number as a platform whose own country code is ``home_cc`` writes it (style ``k``)."""
    l4 = f"{local[:4]} {local[4:]}"
    if cc != home_cc:  # foreign numbers always carry their country code
        if cc == "86":
            return (f"+86 {area} {local}" if area else f"+86 {local[:3]} {local[3:7]} {local[7:]}") \
                if k % 2 == 0 else (f"+86-{area}-{local}" if area else f"+86 {local}")
        return f"+{cc} {l4}" if k % 2 == 0 or home_cc != "86" else f"00{cc}-{local}"
    if cc == "86":
        if area:
            return (f"0{area}-{local}", f"(0{area}){local}", f"0{area} {l4}", f"+86 {area} {local}")[k % 4]
        return (local, f"{local[:3]}-{local[3:7]}-{local[7:]}", f"+86 {local[:3]} {local[3:7]} {local[7:]}")[k % 3]
    if cc == "852":
        return (l4, f"+852 {local[:4]}-{local[4:]}", local, f"(852) {l4}")[k % 4]
    return (l4, f"+853 {l4}", f"(853) {l4}", local)[k % 4]


def bad_phone(text: str) -> str:
    """An invalid number: the published one with its last digit lost."""
    return text[:-1].rstrip(" -")

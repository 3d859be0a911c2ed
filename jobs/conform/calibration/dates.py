"""Dates as published, parsed by the source's declared convention — never guessed.

Unambiguous forms (ISO with - / or ., YYYYMMDD, YYYY年M月D日, RFC 822, '4 May 2021',
Excel serials of five digits, date/datetime objects) are accepted whatever the convention;
NN/NN/YYYY is day-first only when the source declares DD/MM/YYYY and refused otherwise.
Dates with a UTC offset are taken in GBA local time (UTC+8).
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from .errors import CalibrationError

CONVENTIONS = ("YYYY-MM-DD", "DD/MM/YYYY", "YYYY年M月D日", "excel_serial", "RFC822")
MIN_YEAR, MAX_YEAR = 1800, 2100  # 鏡湖醫院 was founded in 1871
GBA_TZ = timezone(timedelta(hours=8))

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 61 = 1900-03-01 (Excel's 1900 leap-year bug)
_EXCEL_MAX = (date(MAX_YEAR, 12, 31) - _EXCEL_EPOCH).days
_EXCEL_MIN_UNDECLARED = 10000  # 1927-05-18: below that a bare number is more likely a year or a count

#: optional time of day; groups: hour, minute, UTC offset
_TIME = r"(?:[T ](\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?"
_ISO = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DAY_FIRST = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})" + _TIME)
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0}
_CN = re.compile(r"([\d〇零○一二三四五六七八九]{4})\s*年\s*([\d一二三四五六七八九十]{1,3})\s*月\s*"
                 r"([\d一二三四五六七八九十]{1,3})\s*[日号號]?(?:\s*\d{1,2}[:时時].*)?")
_SERIAL = re.compile(r"\d{1,5}(?:\.\d+)?")
_RFC822 = re.compile(r"(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}")
_NAMED_DMY = re.compile(r"(?:[a-z]+,?\s+)?(\d{1,2})(?:\s+de)?[\s\-]+([a-z]+)\.?(?:\s+de)?[\s\-,]+(\d{4})")
_NAMED_MDY = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")

_MONTHS = {}
for _i, _names in enumerate((
        "january jan janeiro", "february feb fevereiro fev", "march mar marco", "april apr abril abr",
        "may maio mai", "june jun junho", "july jul julho", "august aug agosto ago",
        "september sep sept setembro set", "october oct outubro out", "november nov novembro",
        "december dec dezembro dez"), start=1):
    _MONTHS.update(dict.fromkeys(_names.split(), _i))


def _cn_int(s: str) -> int:
    """'2021' / '二〇二一' / '十二' / '二十一' → int."""
    if s.isdigit():
        return int(s)
    if "十" in s:
        tens, _, units = s.partition("十")
        return (_cn_int(tens) if tens else 1) * 10 + (_cn_int(units) if units else 0)
    return int("".join(str(_CN_DIGITS[c]) for c in s))


def _make(y: int, m: int, d: int, text, convention: str) -> date:
    try:
        result = date(y, m, d)
    except ValueError as exc:
        raise CalibrationError(f"invalid date '{text}' ({convention}): {exc}") from None
    return _in_range(result, text, convention)


def _in_range(d: date, text, convention: str) -> date:
    if not MIN_YEAR <= d.year <= MAX_YEAR:
        raise CalibrationError(f"date '{text}' ({convention}) is outside {MIN_YEAR}..{MAX_YEAR}")
    return d


def _gba(d: date, hour: str | None, minute: str | None, offset: str | None) -> date:
    """The GBA (UTC+8) date of a date and time written with a UTC offset."""
    if not offset:
        return d
    if offset == "Z":
        tz = timezone.utc
    else:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    stamp = datetime(d.year, d.month, d.day, int(hour), int(minute), tzinfo=tz)
    return stamp.astimezone(GBA_TZ).date()


def _excel(serial: float, text, convention: str, declared: bool) -> date:
    n = int(serial)
    low = 1 if declared else _EXCEL_MIN_UNDECLARED
    if not low <= n <= _EXCEL_MAX or n == 60:
        why = "1900-02-29 does not exist" if n == 60 else f"outside {low}..{_EXCEL_MAX}"
        raise CalibrationError(f"Excel serial date '{text}' ({convention}): {why}")
    return _EXCEL_EPOCH + timedelta(days=n if n > 60 else n + 1)


def parse_date(value, convention: str = "YYYY-MM-DD") -> date | None:
    """Parse a published date by the source's declared ``convention`` (see CONVENTIONS).

    None/blank → None.  Impossible dates (31/02/2021), ambiguous ones (04/05/2021 from a
    source that does not declare DD/MM/YYYY), placeholders (N/A) and dates outside
    1900..2100 raise :class:`CalibrationError` with the reason.
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown date convention {convention!r}; one of {CONVENTIONS}")
    if value is None:
        return None
    if isinstance(value, datetime):
        if value != value:  # NaT
            return None
        d = value.astimezone(GBA_TZ).date() if value.tzinfo else value.date()
        return _in_range(d, value, convention)
    if isinstance(value, date):
        return _in_range(value, value, convention)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value != value:
            return None
        if value in (float("inf"), float("-inf")):
            raise CalibrationError(f"unparseable date {value!r} ({convention})")
        text = str(int(value)) if value == int(value) else str(value)
    else:
        text = str(value)
    s = text.strip()
    if not s:
        return None
    if not s.isascii():
        s = unicodedata.normalize("NFKC", s)

    m = _ISO.fullmatch(s)
    if m:
        d = _make(int(m[1]), int(m[3]), int(m[4]), text, convention)
        return _in_range(_gba(d, m[5], m[6], m[7]), text, convention) if m[7] else d
    m = _COMPACT.fullmatch(s)
    if m:
        return _make(int(m[1]), int(m[2]), int(m[3]), text, convention)
    m = _DAY_FIRST.fullmatch(s)
    if m:
        if len(m[4]) == 2:
            raise CalibrationError(f"two-digit year in date '{text}' ({convention})")
        if convention != "DD/MM/YYYY":
            raise CalibrationError(f"ambiguous date '{text}': day/month order is not declared "
                                   f"by the source ({convention})")
        d = _make(int(m[4]), int(m[3]), int(m[1]), text, convention)
        return _in_range(_gba(d, m[5], m[6], m[7]), text, convention) if m[7] else d
    if "年" in s:
        m = _CN.fullmatch(s)
        if m:
            return _make(_cn_int(m[1]), _cn_int(m[2]), _cn_int(m[3]), text, convention)
    elif _SERIAL.fullmatch(s):
        if convention != "excel_serial" and len(s) == 4 and MIN_YEAR <= int(s) <= MAX_YEAR:
            raise CalibrationError(f"year only in date '{text}' ({convention})")
        return _excel(float(s), text, convention, declared=convention == "excel_serial")
    elif _RFC822.match(s):
        try:
            stamp = parsedate_to_datetime(s)
        except (TypeError, ValueError):
            raise CalibrationError(f"unparseable RFC 822 date '{text}' ({convention})") from None
        d = stamp.astimezone(GBA_TZ).date() if stamp.tzinfo else stamp.date()
        return _in_range(d, text, convention)
    else:
        low = s.lower()
        if not low.isascii():
            low = unicodedata.normalize("NFD", low).encode("ascii", "ignore").decode()
        m = _NAMED_DMY.fullmatch(low)
        if m and m[2] in _MONTHS:
            return _make(int(m[3]), _MONTHS[m[2]], int(m[1]), text, convention)
        m = _NAMED_MDY.fullmatch(low)
        if m and m[1] in _MONTHS:
            return _make(int(m[3]), _MONTHS[m[1]], int(m[2]), text, convention)
    raise CalibrationError(f"unparseable date '{text}' ({convention})")

"""Amounts of money as published ("HK$1.2m", "30万元", "MOP 2,5 milhões") and dated FX to CNY."""
from __future__ import annotations

import bisect
import csv
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Iterable

from .errors import CalibrationError

#: currency markers (lower-case, after NFKC: ￥ is ¥) → ISO 4217
CURRENCY_MARKERS = {
    "cny": "CNY", "rmb": "CNY", "人民币": "CNY", "人民幣": "CNY", "¥": "CNY",
    "hkd": "HKD", "hk$": "HKD", "港元": "HKD", "港币": "HKD", "港幣": "HKD", "港圆": "HKD",
    "港圓": "HKD", "hong kong dollars": "HKD", "hk dollars": "HKD",
    "mop": "MOP", "mop$": "MOP", "pataca": "MOP", "patacas": "MOP", "澳门元": "MOP",
    "澳門元": "MOP", "澳门币": "MOP", "澳門幣": "MOP", "葡币": "MOP", "葡幣": "MOP",
    "usd": "USD", "us$": "USD", "美元": "USD", "美金": "USD", "us dollars": "USD",
    "eur": "EUR", "€": "EUR", "欧元": "EUR", "歐元": "EUR",
    "gbp": "GBP", "£": "GBP", "英镑": "GBP", "英鎊": "GBP",
    "jpy": "JPY", "日元": "JPY", "日圆": "JPY", "日圓": "JPY",
    "aud": "AUD", "澳元": "AUD", "澳币": "AUD", "澳幣": "AUD",
    "twd": "TWD", "nt$": "TWD", "新台币": "TWD", "新台幣": "TWD",
    "sgd": "SGD", "cad": "CAD", "chf": "CHF", "krw": "KRW",
}
#: the local unit of account: the source's own currency (元 is CNY in Guangzhou, HKD in HK),
#: unless an explicit marker says otherwise
LOCAL_MARKERS = frozenset({"元", "圆", "圓", "$", "dollars"})
#: multipliers; several multiply (万亿 = 10^12, mil milhões = 10^9)
MULTIPLIERS = {
    "千": 10**3, "万": 10**4, "萬": 10**4, "十万": 10**5, "十萬": 10**5, "百万": 10**6,
    "百萬": 10**6, "千万": 10**7, "千萬": 10**7, "亿": 10**8, "億": 10**8,
    "k": 10**3, "thousand": 10**3, "m": 10**6, "mn": 10**6, "mio": 10**6, "million": 10**6,
    "millions": 10**6, "bn": 10**9, "billion": 10**9, "mil": 10**3, "milhão": 10**6,
    "milhao": 10**6, "milhões": 10**6, "milhoes": 10**6,
}
#: words that carry no value
FILLERS = frozenset({"约", "約", "大约", "大約", "approx", "approx.", "approximately", "about",
                     "de", "整"})
KNOWN_CURRENCIES = frozenset(CURRENCY_MARKERS.values())

_NUMBER = re.compile(r"\d+(?:[,.' ]\d+)*")
_WORDS = sorted({*CURRENCY_MARKERS, *LOCAL_MARKERS, *MULTIPLIERS, *FILLERS}, key=len, reverse=True)
_TOKEN = re.compile(r"\s*(" + "|".join(map(re.escape, _WORDS)) + r")(?![a-z])\s*|\s+")
_BARE = re.compile(r"\d[\d,.]*")
_PLAIN = re.compile(r"\d+(?:\.\d+)?")
_SPACED = re.compile(r"\d{1,3}(?:[ ']\d{3})+(?:[,.]\d+)?")


def _number(text: str, original: str) -> Decimal:
    """A decimal from digits with thousands separators and a decimal point or comma."""
    if _PLAIN.fullmatch(text):
        return Decimal(text)
    bad = CalibrationError(f"unparseable amount '{original}'")
    if " " in text or "'" in text:  # 1 234 567 / 1'234'567: thousands only
        if not _SPACED.fullmatch(text):
            raise bad
        text = text.replace(" ", "").replace("'", "")
    seps = [c for c in text if c in ",."]
    groups = re.split(r"[,.]", text)
    if "," in seps and "." in seps:  # the last separator is the decimal one
        decimal_sep = seps[-1]
        if seps.count(decimal_sep) > 1 or not _grouped(groups[:-1]):
            raise bad
        text = text.replace("," if decimal_sep == "." else ".", "").replace(",", ".")
    elif len(seps) > 1 or (len(groups) == 2 and len(groups[1]) == 3 and seps == [","]):
        if not _grouped(groups):  # 1,234,000 / 1.234.567 / 2,500
            raise bad
        text = "".join(groups)
    elif len(groups) == 2:  # 2,5 (decimal comma)
        text = f"{groups[0]}.{groups[1]}"
    try:
        return Decimal(text)
    except InvalidOperation:
        raise bad from None


def _grouped(groups: list[str]) -> bool:
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def parse_amount(text, default_currency: str | None) -> tuple[float, str] | None:
    """Parse a published amount into (amount, ISO currency); blank → None.

    Understands currency codes and signs (HK$, MOP$, US$, ¥/￥, RMB, 港元, 澳門元 …), the local
    unit 元/$ (= ``default_currency``), multipliers (万, 亿, k, m, million, milhões …), thousands
    separators and decimal commas.  A value with no currency marker is in ``default_currency``.
    Ranges, negative amounts and unknown words raise :class:`CalibrationError`.
    """
    if text is None:
        return None
    if isinstance(text, bool):
        raise CalibrationError(f"unparseable amount {text!r}")
    if isinstance(text, (int, float, Decimal)):
        if text != text or text < 0:
            raise CalibrationError(f"invalid amount {text!r}")
        return float(text), _default(default_currency, text)
    original = str(text)
    s = original if original.isascii() else unicodedata.normalize("NFKC", original)
    s = s.strip().lower()
    if not s:
        return None
    if _BARE.fullmatch(s):  # the common case: just a number, in the source's currency
        return float(_number(s, original)), _default(default_currency, original)
    numbers = list(_NUMBER.finditer(s))
    if len(numbers) != 1:
        reason = "no number in" if not numbers else "more than one number in"
        raise CalibrationError(f"{reason} amount '{original}'")
    m = numbers[0]
    prefix, suffix = s[:m.start()], s[m.end():]
    if prefix.rstrip().endswith("-"):
        raise CalibrationError(f"negative amount '{original}'")
    currencies: set[str] = set()
    local = None
    factor = 1
    for part, is_suffix in ((prefix, False), (suffix, True)):
        pos = 0
        while pos < len(part):
            t = _TOKEN.match(part, pos)
            if t is None or t.end() == pos:
                raise CalibrationError(f"unrecognised '{part[pos:].strip()}' in amount '{original}'")
            pos = t.end()
            word = t.group(1)
            if word is None or word in FILLERS:
                continue
            if word in MULTIPLIERS:
                if not is_suffix:
                    raise CalibrationError(f"multiplier before the number in amount '{original}'")
                factor *= MULTIPLIERS[word]
            elif word in LOCAL_MARKERS:
                local = local or word
            else:
                currencies.add(CURRENCY_MARKERS[word])
    if len(currencies) > 1:
        raise CalibrationError(f"conflicting currencies {sorted(currencies)} in amount '{original}'")
    if currencies:  # 元 / $ beside an explicit currency is just its unit: 人民币30万元, ¥300000元
        currency = currencies.pop()
    elif local:
        currency = _local(default_currency, local, original)
    else:
        currency = _default(default_currency, original)
    return float(_number(m.group(), original) * factor), currency


def _default(default_currency: str | None, original) -> str:
    if not default_currency:
        raise CalibrationError(f"no currency in amount '{original}' and no default currency")
    if default_currency not in KNOWN_CURRENCIES:
        raise CalibrationError(f"unknown default currency {default_currency!r}")
    return default_currency


def _local(default_currency: str | None, word: str, original: str) -> str:
    currency = _default(default_currency, original)
    if word in ("$", "dollars") and currency == "CNY":
        raise CalibrationError(f"ambiguous '{word}' in amount '{original}' (source currency is CNY)")
    return currency


def _as_date(value) -> date:
    if value is None or value != value:  # None, NaN, NaT
        raise CalibrationError("no date to pick an exchange rate")
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise CalibrationError(f"no usable date {value!r} to pick an exchange rate")


#: how old the latest published rate may be for a day (the ECB's longest gap is Easter's, from
#: Thursday to Tuesday; 6 days in the table where a refused day follows Easter): a date later than the table's last day by more is refused, not
#: converted at a stale rate — refresh the table (``bayres fx refresh``)
MAX_RATE_AGE_DAYS = 7


class FxRates:
    """Dated exchange rates to CNY: the rate of a day is the latest one on or before it.

    ``max_age_days``: the latest rate may be at most that many days older than the day asked
    for (``None``: no limit, for hand-made tables of a few dated rates).
    """

    def __init__(self, rates: Iterable[tuple[date, str, float]], max_age_days: int | None = None) -> None:
        table: dict[str, dict[date, float]] = {}
        for day, currency, rate in rates:
            if not rate > 0:
                raise ValueError(f"rate {currency} on {day}: must be positive, got {rate}")
            table.setdefault(currency.strip().upper(), {})[day] = float(rate)
        self._days = {c: sorted(r) for c, r in table.items()}
        self._rates = {c: [table[c][d] for d in days] for c, days in self._days.items()}
        self.max_age_days = max_age_days

    @classmethod
    def from_csv(cls, path: str | Path, max_age_days: int | None = MAX_RATE_AGE_DAYS) -> "FxRates":
        """Load a CSV with columns date (ISO), currency (ISO 4217), rate_to_cny."""
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = {"date", "currency", "rate_to_cny"} - set(reader.fieldnames or ())
            if missing:
                raise ValueError(f"{path}: missing columns {sorted(missing)}")
            rows = []
            for line, r in enumerate(reader, start=2):
                if not (r["date"] or "").strip():
                    continue
                try:
                    rows.append((date.fromisoformat(r["date"].strip()), r["currency"],
                                 float(r["rate_to_cny"])))
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"{path} line {line}: {exc}") from None
        return cls(rows, max_age_days=max_age_days)

    @property
    def currencies(self) -> frozenset[str]:
        return frozenset(self._days) | {"CNY"}

    def coverage(self, currency: str) -> tuple[date, date]:
        """First and last day with a ``currency`` rate."""
        days = self._days[currency]
        return days[0], days[-1]

    def rate(self, currency: str, on_date) -> float:
        """CNY per unit of ``currency`` on ``on_date`` (date, datetime or ISO string)."""
        if currency == "CNY":
            return 1.0
        days = self._days.get(currency)
        if days is None:
            raise CalibrationError(f"no exchange rate for currency '{currency}'")
        day = _as_date(on_date)
        i = bisect.bisect_right(days, day)
        if i == 0:
            raise CalibrationError(f"no {currency} rate on or before {day.isoformat()} "
                                   f"(first is {days[0].isoformat()})")
        if self.max_age_days is not None and (day - days[i - 1]).days > self.max_age_days:
            raise CalibrationError(
                f"no {currency} rate within {self.max_age_days} days before {day.isoformat()} "
                f"(latest is {days[i - 1].isoformat()}: the rate table must be refreshed)")
        return self._rates[currency][i - 1]

    def to_cny(self, amount: float, currency: str, on_date) -> float:
        """``amount`` in ``currency`` converted to CNY at the rate of ``on_date``."""
        return amount * self.rate(currency, on_date)

"""Daily exchange rates to CNY used by the sample data — one deterministic, smooth series.

The generator converts amounts with these rates and writes them to ``truth/fx_rates_used.csv``;
the same table is meant for ``conf/reference/fx_rates.csv`` so calibration and truth agree.
No randomness: the series are interpolated through fixed anchors and smoothed.
"""
from __future__ import annotations

import datetime as dt

import numpy as np

FX_START = dt.date(2015, 1, 1)
FX_END = dt.date(2026, 12, 31)
CURRENCIES = ("HKD", "MOP", "USD")
DECIMALS = 6

#: USD→CNY anchors (roughly the shape of the real series, kept inside 6.2–7.3)
_USD_ANCHORS = (
    ("2015-01-01", 6.21), ("2015-08-15", 6.35), ("2016-12-31", 6.93), ("2017-12-31", 6.55),
    ("2018-03-31", 6.30), ("2018-12-31", 6.88), ("2019-09-30", 7.10), ("2020-05-31", 7.12),
    ("2020-12-31", 6.54), ("2021-06-30", 6.45), ("2022-01-31", 6.36), ("2022-10-31", 7.25),
    ("2023-09-30", 7.29), ("2024-06-30", 7.13), ("2025-01-31", 7.28), ("2025-12-31", 7.05),
    ("2026-12-31", 6.95),
)
_SMOOTH_DAYS = 45


def _days(start: dt.date, end: dt.date) -> np.ndarray:
    return np.arange((end - start).days + 1)


def _series(start: dt.date, end: dt.date) -> dict[str, np.ndarray]:
    """Rates for every day from ``start`` to ``end`` (clipped to the covered range)."""
    n0 = (start - FX_START).days
    t = _days(FX_START, FX_END).astype(float)
    ax = np.array([(dt.date.fromisoformat(d) - FX_START).days for d, _ in _USD_ANCHORS], float)
    ay = np.array([v for _, v in _USD_ANCHORS])
    usd = np.interp(t, ax, ay)
    pad = np.pad(usd, _SMOOTH_DAYS, mode="edge")
    usd = np.convolve(pad, np.ones(2 * _SMOOTH_DAYS + 1) / (2 * _SMOOTH_DAYS + 1), mode="valid")
    usd = np.clip(usd + 0.015 * np.sin(t / 23.0), 6.2, 7.3)
    # HKD: a slow swing inside 0.903–0.927; MOP is pegged to HKD at 1.03
    hkd = 0.915 + 0.009 * np.sin(t / 240.0) + 0.003 * np.sin(t / 31.0)
    mop = hkd / 1.03
    sl = slice(n0, n0 + (end - start).days + 1)
    return {"HKD": np.round(hkd[sl], DECIMALS), "MOP": np.round(mop[sl], DECIMALS),
            "USD": np.round(usd[sl], DECIMALS)}


def fx_rates_table(start: dt.date | str = FX_START, end: dt.date | str = FX_END
                   ) -> list[tuple[dt.date, str, float]]:
    """Daily rates to CNY as ``(date, currency, rate)``, sorted by date then currency.

    Covers 2015-01-01..2026-12-31; ``start``/``end`` outside that range are clipped.
    """
    start = max(dt.date.fromisoformat(start) if isinstance(start, str) else start, FX_START)
    end = min(dt.date.fromisoformat(end) if isinstance(end, str) else end, FX_END)
    if end < start:
        return []
    series = _series(start, end)
    out = []
    for i in range((end - start).days + 1):
        day = start + dt.timedelta(days=i)
        out.extend((day, c, float(series[c][i])) for c in CURRENCIES)
    return out


class FxRates:
    """Vectorised look-up of the same rates by day number (days since 1970-01-01)."""

    EPOCH_OFFSET = (FX_START - dt.date(1970, 1, 1)).days

    def __init__(self) -> None:
        self._series = _series(FX_START, FX_END)
        self._series["CNY"] = np.ones_like(self._series["HKD"])

    def rate(self, currency: str, days: np.ndarray) -> np.ndarray:
        """Rate to CNY of ``currency`` on each day (clipped to the covered range)."""
        idx = np.clip(np.asarray(days) - self.EPOCH_OFFSET, 0, len(self._series["HKD"]) - 1)
        return self._series[currency][idx]

    def rates(self, currencies: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Rate per element for an array of currency codes."""
        out = np.ones(len(days))
        for cur in ("HKD", "MOP", "USD"):
            m = currencies == cur
            if m.any():
                out[m] = self.rate(cur, np.asarray(days)[m])
        return out

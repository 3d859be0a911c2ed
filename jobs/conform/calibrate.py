"""Stage 3 — calibrate: apply the calibration rules (jobs/conform/calibration/) to canonical records.

Column-wise on a pandas batch; each rule runs once per distinct value (organisation names,
dates and currencies repeat a lot). Originals are kept beside calibrated values (``name``,
``contact_phone_raw``, ``inst_original_value`` + ``inst_currency`` …). A mandatory field that
fails refuses the record; an optional one is flagged and emptied.
"""
from __future__ import annotations

from datetime import date
from typing import Callable

import pandas as pd

from bayres.schemas.categories import LARGE_INSTRUMENT_MIN_CNY
from bayres.schemas.resource import RECORD_FIELDS

from .calibration import contacts, dates, identifiers, money, names, phones
from .calibration.errors import CalibrationError
from .rejections import Rejections

DATE_FIELDS = [f.name for f in RECORD_FIELDS if f.type == "date"]
#: optional identifiers and contacts: (field, normaliser)
NORMALISED_FIELDS: list[tuple[str, Callable]] = [
    ("ach_patent_no", identifiers.normalise_patent_no),
    ("org_credit_code", identifiers.normalise_credit_code),
    ("person_orcid", identifiers.normalise_orcid),
    ("inst_serial_no", identifiers.normalise_serial_no),
    ("contact_email", contacts.validate_email),
    ("access_url", contacts.validate_url),
    ("consent_cross_border", contacts.parse_consent),
]
#: amounts: (amount field, currency field, CNY field)
MONEY_FIELDS = [("inst_original_value", "inst_currency", "inst_value_cny"),
                ("proj_amount", "proj_currency", "proj_amount_cny")]


def _per_distinct(values: pd.Series, rule: Callable) -> tuple[pd.Series, pd.Series]:
    """Apply ``rule`` once per distinct non-null value: (results, error reasons)."""
    results: dict = {}
    errors: dict = {}
    for value in values.dropna().unique():
        try:
            results[value] = rule(value)
        except CalibrationError as exc:
            errors[value] = getattr(exc, "reason", None) or str(exc)
    return values.map(results.get), values.map(errors.get)


def calibrate_batch(rec: pd.DataFrame, conventions: dict, fx: money.FxRates, run_date: date,
                    rejections: Rejections, aliases: names.OrgAliases | None = None) -> pd.DataFrame:
    rec = rec.copy()
    for column in [f.name for f in RECORD_FIELDS]:
        if column not in rec:
            rec[column] = None

    # dates → ISO, by the source's declared convention (per-field override allowed)
    overrides = conventions.get("date_formats") or {}
    for field in DATE_FIELDS:
        convention = overrides.get(field, conventions.get("date_format", "YYYY-MM-DD"))
        parsed, errors = _per_distinct(rec[field], lambda v, c=convention: dates.parse_date(v, c))
        rejections.flag(errors.notna(), field, errors)
        rec[field] = parsed

    # money → CNY at the rate of the record's date (created, else the run date)
    on_date = rec["created_date"].where(rec["created_date"].notna(), run_date)
    default_currency = conventions.get("currency", "CNY")
    for amount_field, currency_field, cny_field in MONEY_FIELDS:
        parsed, errors = _per_distinct(rec[amount_field],
                                       lambda v: money.parse_amount(v, default_currency))
        rejections.flag(errors.notna(), amount_field, errors)
        amounts = parsed.map(lambda p: p[0] if p else None)
        currency = rec[currency_field].where(rec[currency_field].notna(),
                                             parsed.map(lambda p: p[1] if p else None))
        cny, reasons = [], []
        for amount, cur, day in zip(amounts, currency, on_date):
            if amount is None or pd.isna(amount):
                cny.append(None)
                reasons.append(None)
                continue
            try:
                cny.append(round(fx.to_cny(amount, cur or default_currency, day), 2))
                reasons.append(None)
            except CalibrationError as exc:
                cny.append(None)
                reasons.append(getattr(exc, "reason", None) or str(exc))
        reasons = pd.Series(reasons, index=rec.index)
        rejections.flag(reasons.notna(), cny_field, reasons)
        rec[amount_field] = amounts
        rec[currency_field] = currency.where(amounts.notna(), None)
        rec[cny_field] = pd.Series(cny, index=rec.index, dtype="object")

    below = (rec["resource_type"] == "02") & rec["inst_value_cny"].notna() & \
        (pd.to_numeric(rec["inst_value_cny"], errors="coerce") < LARGE_INSTRUMENT_MIN_CNY)
    rejections.add(below, "calibrate", "inst_value_cny",
                   "original value " + rec["inst_value_cny"].astype(str)
                   + f" CNY is below the large-instrument threshold {LARGE_INSTRUMENT_MIN_CNY:,.0f}")

    # phones → E.164 with the platform's region; the published form is kept
    region = conventions.get("phone_region", "CN")
    rec["contact_phone_raw"] = rec["contact_phone_raw"].where(rec["contact_phone_raw"].notna(),
                                                              rec["contact_phone"])
    parsed, errors = _per_distinct(rec["contact_phone_raw"], lambda v: phones.to_e164(v, region))
    rejections.flag(errors.notna(), "contact_phone", errors)
    rec["contact_phone"] = parsed

    for field, rule in NORMALISED_FIELDS:
        parsed, errors = _per_distinct(rec[field], rule)
        rejections.flag(errors.notna(), field, errors)
        rec[field] = parsed

    # matching keys (originals stay in name / name_en / owner_org); hk2s also leaves
    # Simplified text as it is, so every platform's names get comparable keys
    def key(value):
        return names.name_key(value, aliases=aliases)

    rec["name_key"] = _per_distinct(rec["name"], key)[0]
    rec["name_en_key"] = _per_distinct(rec["name_en"], names.english_key)[0]
    owner = rec["owner_org"].where(rec["owner_org"].notna(), rec["person_affiliation"])
    rec["owner_org_key"] = _per_distinct(owner, key)[0]
    return rec

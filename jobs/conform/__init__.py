"""Stages 2+3 — conform: raw rows -> canonical, calibrated records (standardize, calibrate).

Enters: the raw zone's run directories of a day and conf/ (sources' mappings, vocabularies,
reference data).
Leaves: canonical records per resource type, calibrated by the rules of calibration/ (names,
money, dates, phones, identifiers); refused rows and flagged fields (rejections) with stage, field
and reason.
Writes: the standardized zone and the quarantine (``standardized/``, ``quarantine/``).
"""

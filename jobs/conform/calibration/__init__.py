"""Calibration rules (数据校准、数据清洗): small pure-Python functions applied per value.

One module per concern — text/names (matching keys), money (amounts, FX), dates, phones,
contacts (e-mail, URL), identifiers (patents, credit codes, ORCID, CSTR).  Every rule maps a
blank value to None and raises :class:`~.errors.CalibrationError` (with the reason) for a value
that is present but invalid.  No Spark here: the calibrate stage applies them.
"""
from .errors import CalibrationError

__all__ = ["CalibrationError"]

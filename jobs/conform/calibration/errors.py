"""The one exception every calibration rule raises for a present but invalid value."""
from __future__ import annotations


class CalibrationError(ValueError):
    """A value that cannot be calibrated: ``reason`` says why, ``field`` (if known) where.

    Rules do not know which record field they are applied to, so they usually raise with
    ``field=None``; the calling stage adds it with :meth:`for_field`.
    """

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field

    def for_field(self, field: str) -> "CalibrationError":
        """The same error, attributed to ``field``."""
        return CalibrationError(self.reason, field)

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason

    def __reduce__(self):  # picklable with both attributes (Spark ships exceptions around)
        return (CalibrationError, (self.reason, self.field))

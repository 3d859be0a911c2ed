"""Bookkeeping of refused rows and flagged fields within one batch.

A row is refused once, by the first rule that refuses it (stage, field, reason); optional fields
that fail calibration are flagged (``field:reason``) and the record goes on.
"""
from __future__ import annotations

import pandas as pd


class Rejections:
    def __init__(self, index: pd.Index):
        self.stage = pd.Series(None, index=index, dtype="object")
        self.field = pd.Series(None, index=index, dtype="object")
        self.reason = pd.Series(None, index=index, dtype="object")
        self.flags: dict = {}

    def add(self, mask: pd.Series, stage: str, field: str | None, reason) -> None:
        """Refuse the rows of ``mask`` not refused yet; ``reason`` is a string or a Series."""
        mask = mask.fillna(False).astype(bool) & self.stage.isna()
        if not mask.any():
            return
        self.stage[mask] = stage
        self.field[mask] = field
        self.reason[mask] = reason[mask] if isinstance(reason, pd.Series) else reason

    def flag(self, mask: pd.Series, field: str, reason) -> None:
        """Flag an optional field of the rows of ``mask``; the records are kept."""
        mask = mask.fillna(False).astype(bool)
        for idx in mask[mask].index:
            text = reason[idx] if isinstance(reason, pd.Series) else reason
            self.flags.setdefault(idx, []).append(f"{field}:{text}")

    @property
    def refused(self) -> pd.Series:
        return self.stage.notna()

    def flags_column(self, index: pd.Index) -> pd.Series:
        return pd.Series([";".join(self.flags[i]) if i in self.flags else None for i in index],
                         index=index, dtype="object")

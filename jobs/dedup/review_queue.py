"""The review queue: uncertain pairs out to a data steward, their decisions back in as overrides.

Per run, pairs scored in a type's uncertain band (review threshold <= probability < accept
threshold, jobs/dedup/linkage) that nobody has decided yet are written to
``<linkage.review_dir>/<run date>/pairs.csv`` — both records' key fields side by side, the
probability, whether the run put them in one cluster anyway, and empty ``decision``,
``reviewer`` and ``decided_at`` columns. Clusters the size guard could not split are listed in
``giant_clusters.csv`` beside it.

A steward fills in ``decision`` (``match`` or ``no_match``), ``reviewer`` and ``decided_at``
(ISO date or date-time) and saves the rows — that file or any other with at least the columns
record_id_l, record_id_r, decision, reviewer, decided_at — under
``<linkage.review_dir>/decisions/*.csv``. Every run reads them all: a decision applies to the
pair in either order, the latest ``decided_at`` wins, and decisions dated after the run date are
left for later runs (so re-running a past day gives the same result). Rows with an empty
decision are skipped; anything else that is not ``match``/``no_match`` stops the run with the
file, line and field.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

DECISION_COLUMNS = ("record_id_l", "record_id_r", "decision", "reviewer", "decided_at")
DECISIONS = ("match", "no_match")
#: record fields shown side by side (``<field>_l``, ``<field>_r``) in pairs.csv
PAIR_FIELDS = ("src_platform", "name", "name_en", "owner_org", "region", "created_date",
               "official_no")


class DecisionError(ValueError):
    """A decisions file a run cannot apply (names the file, line and field)."""


def band(pairs: pd.DataFrame, thresholds: dict, which: str) -> pd.DataFrame:
    """``which`` = "accept": pairs at or above their type's accept threshold;
    "review": pairs in [review, accept)."""
    if pairs is None or pairs.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in
                             ("record_id_l", "record_id_r", "resource_type", "match_probability")})
    accept = pairs["resource_type"].map(lambda t: thresholds.get(t, {}).get("accept", 1.0)).astype(float)
    review = pairs["resource_type"].map(lambda t: thresholds.get(t, {}).get("review", 0.0)).astype(float)
    p = pairs["match_probability"].astype(float)
    keep = p >= accept if which == "accept" else (p >= review) & (p < accept)
    return pairs[keep.to_numpy()].reset_index(drop=True)


def _parse_time(value: str, where: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise DecisionError(f"{where}, field decided_at: not an ISO date or date-time: {value!r}")
    return stamp.tz_localize(None) if stamp.tzinfo else stamp


def read_decisions(review_dir: Path, as_of: date | None = None) -> pd.DataFrame:
    """Every decision of ``review_dir/decisions/*.csv`` dated on or before ``as_of``: one row per
    pair (record_id_l < record_id_r), the latest decision — columns DECISION_COLUMNS + source."""
    rows = []
    for path in sorted((Path(review_dir) / "decisions").glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        missing = [c for c in DECISION_COLUMNS if c not in frame.columns]
        if missing:
            raise DecisionError(f"{path}: missing column(s) {', '.join(missing)}")
        for i, r in enumerate(frame.itertuples(index=False), start=2):  # line 1 is the header
            row = r._asdict()
            where = f"{path}, line {i} (pair {row['record_id_l']} / {row['record_id_r']})"
            decision = row["decision"].strip().lower()
            if not decision:
                continue
            if decision not in DECISIONS:
                raise DecisionError(f"{where}, field decision: {row['decision']!r} is not "
                                    f"{' or '.join(DECISIONS)}")
            left, right = row["record_id_l"].strip(), row["record_id_r"].strip()
            if not left or not right or left == right:
                raise DecisionError(f"{where}, field record_id_l/record_id_r: two different "
                                    "record ids are needed")
            stamp = _parse_time(row["decided_at"].strip(), where)
            if as_of is not None and stamp.date() > as_of:
                continue
            rows.append((min(left, right), max(left, right), decision, row["reviewer"].strip(),
                         stamp, f"{path.name}:{i}"))
    out = pd.DataFrame(rows, columns=[*DECISION_COLUMNS, "source"])
    if out.empty:
        return out
    out = out.sort_values(["decided_at", "source"]).drop_duplicates(
        ["record_id_l", "record_id_r"], keep="last")
    return out.sort_values(["record_id_l", "record_id_r"], ignore_index=True)


def undecided(pairs: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """``pairs`` without those a steward has decided."""
    if decisions.empty or pairs.empty:
        return pairs
    decided = set(zip(decisions["record_id_l"], decisions["record_id_r"]))
    keep = [(a, b) not in decided for a, b in zip(pairs["record_id_l"], pairs["record_id_r"])]
    return pairs[keep].reset_index(drop=True)


def pairs_columns() -> list[str]:
    side = [f"{f}_{s}" for f in PAIR_FIELDS for s in ("l", "r")]
    return ["record_id_l", "record_id_r", "resource_type", "match_probability", "same_cluster",
            *side, "decision", "reviewer", "decided_at"]


def govern_pairs(pairs: pd.DataFrame, rules, audience: str = "steward") -> tuple[pd.DataFrame, dict]:
    """Both sides' record fields as ``audience`` may see them (jobs/publish/governance.py): the queue is
    an export to data stewards and follows their rules like any publication."""
    from ..publish.governance import apply_frame

    counts: dict = {}
    out = pairs.copy()
    for side in ("l", "r"):
        cols = {f"{f}_{side}": f for f in PAIR_FIELDS if f"{f}_{side}" in pairs.columns}
        if not cols or pairs.empty:
            continue
        governed = apply_frame(rules, audience, pairs[list(cols)].rename(columns=cols), counts)
        for col, f in cols.items():
            out[col] = governed[f].to_numpy()
    return out, counts


def write_queue(out_dir: Path, pairs: pd.DataFrame, giant: pd.DataFrame, rules=None) -> dict:
    """Replace ``out_dir``/pairs.csv (and giant_clusters.csv) with this run's queue; with
    governance ``rules``, the record fields as the steward audience may see them."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict = {}
    if rules is not None:
        pairs, counts = govern_pairs(pairs, rules)
    pairs = pairs.assign(decision="", reviewer="", decided_at="")[pairs_columns()] \
        .sort_values(["resource_type", "match_probability", "record_id_l", "record_id_r"],
                     ascending=[True, False, True, True])
    pairs.to_csv(out_dir / "pairs.csv", index=False, encoding="utf-8-sig")
    written = {"pairs": str(out_dir / "pairs.csv"), "pairs_to_review": int(len(pairs))}
    if rules is not None:
        written["governance"] = {"audience": "steward", "rule_version": rules.version, **counts}
    giant_path = out_dir / "giant_clusters.csv"
    if len(giant):
        giant.to_csv(giant_path, index=False, encoding="utf-8-sig")
        written["giant_clusters"] = str(giant_path)
    elif giant_path.exists():
        giant_path.unlink()
    return written

"""Held-out real organisations (tests/fixtures/heldout_*): the check that none of their names is
anywhere the pipeline or the generator reads, so the matcher can only link them through what it
derives."""
from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def names_found_elsewhere(names, places, min_length: int) -> list[str]:
    """The names (longer than ``min_length``) that occur, as written or in Simplified Chinese,
    in a .csv, .py or .yaml file under ``places`` (files or folders)."""
    from bayres.jobs.conform.calibration.text import to_simplified

    texts = []
    for p in places:
        files = [p] if p.is_file() else [f for f in p.rglob("*") if f.is_file() and f.suffix in (".csv", ".py", ".yaml")]
        texts += [f.read_text(encoding="utf-8").lower() for f in files]
    text = "\n".join(texts)
    simplified = to_simplified(text, "hk")
    return [n for n in names
            if len(n) > min_length and (n.lower() in text or to_simplified(n, "hk").lower() in simplified)]

"""Fuzzing (issue 19): the committed corpus — seeds and every crash ever found, each a
regression case — replayed through every target; and a short coverage-guided atheris run per
target (``make fuzz`` runs them longer)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.fuzz.targets import TARGETS

CORPUS = Path(__file__).parent / "fuzz" / "corpus"
CASES = sorted(p for p in CORPUS.glob("*/*") if p.is_file())


def test_every_target_has_a_corpus():
    assert {p.parent.name for p in CASES} == set(TARGETS)


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name[:28]}")
def test_corpus_case(case):
    TARGETS[case.parent.name](case.read_bytes())  # raises on a crash


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris is not installed")
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_short_fuzzing_run_finds_no_crash(target):
    from tests.fuzz.run import run_target

    result = run_target(target, seconds=3, keep_crashes=False)
    assert result["executions"] > 0, result.get("log_tail")
    assert not result["crashes"] and result["returncode"] == 0, result.get("log_tail")

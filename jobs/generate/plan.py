"""Which source records each entity becomes: its home source once, a controlled share of them
again on another platform or as a same-platform variant, and a small share of planted defects.
"""
from __future__ import annotations

import numpy as np

from .spec import SourceSpec
from .variants import CROSS, PRIMARY, TYPO

#: probability that an entity of a kind is published more than once
DUP_P = {"instrument": 0.17, "org": 0.14, "talent": 0.18, "patent": 0.20, "project": 0.18,
         "achievement": 0.09, "policy": 0.07, "event": 0.07, "standard": 0.07}
DUP_P_REAL_ORG = 0.65          # well-known organisations are listed everywhere
THIRD_COPY_P = 0.25            # a duplicated entity gets a third record this often
CROSS_P = 0.6                  # share of duplicates that appear on another platform

#: planted record defects: rate, and whether a correct pipeline must refuse the record
DEFECTS = {"missing_mandatory": (0.004, True), "bad_date": (0.005, False), "bad_phone": (0.004, False),
           "broken_row": (0.0035, True)}
QUARANTINE = {d for d, (_, q) in DEFECTS.items() if q}
MIN_SOURCE_RECORDS_FOR_DEFECTS = 60


def records_per_entity(kind: str) -> float:
    """Expected number of records an entity of ``kind`` yields (for sizing)."""
    return 1.0 + DUP_P[kind] * (1.0 + THIRD_COPY_P)


def emissions(rng: np.random.Generator, home: np.ndarray, specs: list[SourceSpec], dup_p: np.ndarray,
              cross_ok: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per source of ``specs``: (entity positions, variant codes), in publishing order.

    ``home`` holds each entity's home source (position in ``specs``); ``cross_ok`` says whether
    an entity may appear on another platform (e.g. a Macao-only patent number may not)."""
    n = len(home)
    shares = np.array([s.share for s in specs])
    platforms = np.array([s.platform for s in specs])
    ent = [np.arange(n)]
    src = [home]
    var = [np.full(n, PRIMARY, np.int8)]
    dup = rng.random(n) < dup_p
    for copy in range(2):
        if copy == 1:
            dup = dup & (rng.random(n) < THIRD_COPY_P)
        d = np.flatnonzero(dup)
        if not len(d):
            continue
        cross = (rng.random(len(d)) < CROSS_P) & cross_ok[d]
        hd = home[d]
        target = hd.copy()
        v = np.empty(len(d), np.int8)
        for s in np.unique(hd).tolist():
            here = hd == s
            others = np.flatnonzero(platforms != platforms[s])
            mc = here & cross if len(others) else np.zeros(len(d), bool)
            if mc.any():
                target[mc] = rng.choice(others, int(mc.sum()), p=shares[others] / shares[others].sum())
                v[mc] = CROSS
            mw = here & ~mc
            opts = np.array(specs[s].within_variants or (TYPO,), np.int8)
            v[mw] = opts[rng.integers(0, len(opts), int(mw.sum()))]
        ent.append(d)
        src.append(target)
        var.append(v)
    ent_all, src_all, var_all = np.concatenate(ent), np.concatenate(src), np.concatenate(var)
    out = []
    for s in range(len(specs)):
        m = np.flatnonzero(src_all == s)
        order = rng.permutation(len(m))
        out.append((ent_all[m][order], var_all[m][order]))
    return out


def defects(rng: np.random.Generator, spec: SourceSpec, n: int, has_phone: np.ndarray | None) -> list[str]:
    """A defect name (or '') per record of one batch of ``spec``."""
    applicable = ["missing_mandatory"]
    if spec.date_field:
        applicable.append("bad_date")
    if spec.phone_field:
        applicable.append("bad_phone")
    if spec.broken_rows:
        applicable.append("broken_row")
    out = [""] * n
    free = np.ones(n, bool)
    for name in applicable:
        k = rng.binomial(n, DEFECTS[name][0])
        if n >= MIN_SOURCE_RECORDS_FOR_DEFECTS:
            k = max(k, 1)
        pool = free & (has_phone if name == "bad_phone" and has_phone is not None else True)
        cand = np.flatnonzero(pool)
        if k and len(cand):
            for i in rng.choice(cand, min(k, len(cand)), replace=False).tolist():
                out[i] = name
                free[i] = False
    return out

"""People: names in both Chinese scripts with their romanisations (pinyin on the mainland,
Hong Kong and Macao Cantonese spellings), e-mail local parts and valid phone numbers.
"""
from __future__ import annotations

import numpy as np

from . import catalogue as cat
from .conventions import e164, new_phones

STYLE = {r: ("hk" if r == "HK" else "mo" if r == "MO" else "mainland") for r in cat.REGIONS}

_SW = np.array([s[5] for s in cat.SURNAMES], float)
_SW /= _SW.sum()


def people(rng: np.random.Generator, regions) -> dict[str, list]:
    """Person names for people based in ``regions``: Chinese in both scripts plus romanisation
    (pinyin on the mainland, Hong Kong and Macao Cantonese spellings elsewhere)."""
    n = len(regions)
    style = np.array([STYLE[r] for r in regions])
    s = rng.choice(len(cat.SURNAMES), n, p=_SW).tolist()
    g1 = rng.integers(0, len(cat.GIVEN_CHARS), n).tolist()
    g2 = rng.integers(0, len(cat.GIVEN_CHARS), n).tolist()
    two = (rng.random(n) < np.where(style == "mainland", 0.6, 0.93)).tolist()
    S, G = cat.SURNAMES, cat.GIVEN_CHARS
    col = {"mainland": 2, "hk": 3, "mo": 4}
    hans, hant, sur, given, en = [], [], [], [], []
    for si, a, b, t, st in zip(s, g1, g2, two, style.tolist()):
        hans.append(S[si][0] + G[a][0] + (G[b][0] if t else ""))
        hant.append(S[si][1] + G[a][1] + (G[b][1] if t else ""))
        c = col[st]
        sn = S[si][c]
        gn = ((G[a][2] + G[b][2]).capitalize() if t else G[a][2].capitalize()) if c == 2 else \
            (f"{G[a][c]} {G[b][c]}" if t else G[a][c])
        sur.append(sn)
        given.append(gn)
        en.append(f"{sn.upper()} {gn}")
    return {"hans": hans, "hant": hant, "sur": sur, "given": given, "en": en, "style": style.tolist()}


def email_locals(sur: list[str], given: list[str], k: np.ndarray) -> list[str]:
    out = []
    for s, g, kk in zip(sur, given, k.tolist()):
        s2 = s.lower().replace(" ", "")
        g2 = g.lower().replace(" ", "")
        initials = "".join(p[0] for p in g.lower().split(" "))
        out.append((f"{g2}.{s2}", f"{initials}{s2}", f"{s2}{g2}{kk % 97}")[kk % 3])
    return out


def phones(rng, regions, mobile_share: float):
    """Valid phone numbers for people/places in ``regions``: (cc, area, local, e164) lists."""
    regions = np.asarray(regions)
    n = len(regions)
    cc, area, local = [""] * n, [""] * n, [""] * n
    for r in np.unique(regions).tolist():
        idx = np.flatnonzero(regions == r)
        reg = cat.REGIONS[r]
        a, l_ = new_phones(rng, reg.cc, reg.area, len(idx), mobile_share)
        for j, i in enumerate(idx.tolist()):
            cc[i], area[i], local[i] = reg.cc, a[j], l_[j]
    return cc, area, local, [e164(c, a, l_) for c, a, l_ in zip(cc, area, local)]

"""How one entity's name ends up written differently: script, abbreviation, typos, name order.

Variant codes are shared by the planner (which record gets which variant) and the platform
writers (which apply them).
"""
from __future__ import annotations

PRIMARY, CROSS, SCRIPT, ENGLISH, ABBREV, TYPO, IDFORMAT = range(7)
VARIANT_NAMES = {PRIMARY: "primary", CROSS: "cross_platform", SCRIPT: "script", ENGLISH: "english_name",
                 ABBREV: "abbreviation", TYPO: "typo", IDFORMAT: "id_format"}

#: look-alike characters typed by mistake (same sound or same shape), both scripts
_TYPOS = {"仪": "议", "器": "气", "院": "阮", "技": "枝", "究": "就", "学": "雪", "实": "室", "测": "侧",
          "统": "通", "谱": "普", "儀": "議", "學": "雪", "實": "室", "測": "側", "統": "通", "譜": "普",
          "科": "料", "術": "述", "术": "述"}
_KEEP = set("（）()·-—")


def typo(text: str, salt: int) -> str:
    """A plausible typo: a look-alike character, a dropped character, or swapped letters."""
    if not text:
        return text
    if text.isascii():
        words = text.split(" ")
        long_words = [i for i, w in enumerate(words) if len(w) >= 5]
        if not long_words:
            return text + text[-1]
        i = long_words[salt % len(long_words)]
        w = words[i]
        j = 1 + salt % (len(w) - 2)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
        return " ".join(words)
    hits = [i for i, ch in enumerate(text) if ch in _TYPOS]
    if hits:
        i = hits[salt % len(hits)]
        return text[:i] + _TYPOS[text[i]] + text[i + 1:]
    candidates = [i for i in range(2, len(text) - 1) if text[i] not in _KEEP]
    if not candidates:
        return text + text[-1]
    i = candidates[salt % len(candidates)]
    return text[:i] + text[i + 1:]


def person_en(surname: str, given: str, style: str, k: int) -> str:
    """An English rendering of a romanised name: ``CHAN Tai Man``, ``Tai Man Chan``, ``Chan Tai-man``."""
    if style == "mainland":
        return (f"{surname.upper()} {given}", f"{given} {surname}", f"{surname} {given}")[k % 3]
    parts = given.split(" ")
    hyph = "-".join([parts[0]] + [p.lower() for p in parts[1:]])
    return (f"{surname.upper()} {given}", f"{given} {surname}", f"{surname} {hyph}",
            f"{surname}, {given}")[k % 4]

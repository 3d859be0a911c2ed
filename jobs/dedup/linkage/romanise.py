"""Romanised comparison keys of person names, so that 陳大文 meets "CHAN Tai Man" and 李荣俊 meets "Rongjun Li".

A Chinese name is romanised twice: in Mandarin pinyin (pypinyin; the mainland convention writes
the surname and the given name as one word each: "Li Rongjun") and in Cantonese (pycantonese
gives Jyutping, turned here into the Hong Kong Government spelling the HK and Macao registers
use, one word per syllable: "Chan Tai Man").  A published English name is cut into lower-case
words.  Every rendering is then *folded* (ts/tz → ch, ee → i, oo → u, ow → au, …) so that the
spelling conventions of Hong Kong, Macao and the Jyutping-derived spelling meet, and written as
its words in sorted order, because the published order varies ("Tai Man Chan", "CHAN Tai-man",
"Chan, Tai Man").  Two records whose sets of keys intersect have the same romanised name.
These keys are for matching only; the published names are kept as they are.
"""
from __future__ import annotations

import re
from functools import lru_cache

from bayres.jobs.conform.calibration.text import normalise_text, to_simplified

__all__ = ["warm_up", "name_keys", "latin_key", "pinyin_key", "cantonese_key", "split_surname", "fold"]

#: two-character surnames (Simplified), so the given name starts after them
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司徒", "上官", "诸葛", "司马", "东方", "尉迟", "公孙", "慕容", "皇甫", "夏侯", "令狐",
    "端木", "长孙", "宇文", "西门", "南宫", "轩辕", "钟离", "闻人"})

#: surnames whose reading differs from the character's common one: (pinyin, Jyutping)
SURNAME_READINGS = {
    "曾": ("zeng", "zang1"), "区": ("ou", "au1"), "单": ("shan", "sin6"), "仇": ("qiu", "sau4"),
    "解": ("xie", "haai6"), "查": ("zha", "zaa1"), "朴": ("piao", "paau4"), "缪": ("miao", "miu6"),
    "翟": ("zhai", "zaak6"), "覃": ("qin", "tam4"), "盖": ("ge", "koi3"), "乐": ("yue", "lok6"),
    "员": ("yun", "wan4"), "召": ("shao", "siu6"), "晟": ("cheng", "sing4"), "种": ("chong", "cung4"),
}

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[a-z]+")
_JYUTPING = re.compile(r"^(gw|kw|ng|[bpmfdtnlgkhwzcsj])?([a-z]+?)([1-6])?$")

#: Jyutping initials → Hong Kong Government spelling
_INITIALS = {"b": "p", "p": "p", "m": "m", "f": "f", "d": "t", "t": "t", "n": "n", "l": "l",
             "g": "k", "k": "k", "ng": "ng", "h": "h", "gw": "kw", "kw": "kw", "w": "w",
             "z": "ch", "c": "ch", "s": "s", "j": "y", "": ""}
#: Jyutping finals → Hong Kong Government spelling (finals not listed are written as they are)
_FINALS = {"aa": "a", "aai": "ai", "aau": "au", "aam": "am", "aan": "an", "aang": "ang", "aap": "ap",
           "aat": "at", "aak": "ak", "ou": "o", "oeng": "eung", "oek": "euk", "oe": "oe", "eoi": "ui",
           "eon": "un", "eot": "ut", "yu": "yu", "yun": "uen", "yut": "uet", "i": "i", "u": "u"}
#: folds applied to every romanised word, in order, so that the Hong Kong spelling, the Macao
#: (Portuguese-based) spelling and the spelling derived from Jyutping meet: Tsang/Chang,
#: Kwok/Kuok, Yeung/Ieong, Ming/Meng, Lo/Lou, Chiu/Chio, Yu/U, Chung/Chong, Hui/Hoi, Wah/Va
_FOLDS = (("tsz", "chi"), ("sze", "si"), ("ts", "ch"), ("tz", "ch"), ("sh", "s"), ("v", "w"),
          ("kw", "ku"), ("ee", "i"), ("ei", "i"), ("oo", "u"), ("ow", "au"), ("aw", "o"),
          ("ea", "e"), ("ao", "au"), ("io", "iu"), ("eo", "eu"), ("ou", "o"), ("ue", "u"),
          ("ing", "eng"), ("ung", "ong"), ("un", "on"), ("ui", "oi"))


@lru_cache(maxsize=65_536)  # syllables and romanised words repeat: a few thousand distinct ones
def fold(word: str) -> str:
    """One romanised word folded so that HK/Macao/derived spellings meet: 'Tsang' → 'chang'."""
    w = word.lower()
    if w.startswith("y"):  # Yip/Ip, Yim/Im, Yau/Iao
        w = "i" + w[1:].lstrip("i")
    for a, b in _FOLDS:
        w = w.replace(a, b)
    if w.startswith("iu") or w.startswith("io"):  # Yu/U, Yuen/Un, Yiu/Io
        w = w[1:]
    if len(w) > 2 and w.endswith("h") and w[-2] in "aeiou":  # Wah → wa
        w = w[:-1]
    return w


def _key(words) -> str | None:
    words = sorted(fold(w) for w in words if w)
    return " ".join(words) or None


def split_surname(name: str) -> tuple[str, str]:
    """(surname, given name) of a Simplified Chinese name: 欧阳志明 → ('欧阳', '志明')."""
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


@lru_cache(maxsize=200_000)
def _chinese(name: str | None) -> str | None:
    """The CJK characters of a name in Simplified script, or None if it has none."""
    text = normalise_text(name)
    if text is None or not _CJK.search(text):
        return None
    return "".join(_CJK.findall(to_simplified(text, "hk"))) or None


@lru_cache(maxsize=200_000)
def _pinyin_word(chars: str) -> str:
    """The pinyin of a surname or a given name as one word: '荣俊' → 'rongjun'."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(chars))


@lru_cache(maxsize=200_000)
def pinyin_key(name: str | None) -> str | None:
    """Mandarin key: surname and given name one pinyin word each ('li rongjun'), folded, sorted."""
    zh = _chinese(name)
    if zh is None:
        return None
    surname, given = split_surname(zh)
    sur = SURNAME_READINGS[surname][0] if surname in SURNAME_READINGS else _pinyin_word(surname)
    words = [sur, _pinyin_word(given)]
    return _key(w.replace("v", "u").replace("ü", "u") for w in words)


def _hk_syllable(jyutping: str) -> str:
    """One Jyutping syllable in Hong Kong Government spelling: 'can4' → 'chan', 'daai6' → 'tai'."""
    m = _JYUTPING.match(jyutping)
    if m is None:
        return jyutping
    initial, final = m.group(1) or "", m.group(2)
    if initial == "" and final in ("m", "ng"):  # syllabic nasals: 吳 ng → Ng
        return final
    spelled = _FINALS.get(final, final)
    if final == "yu" and initial not in ("", "j"):  # 朱 zyu → Chu, 書 syu → Shu
        spelled = "u"
    if initial == "j" and spelled.startswith(("y", "i")):  # 余 jyu → Yu, 耀 jiu → Yiu
        return "y" + spelled.lstrip("y")
    return _INITIALS.get(initial, initial) + spelled


@lru_cache(maxsize=1)
def _to_traditional():
    import opencc

    return opencc.OpenCC("s2hk")


@lru_cache(maxsize=200_000)
def _jyutping(chars: str) -> tuple[str, ...] | None:
    """Jyutping syllables of a surname or a given name (Simplified), None if a character is unknown.
    Surname and given name are read apart — a name is not a word — so each is read once per
    distinct value (a few thousand given names make up tens of thousands of names)."""
    import pycantonese

    out: list[str] = []
    for word, jp in pycantonese.characters_to_jyutping(_to_traditional().convert(chars)):
        if jp is None:  # a word it does not know: read it character by character
            for ch in word:
                one = pycantonese.characters_to_jyutping(ch)
                if not one or one[0][1] is None:
                    return None
                out.extend(one[0][1].split())
        else:
            out.extend(re.findall(r"[a-z]+[1-6]", jp))
    return tuple(out)


def cantonese_syllables(name: str | None) -> tuple[str, ...]:
    """Jyutping syllables of a Chinese name (surname readings corrected), or () if unknown."""
    zh = _chinese(name)
    if zh is None:
        return ()
    surname, given = split_surname(zh)
    sur = (SURNAME_READINGS[surname][1],) if surname in SURNAME_READINGS else _jyutping(surname)
    rest = _jyutping(given) if given else ()
    if sur is None or rest is None:
        return ()
    return sur + rest


@lru_cache(maxsize=200_000)
def cantonese_key(name: str | None) -> str | None:
    """Cantonese key: one word per syllable in HK spelling ('chan man tai'), folded, sorted."""
    syllables = cantonese_syllables(name)
    return _key(_hk_syllable(s) for s in syllables) if syllables else None


@lru_cache(maxsize=200_000)
def latin_key(name: str | None) -> str | None:
    """Key of a published romanised name: 'CHAN Tai-man' / 'Tai Man Chan' → 'chan man tai'."""
    text = normalise_text(name)
    if text is None or _CJK.search(text):
        return None
    return _key(_WORD.findall(text.lower()))


def name_keys(name: str | None, name_en: str | None = None) -> list[str]:
    """Every romanised key of a person: of the published English name, and the pinyin and
    Cantonese renderings of the Chinese name (either field may hold either script)."""
    keys: list[str] = []
    for text in (name, name_en):
        for k in (latin_key(text), pinyin_key(text), cantonese_key(text)):
            if k and k not in keys:
                keys.append(k)
    return keys


def warm_up() -> None:
    """Load what romanisation reads on first use — pycantonese's and pypinyin's dictionaries,
    the word segmenter, OpenCC's tables: about 3 s, done once per process."""
    name_keys("陳大文", "Chan Tai Man")

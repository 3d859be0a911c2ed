"""Matching keys for names of organisations and resources, and the organisation alias table.

``name_key`` makes 香港科技大學, 香港科技大学, "The Hong Kong University of Science and
Technology" and HKUST one key, while 香港科技大学（广州） keeps its qualifier and stays another
organisation.  Keys are for matching only; the published names are always kept.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from .text import normalise_text, to_simplified

__all__ = ["name_key", "english_key", "to_simplified", "OrgAliases", "default_aliases",
           "DEFAULT_ALIASES_PATH"]

DEFAULT_ALIASES_PATH = Path(__file__).resolve().parents[3] / "conf" / "reference" / "org_aliases.csv"
ALIAS_KINDS = frozenset({"abbreviation", "english", "portuguese", "traditional", "former_name"})

#: separator between a name and the content of a parenthesised qualifier in a key
QUALIFIER_SEP = "|"

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_BRACKETED = re.compile(r"[(\[【〔]([^()\[\]【】〔〕]*)[)\]】〕]")
_NOT_WORD = re.compile(r"[\W_]+")
_TOKEN = re.compile(r"[^\W_]+")
_COMBINING = re.compile(r"[\u0300-\u036f]")

#: abbreviations and spelling variants folded by english_key (token → replacement)
_EN_WORDS = {
    "univ": "university", "inst": "institute", "tech": "technology", "sci": "science",
    "natl": "national", "intl": "international", "acad": "academy", "dept": "department",
    "lab": "laboratory", "labs": "laboratories", "ctr": "center", "centre": "center",
    "co": "company", "ltd": "limited", "corp": "corporation", "hk": "hong kong",
    "macao": "macau",
}
#: qualifiers that name a GBA city, folded to its Simplified name: (Guangzhou) == （广州）
_PLACES = {
    "guangzhou": "广州", "gz": "广州", "shenzhen": "深圳", "sz": "深圳", "hongkong": "香港",
    "macau": "澳门", "zhuhai": "珠海", "foshan": "佛山", "dongguan": "东莞", "huizhou": "惠州",
    "zhongshan": "中山", "jiangmen": "江门", "zhaoqing": "肇庆",
}


def _fold_accents(s: str) -> str:
    """Drop combining marks: Ciência → Ciencia, milhões → milhoes (CJK is untouched)."""
    return _COMBINING.sub("", unicodedata.normalize("NFD", s))


def _english_tokens(text: str) -> list[str]:
    """Lower-cased, accent-folded word tokens; abbreviations expanded, leading 'the' dropped."""
    text = text.lower()
    if not text.isascii():
        text = _fold_accents(text).replace("\u2019", "")
    text = text.replace("'", "").replace("&", " and ")
    tokens = [_EN_WORDS.get(t, t) for t in _TOKEN.findall(text)]
    if len(tokens) > 1 and tokens[0] == "the":
        del tokens[0]
    return tokens


def english_key(s: str | None) -> str | None:
    """Key of an English (or Portuguese) name: 'The Univ. of Hong Kong' → 'university of hong kong'.

    Lower-case, accents folded, punctuation removed, '&' → 'and', common abbreviations
    expanded, a leading 'the' dropped; words separated by one space.  Blank → None.
    """
    text = normalise_text(s)
    if text is None:
        return None
    return " ".join(_english_tokens(text)) or None


def _part_key(text: str) -> str:
    """Compact key of one part of a name (no spaces, no punctuation)."""
    if _CJK.search(text):
        return _NOT_WORD.sub("", text)
    return "".join(_english_tokens(text)).replace(" ", "")


def _key_parts(s: str | None, variant: str) -> tuple[str, tuple[str, ...]] | None:
    """(base key, qualifier keys) of a name: 香港中文大學（深圳） → ('香港中文大学', ('深圳',))."""
    text = normalise_text(s)
    if text is None:
        return None
    text = to_simplified(text.lower(), variant)
    quals: tuple[str, ...] = ()
    if "(" in text or "[" in text or "【" in text or "〔" in text:
        keys = (_part_key(q) for q in _BRACKETED.findall(text))
        quals = tuple(_PLACES.get(k, k) for k in keys if k)
        text = _BRACKETED.sub(" ", text)
    base = _part_key(text)
    if not base:
        if not quals:
            return None
        base, quals = "".join(quals), ()
    return base, quals


def _join(base: str, quals: Iterable[str]) -> str:
    return "".join([base, *(QUALIFIER_SEP + q for q in quals)])


class OrgAliases:
    """Known names of organisations → their canonical Simplified Chinese name.

    Built from rows (canonical_zh_hans, alias, lang, kind); every canonical name is also an
    alias of itself.  Two organisations claiming the same key is an error at load time.
    """

    def __init__(self, rows: Iterable[tuple[str, str, str, str]], variant: str = "hk") -> None:
        self.variant = variant
        self._by_key: dict[str, str] = {}
        self._canonical_key: dict[str, str] = {}
        self.rows: list[tuple[str, str, str, str]] = []
        for canonical, alias, lang, kind in rows:
            canonical, alias = canonical.strip(), alias.strip()
            if kind not in ALIAS_KINDS:
                raise ValueError(f"alias {alias!r}: unknown kind {kind!r} (one of {sorted(ALIAS_KINDS)})")
            if canonical not in self._canonical_key:
                self._canonical_key[canonical] = self._add(canonical, canonical)
            self._add(alias, canonical)
            self.rows.append((canonical, alias, lang, kind))

    def _add(self, name: str, canonical: str) -> str:
        parts = _key_parts(name, self.variant)
        if parts is None:
            raise ValueError(f"empty alias for {canonical!r}")
        key = _join(*parts)
        other = self._by_key.setdefault(key, canonical)
        if other != canonical:
            raise ValueError(f"alias {name!r} (key {key!r}) names both {other!r} and {canonical!r}")
        return key

    @classmethod
    def from_csv(cls, path: str | Path, variant: str = "hk") -> "OrgAliases":
        """Load ``conf/reference/org_aliases.csv`` (columns canonical_zh_hans, alias, lang, kind)."""
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = {"canonical_zh_hans", "alias", "lang", "kind"} - set(reader.fieldnames or ())
            if missing:
                raise ValueError(f"{path}: missing columns {sorted(missing)}")
            rows = [(r["canonical_zh_hans"], r["alias"], r["lang"], r["kind"]) for r in reader
                    if (r["canonical_zh_hans"] or "").strip() and not r["canonical_zh_hans"].startswith("#")]
        return cls(rows, variant)

    @property
    def canonical_names(self) -> frozenset[str]:
        return frozenset(self._canonical_key)

    def _resolve_parts(self, base: str, quals: tuple[str, ...]) -> str | None:
        found = self._by_key.get(_join(base, quals))
        if found is not None or not quals:
            return found
        # a bracketed alias of the same organisation adds nothing: 香港科技大学(HKUST) is HKUST
        named = [self._by_key[q] for q in quals if q in self._by_key]
        if not named:
            return None
        found = self._by_key.get(_join(base, [q for q in quals if q not in self._by_key]))
        return found if found is not None and all(n == found for n in named) else None

    def resolve(self, name: str | None) -> str | None:
        """The canonical Simplified name if the whole ``name`` is a known alias, else None."""
        parts = _key_parts(name, self.variant)
        return None if parts is None else self._resolve_parts(*parts)

    def key(self, name: str | None, variant: str | None = None) -> str | None:
        """Matching key of ``name``: the canonical name's key for known aliases, else its own."""
        parts = _key_parts(name, variant or self.variant)
        if parts is None:
            return None
        canonical = self._resolve_parts(*parts)
        return _join(*parts) if canonical is None else self._canonical_key[canonical]

    def __len__(self) -> int:
        return len(self._by_key)


@lru_cache(maxsize=None)
def default_aliases(path: str | None = None) -> OrgAliases:
    """The alias table of this checkout (``conf/reference/org_aliases.csv``), loaded once."""
    return OrgAliases.from_csv(path or DEFAULT_ALIASES_PATH)


def name_key(s: str | None, variant: str = "hk", aliases: OrgAliases | None = None) -> str | None:
    """Matching key of a name: NFKC, lower-case, Simplified, punctuation and spaces removed.

    Parenthesised qualifiers are kept as suffixes (香港科技大学（广州） → '香港科技大学|广州',
    (Guangzhou) folds to |广州); a name that is wholly a known alias becomes the key of its
    canonical name.  ``variant`` picks the OpenCC conversion: keep the default 'hk' (it also
    folds HK variant characters such as 衞 and leaves Simplified text alone) so that keys from
    all platforms agree.  Blank → None.
    """
    return (aliases or default_aliases()).key(s, variant)

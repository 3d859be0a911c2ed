"""THE adapter between the portal's search index and the pipeline's name matching.

Every name function the portal uses goes through this module, and only through it: the search
index (portal/index.py) calls these at publish time and on each query. The pipeline's
cross-language matching (jobs/dedup/match_keys.py, jobs/dedup/linkage/, jobs/conform/calibration/names.py) is being
rewritten; when the new functions land, switch the bodies below to them and nothing else changes.

* :func:`simplified` / :func:`traditional` — OpenCC script conversion (HK variants folded);
* :func:`name_key` — the pipeline's matching key of a name (NFKC, Simplified, aliases of
  conf/reference/org_aliases.csv resolved, bracketed qualifiers kept: 香港科技大学（广州） →
  ``香港科技大学|广州``), so HKUST, 香港科技大學 and the English name meet;
* :func:`english_key` — the normalised English / Portuguese key;
* :func:`romanised_keys` — pinyin and Cantonese (HK spelling) renderings, folded and sorted, of a
  person's name (jobs/dedup/linkage/romanise.py);
* :func:`pinyin_words` — toneless Mandarin syllables of any Chinese name (search by pinyin);
* :func:`org_signatures` — the matcher's language-neutral signatures of an organisation name
  (jobs/dedup/linkage/org_tokens.py), so a name in one language finds a record published in another
  without an alias;
* :func:`acronyms` — initials of an English name (``The Hong Kong University of Science and
  Technology`` → ``HKUST``) — derived, so it works for organisations the alias table lacks.
"""
from __future__ import annotations

import re
from functools import lru_cache

from bayres.jobs.conform.calibration import names as _names
from bayres.jobs.conform.calibration.text import normalise_text, to_simplified

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W\d_][^\W_]*")
#: words an English acronym skips (HKUST: Hong Kong University [of] Science [and] Technology)
#: and the Portuguese ones (FDCT: Fundo para o Desenvolvimento das Ciências e da Tecnologia)
_ACRONYM_SKIP = frozenset({"of", "and", "the", "for", "in", "at", "on", "de", "da", "do", "das", "dos",
                           "e", "o", "a", "os", "as", "para", "em", "no", "na"})


def has_cjk(text: str | None) -> bool:
    return bool(text) and bool(_CJK.search(text))


def normalise(text: str | None) -> str | None:
    """NFKC, invisible characters removed, whitespace collapsed; blank → None."""
    return normalise_text(text)


def simplified(text: str | None) -> str | None:
    """Traditional → Simplified (OpenCC hk2s: also folds Hong Kong variant characters)."""
    return to_simplified(normalise_text(text), "hk")


@lru_cache(maxsize=1)
def _s2hk():
    import opencc

    return opencc.OpenCC("s2hk")


def traditional(text: str | None) -> str | None:
    """Simplified → Traditional (OpenCC s2hk, the Hong Kong standard characters)."""
    text = normalise_text(text)
    if not text or text.isascii():
        return text
    return _s2hk().convert(text)


def name_key(text: str | None) -> str | None:
    """The pipeline's matching key of a name (aliases resolved, qualifiers kept)."""
    try:
        return _names.name_key(text)
    except ValueError:
        return None


def english_key(text: str | None) -> str | None:
    """Normalised English/Portuguese key: 'The Univ. of Hong Kong' → 'university of hong kong'."""
    return _names.english_key(text)


def romanised_keys(name: str | None, name_en: str | None = None) -> list[str]:
    """Romanised keys of a person's name (pinyin, Cantonese HK spelling, the published English
    name), each folded with its words sorted: 陳大文 and 'CHAN Tai Man' share 'chan man tai'."""
    from bayres.jobs.dedup.linkage import romanise

    return romanise.name_keys(name, name_en)


def romanised_query_key(text: str | None) -> str | None:
    """The key a romanised query is compared with (:func:`romanised_keys`' form)."""
    from bayres.jobs.dedup.linkage import romanise

    return romanise.latin_key(text)


@lru_cache(maxsize=200_000)
def pinyin_words(text: str | None) -> tuple[str, ...]:
    """Toneless pinyin syllables of the Chinese characters of ``text`` ('香港' → xiang, gang)."""
    if not has_cjk(text):
        return ()
    from pypinyin import lazy_pinyin

    chars = "".join(_CJK.findall(simplified(text) or ""))
    return tuple(w for w in lazy_pinyin(chars) if w.isascii() and w.isalpha())


def acronyms(text: str | None) -> list[str]:
    """Acronyms derived from an English/Portuguese name: initials of its significant words
    ('The Hong Kong University of Science and Technology' → HKUST); a name that is itself an
    acronym is one too, its words joined ('HKUST(GZ)' → HKUSTGZ). An acronym a longer name only
    carries ('2019 HKUST Marine Science Lecture') is not the record's: full text finds it."""
    text = normalise_text(text)
    if not text or has_cjk(text):
        return []
    words = _WORD.findall(text)
    out: list[str] = []
    initials = "".join(w[0] for w in words if w.lower() not in _ACRONYM_SKIP).upper()
    if len(initials) >= 2:
        out.append(initials)
    if words and all(w.isupper() for w in words):  # the name is an acronym: 'HKUST(GZ)' → HKUSTGZ
        out.append("".join(words))
    return list(dict.fromkeys(out))


def org_signatures(text: str | None) -> list[str]:
    """The matcher's language-neutral signatures of an organisation name (jobs/dedup/linkage/
    org_tokens.py: institutional vocabulary, romanised proper names, dictionary glosses), so that
    香港中央圖書館 and "Hong Kong Central Library" meet without an alias; none for an acronym."""
    from bayres.jobs.dedup.linkage.org_tokens import org_tokens

    text = normalise_text(text)
    return org_tokens([text]).signatures if text else []


def warm_up() -> None:
    """Load OpenCC, the alias table, pypinyin and the romanisation dictionaries once."""
    name_key("香港科技大學")
    traditional("香港科技大学")
    pinyin_words("香港")
    romanised_keys("陳大文", "Chan Tai Man")
    org_signatures("香港科技大學")

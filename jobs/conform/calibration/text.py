"""Text normalisation and Traditional→Simplified conversion (OpenCC).

The converters are built once per process; the functions are cheap enough to call per value.
"""
from __future__ import annotations

import unicodedata

import opencc

#: characters deleted by :func:`normalise_text`: C0/C1 controls other than whitespace,
#: zero-width and bidi marks, BOM.  (Whitespace controls are collapsed, not deleted.)
_DROP = dict.fromkeys(
    [c for c in range(0x20) if chr(c) not in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"]
    + [c for c in range(0x7F, 0xA0) if c != 0x85]
    + [0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF]
    + list(range(0x202A, 0x202F)) + list(range(0x2066, 0x206A)))

# OpenCC configurations.  hk2s folds Hong Kong variant characters (衞→卫) before t2s;
# tw2sp is never used: it rewrites vocabulary (軟體→软件), which is not a script conversion.
_CONVERTERS = {"hk": opencc.OpenCC("hk2s.json"), "generic": opencc.OpenCC("t2s.json")}
_VARIANTS = {"hk": "hk", "mo": "hk", "zh-hant-hk": "hk", "zh-hant-mo": "hk",
             "generic": "generic", "t": "generic", "zh-hant": "generic"}


def normalise_text(s: str | None) -> str | None:
    """NFKC (full-width→half-width), invisible characters removed, whitespace collapsed.

    None, empty or blank → None.
    """
    if s is None:
        return None
    if not isinstance(s, str):
        s = str(s)
    if not s.isascii():
        s = unicodedata.normalize("NFKC", s)
    if not s.isprintable():
        s = s.translate(_DROP)
    s = " ".join(s.split())
    return s or None


def converter(variant: str = "generic") -> opencc.OpenCC:
    """The cached OpenCC converter for ``variant``: 'hk' (HK/Macao text) or 'generic' (t2s)."""
    try:
        return _CONVERTERS[_VARIANTS[variant.lower()]]
    except (KeyError, AttributeError):
        raise ValueError(f"unknown script variant {variant!r}; use 'hk' or 'generic'") from None


def to_simplified(s: str | None, variant: str = "generic") -> str | None:
    """Traditional → Simplified Chinese: ``hk2s`` for variant 'hk'/'mo', ``t2s`` for 'generic'.

    Text that is already Simplified, or not Chinese, comes back unchanged; None/'' → None.
    """
    if not s:
        return None
    conv = converter(variant)
    if s.isascii():
        return s
    return conv.convert(s)

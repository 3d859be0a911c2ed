"""Phone numbers → E.164, validated with libphonenumber's metadata (``phonenumbers``).

Plain numbers of mainland China, Hong Kong and Macao (digits and separators, with or without
+86/+852/+853 or 00) take a fast path that checks the national number against the same
metadata patterns ``phonenumbers.is_valid_number`` uses.  Anything the fast path does not
accept goes through ``phonenumbers.parse`` itself, which has the last word.
"""
from __future__ import annotations

import re
import unicodedata

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberFormat

from .errors import CalibrationError

#: number types is_valid_number accepts (any one of them, after the general description)
_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
          "voicemail", "fixed_line", "mobile")
_SEPARATORS = re.compile(r"[\s\-().\u00a0]+")
#: several numbers in one field: the first one is taken
_SEVERAL = re.compile(r"\s*(?:[;,，；、/]|\bor\b|或)\s*")


class _Region:
    """Compiled validation patterns of one region's metadata."""

    def __init__(self, region: str) -> None:
        md = PhoneMetadata.metadata_for_region(region)
        self.region = region
        self.country_code = str(md.country_code)
        self.general = (frozenset(md.general_desc.possible_length),
                        re.compile(md.general_desc.national_number_pattern))
        self.types = []
        for name in _TYPES:
            desc = getattr(md, name)
            if desc is not None and desc.national_number_pattern:
                self.types.append((frozenset(desc.possible_length),
                                   re.compile(desc.national_number_pattern)))
        self.international_prefix = re.compile(md.international_prefix)
        self.national_prefix = md.national_prefix
        self.prefix_for_parsing = (re.compile(md.national_prefix_for_parsing)
                                   if md.national_prefix_for_parsing else None)

    def general_match(self, nsn: str) -> bool:
        lengths, pattern = self.general
        return len(nsn) in lengths and pattern.fullmatch(nsn) is not None

    def valid(self, nsn: str) -> bool:
        if not self.general_match(nsn):
            return False
        n = len(nsn)
        return any((not ls or n in ls) and p.fullmatch(nsn) for ls, p in self.types)

    def national(self, digits: str) -> str | None:
        """The national significant number of a nationally written number, or None to defer."""
        if self.prefix_for_parsing is None:
            return digits
        m = self.prefix_for_parsing.match(digits)
        if m is None:
            return digits
        if m.group(0) == self.national_prefix and not any(m.groups()):
            return digits[m.end():]
        return None  # a carrier code or transform rule: let phonenumbers decide


_REGIONS = {r: _Region(r) for r in ("CN", "HK", "MO")}
_BY_CODE = {r.country_code: r for r in _REGIONS.values()}


def _fast(s: str, region: str) -> str | None:
    """E.164 for plain CN/HK/MO numbers, or None when phonenumbers should decide."""
    digits = _SEPARATORS.sub("", s)
    if digits.startswith("+"):
        digits = digits[1:]
    else:
        home = _REGIONS.get(region)
        if home is None or not digits.isdigit():
            return None
        idd = home.international_prefix.match(digits)
        if idd is not None:  # 00 in CN and MO; HK's 001/008/0059 … are left to phonenumbers
            if idd.group(0) != "00":
                return None
            return _international(digits[2:])
        nsn = home.national(digits)
        if nsn and home.valid(nsn):
            return f"+{home.country_code}{nsn}"
        # 853-28881122: the country code written without '+', as phonenumbers reads it
        cc = home.country_code
        if nsn is None or not digits.startswith(cc) or home.general_match(digits):
            return None
        nsn = home.national(digits[len(cc):])
        return f"+{cc}{nsn}" if nsn and home.valid(nsn) else None
    return _international(digits) if digits.isdigit() else None


def _international(digits: str) -> str | None:
    """E.164 of digits that start with the country code, or None to defer."""
    meta = _BY_CODE.get(digits[:2]) or _BY_CODE.get(digits[:3])
    if meta is None:
        return None
    nsn = meta.national(digits[len(meta.country_code):])
    return f"+{meta.country_code}{nsn}" if nsn and meta.valid(nsn) else None


def _slow(s: str, region: str) -> str:
    """E.164 by phonenumbers.parse + is_valid_number (extensions are dropped)."""
    try:
        number = phonenumbers.parse(s, region)
    except NumberParseException as exc:
        raise CalibrationError(f"invalid phone number '{s}' ({region}): {exc._msg}") from None
    if not phonenumbers.is_valid_number(number):
        raise CalibrationError(f"invalid phone number '{s}' ({region})")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def to_e164(text, region: str) -> str | None:
    """A published phone number as E.164 (+85223586000), read as dialled from ``region``.

    ``region`` is the source's phone region (CN, HK, MO; any ISO region works).  The first of
    several numbers in one field is taken; extensions are dropped.  Blank → None; invalid
    numbers raise :class:`CalibrationError`.
    """
    if text is None:
        return None
    if isinstance(text, float):  # a number cell from a spreadsheet
        if text != text:
            return None
        if text.is_integer():
            text = int(text)
    s = str(text).strip()
    if not s:
        return None
    if not s.isascii():
        s = unicodedata.normalize("NFKC", s)  # full-width digits and ＋
    if _SEVERAL.search(s):
        s = _SEVERAL.split(s, maxsplit=1)[0]
    return _fast(s, region) or _slow(s, region)

"""Strong identifiers: patent numbers, unified social credit codes, ORCID iDs, instrument serial
numbers, CSTR ids.

Every normaliser verifies the check character its standard defines, so a typo never becomes
a "strong" match key in de-duplication.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata

from bayres.schemas.resource import CSTR_PATTERN

from .errors import CalibrationError

_JUNK = re.compile(r"[\s\-_/]+")

# ---------------------------------------------------------------- CN patents
#: application number: ZL/CN prefix, 12 digits (since Oct 2003) or 8 (1985–2003), check char
_APPLICATION = re.compile(r"(?:ZL|CN)?(\d{12}|\d{8})\.?([0-9X])")
_PUBLICATION = re.compile(r"CN(\d{7,9})([ABCUYS]\d?)")
_OTHER_OFFICE = re.compile(r"(?!CN|ZL)[A-Z]{2}\d[\d.]*[A-Z]?\d?")
_PATENT_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
#: the 5th digit (3rd in old numbers) of an application number: 1/8 invention, 2/9 utility, 3 design
_APPLICATION_KINDS = {"1": "invention", "8": "invention", "2": "utility", "9": "utility", "3": "design"}
_PUBLICATION_KINDS = {"A": "invention", "B": "invention", "C": "invention", "U": "utility",
                      "Y": "utility", "S": "design"}


def patent_check_char(digits: str) -> str:
    """CNIPA check character of the 8 or 12 digits of an application number (mod 11, 10 → X)."""
    return "0123456789X"[sum(int(d) * w for d, w in zip(digits, _PATENT_WEIGHTS)) % 11]


#: Macao's patent office numbers: I/ invention, U/ utility model, D/ design; six digits
_MACAO = re.compile(r"(?:MO)?([IUD])([0-9]{6})")  # matched after separators are removed
#: provincial S&T achievement registration numbers: region code, year, 'Y', serial
_ACHIEVEMENT_REG = re.compile(r"[0-9]{2}[12][0-9]{3}Y[0-9]{4,8}")


def normalise_patent_no(s) -> str | None:
    """A patent number in one canonical form; blank → None.

    CN application numbers (ZL201910725275.4, CN 2019 1 0725275.4, 2019107252754) →
    'CN201910725275.4' with the check character verified; 8-digit numbers of 1985–2003 need
    their ZL/CN prefix.  CN publication numbers stay publication numbers (CN110941994B).
    Numbers of other offices with their two-letter prefix (HK1234567) are kept, compacted.
    Macao's own numbers (I/118433: invention, U/…: utility) become 'MO-I/118433'; S&T
    achievement registration numbers of the provincial registries (442023Y98645) are kept.
    """
    if s is None:
        return None
    text = str(s).strip()
    if not text:
        return None
    t = _JUNK.sub("", unicodedata.normalize("NFKC", text).upper())
    m = _APPLICATION.fullmatch(t)
    if m and (len(m[1]) == 12 or t[:2] in ("ZL", "CN")):
        digits, check = m[1], m[2]
        year = int(digits[:4]) if len(digits) == 12 else 1900 + int(digits[:2])
        year += 100 if len(digits) == 8 and year < 1985 else 0
        kind = digits[4] if len(digits) == 12 else digits[2]
        if not (2003 <= year <= 2100 if len(digits) == 12 else 1985 <= year <= 2003):
            raise CalibrationError(f"patent application number '{text}': impossible year {year}")
        if kind not in _APPLICATION_KINDS:
            raise CalibrationError(f"patent application number '{text}': unknown type digit {kind}")
        expected = patent_check_char(digits)
        if check != expected:
            raise CalibrationError(f"patent application number '{text}': check character "
                                   f"{check}, expected {expected}")
        return f"CN{digits}.{check}"
    if _PUBLICATION.fullmatch(t) or _OTHER_OFFICE.fullmatch(t) or _ACHIEVEMENT_REG.fullmatch(t):
        return t
    m = _MACAO.fullmatch(t)
    if m:
        return f"MO-{m[1]}/{m[2]}"
    raise CalibrationError(f"unrecognised patent number '{text}'")


def patent_kind(number: str | None) -> str | None:
    """'invention' / 'utility' / 'design' of a normalised CN number, else None."""
    if not number or not number.startswith("CN"):
        return None
    m = _PUBLICATION.fullmatch(number)
    if m:
        return _PUBLICATION_KINDS.get(m[2][0])
    digits = number[2:].split(".")[0]
    return _APPLICATION_KINDS.get(digits[4] if len(digits) == 12 else digits[2:3])


# ---------------------------------------------------------------- unified social credit code
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_CHARS)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")


def credit_code_check_char(code17: str) -> str:
    """GB 32100-2015 check character of the first 17 characters (mod 31, weights 3^i mod 31)."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(code17, _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31]


def normalise_credit_code(s) -> str | None:
    """An 18-character unified social credit code, upper-case, check character verified."""
    if s is None:
        return None
    text = str(s).strip()
    if not text:
        return None
    t = _JUNK.sub("", unicodedata.normalize("NFKC", text).upper())
    if len(t) != 18:
        raise CalibrationError(f"credit code '{text}' has {len(t)} characters, not 18")
    if not _USCC.fullmatch(t):
        raise CalibrationError(f"credit code '{text}' has characters outside GB 32100")
    expected = credit_code_check_char(t[:17])
    if t[17] != expected:
        raise CalibrationError(f"credit code '{text}': check character {t[17]}, expected {expected}")
    return t


# ---------------------------------------------------------------- ORCID
_ORCID = re.compile(r"(?:HTTPS?://)?(?:WWW\.)?(?:ORCID\.ORG/)?(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])/?")


def orcid_check_char(digits15: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 15 digits of an ORCID iD."""
    total = 0
    for d in digits15:
        total = (total + int(d)) * 2
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def normalise_orcid(s) -> str | None:
    """An ORCID iD as 0000-0002-1825-0097 (URL forms accepted), checksum verified."""
    if s is None:
        return None
    text = str(s).strip()
    if not text:
        return None
    m = _ORCID.fullmatch(unicodedata.normalize("NFKC", text).upper().replace(" ", ""))
    if not m:
        raise CalibrationError(f"invalid ORCID iD '{text}'")
    digits = "".join(m.groups())
    expected = orcid_check_char(digits[:15])
    if digits[15] != expected:
        raise CalibrationError(f"ORCID iD '{text}': check character {digits[15]}, expected {expected}")
    return "-".join(m.groups())


# ---------------------------------------------------------------- instrument serial numbers
#: a label written before the number: "S/N BB123", "SN: BB123", "Serial No. BB123", "出厂编号：BB123"
_SERIAL_LABEL = re.compile(r"^(?:S\s*/\s*N|S\.N\.|SERIAL\s*(?:NO\.?|NUMBER|#)?|出厂编号|序列号)\s*[:#：.]?\s*"
                           r"|^SN(?:\s*[:#：]\s*|\s+)")


def normalise_serial_no(s) -> str | None:
    """A manufacturer serial number without its label, upper-case, spaces removed
    ("S/N bb-1913 4968" → "BB-19134968"). Serials have no check character: nothing is refused."""
    if s is None:
        return None
    text = unicodedata.normalize("NFKC", str(s)).strip().upper()
    text = re.sub(r"\s+", "", _SERIAL_LABEL.sub("", text, count=1))
    return text or None


# ---------------------------------------------------------------- CSTR (GB/T 32843)
_CSTR = re.compile(CSTR_PATTERN)
_AGENCY = re.compile(r"[A-Za-z0-9]{5}")
_TYPE = re.compile(r"[0-9]{2}")


def cstr_id(agency: str, type_code, local_id) -> str:
    """'CSTR:<agency>.<type>.<local id>' — agency: 5 ASCII letters/digits, type: 2 digits."""
    agency = str(agency).strip()
    type_code = f"{type_code:02d}" if isinstance(type_code, int) else str(type_code).strip()
    local = "" if local_id is None else str(local_id).strip()
    if not _AGENCY.fullmatch(agency):
        raise CalibrationError(f"CSTR agency code {agency!r} is not 5 ASCII letters/digits")
    if not _TYPE.fullmatch(type_code):
        raise CalibrationError(f"CSTR resource-type code {type_code!r} is not 2 digits")
    if not local or not local.isprintable() or any(c.isspace() for c in local):
        raise CalibrationError(f"CSTR local id {local_id!r} is empty or contains whitespace")
    result = f"CSTR:{agency}.{type_code}.{local}"
    if not _CSTR.match(result):  # the schema's own pattern has the last word
        raise CalibrationError(f"'{result}' does not match {CSTR_PATTERN}")
    return result


def stable_local_id(*parts, length: int = 16) -> str:
    """A deterministic id from ``parts``: upper-case hex of their SHA-256, ``length`` chars.

    Spark computes the same id for one part as ``upper(substr(sha2(part, 256), 1, length))``
    (jobs/dedup/stage.py), so golden-record ids do not need a Python UDF.

    Parts are joined with a unit separator, None is distinct from '', so ('a', 'bc') and
    ('ab', 'c') differ.  The same parts give the same id in every run and on every machine.
    """
    if not parts:
        raise ValueError("stable_local_id needs at least one part")
    payload = "\x1f".join("\x00" if p is None else str(p) for p in parts).encode("utf-8")
    return hashlib.sha256(payload).hexdigest().upper()[:length]

"""Strong identifiers: how they are built (with their real check digits) and the different
ways platforms write the same one.

Canonical forms (what ``truth/entities.csv`` carries as ``strong_id``):
CN patent application number ``201910123456.7``; unified social credit code (18 chars);
ORCID ``0000-0002-1825-0097``; instrument serial number as issued; grant numbers as issued.
"""
from __future__ import annotations

import hashlib

# ------------------------------------------------------------------ CN patent application no.
_PATENT_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def patent_check(digits12: str) -> str:
    """Check character of a 12-digit CN application number (ZL/CN …. C)."""
    s = sum(int(d) * w for d, w in zip(digits12, _PATENT_WEIGHTS)) % 11
    return "X" if s == 10 else str(s)


def patent_number(year: int, kind_digit: int, serial: int) -> str:
    """Canonical application number ``YYYYKNNNNNNN.C`` (kind 1 invention, 2 utility, 3 design)."""
    body = f"{year:04d}{kind_digit}{serial:07d}"
    return f"{body}.{patent_check(body)}"


#: how platforms write a patent number: style → function of the canonical number
PATENT_STYLES = {
    "plain": lambda n: n,
    "zl": lambda n: "ZL" + n,
    "zl_space": lambda n: "ZL " + n,
    "cn": lambda n: "CN" + n,
    "nodot": lambda n: n.replace(".", ""),
    "cn_nodot": lambda n: "CN" + n.replace(".", ""),
}


# --------------------------------------------------------- unified social credit code (USCC)
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORGCODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def orgcode_check(body8: str) -> str:
    """GB 11714 check character of an 8-digit organisation code."""
    c = 11 - sum(int(d) * w for d, w in zip(body8, _ORGCODE_WEIGHTS)) % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def uscc(dept_type: str, admin: str, body8: str) -> str:
    """GB 32100 unified social credit code: 2-char registrant type, 6-digit division, org code, check."""
    head = dept_type + admin + body8 + orgcode_check(body8)
    c = (31 - sum(USCC_CHARS.index(ch) * w for ch, w in zip(head, _USCC_WEIGHTS)) % 31) % 31
    return head + USCC_CHARS[c]


def uscc_from_key(key: str, dept_type: str, admin: str) -> str:
    """A synthetic, checksum-valid code derived from a stable key (never a real organisation's)."""
    body = str(int(hashlib.sha256(key.encode()).hexdigest(), 16))[-8:]
    return uscc(dept_type, admin, body)


#: registrant type of the code by org_type: 12 public institution, 11 government organ, 91 company
USCC_TYPE = {"university": "12", "research_institute": "12", "laboratory": "12", "large_facility": "12",
             "innovation_platform": "12", "hospital": "12", "government": "11", "enterprise": "91",
             "other": "52"}


# ---------------------------------------------------------------------------------- ORCID
def orcid_check(digits15: str) -> str:
    """ISO 7064 Mod 11-2 check character of an ORCID iD."""
    total = 0
    for d in digits15:
        total = (total + int(d)) * 2
    r = (12 - total % 11) % 11
    return "X" if r == 10 else str(r)


def orcid(n: int) -> str:
    """Canonical ORCID ``0000-000D-DDDD-DDDC`` (D in the 0001–0003 blocks real iDs use)."""
    body = f"0000000{1 + n % 3}{(n // 3) % 10**7:07d}"
    full = body + orcid_check(body)
    return "-".join(full[i:i + 4] for i in range(0, 16, 4))


ORCID_STYLES = {
    "plain": lambda o: o,
    "url": lambda o: "https://orcid.org/" + o,
    "nodash": lambda o: o.replace("-", ""),
}


# ------------------------------------------------------------------- serials and grant numbers
SERIAL_STYLES = {
    "plain": lambda s: s,
    "lower": lambda s: s.lower(),
    "sn": lambda s: "S/N " + s,
    "dashed": lambda s: s[:4] + "-" + s[4:],
}

GRANT_STYLES = {
    "plain": lambda g: g,
    "dash": lambda g: g.replace("/", "-"),
    "lower": lambda g: g.lower(),
    "spaced": lambda g: g.replace("/", " / "),
}

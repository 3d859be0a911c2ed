"""E-mail addresses and web addresses: validated and normalised, or refused with the reason."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit, urlunsplit

from .errors import CalibrationError

_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
#: spam-proofed forms published on web pages: name[at]x.edu.hk, name(at)x(dot)edu(dot)cn
_AT = re.compile(r"\s*[\[(（{]\s*at\s*[\])）}]\s*", re.I)
_DOT = re.compile(r"\s*[\[(（{]\s*dot\s*[\])）}]\s*", re.I)
_SEVERAL = re.compile(r"[;,，；、\s]+")
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
                   r"|localhost|\d{1,3}(?:\.\d{1,3}){3}")
_BARE_HOST = re.compile(r"(?:www\.|[a-z0-9-]+\.)+[a-z]{2,63}(?:[:/?#].*)?", re.I)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


def validate_email(s) -> str | None:
    """A normalised (lower-case) e-mail address, or :class:`CalibrationError`; blank → None.

    Full-width characters, a ``mailto:`` prefix and spam-proofing ([at], (dot), or one '#'
    standing for '@' as on many Chinese pages) are undone; the first of several addresses is
    taken.  Internationalised domains are refused (the catalogue pattern is ASCII).
    """
    if s is None:
        return None
    text = str(s).strip()
    if not text:
        return None
    t = text if text.isascii() else unicodedata.normalize("NFKC", text)
    t = _DOT.sub(".", _AT.sub("@", t)).strip().lower()
    if t.startswith("mailto:"):
        t = t[7:]
    t = _SEVERAL.split(t.strip(" ;,<>"), maxsplit=1)[0].rstrip(".。")
    if "@" not in t and t.count("#") == 1:
        t = t.replace("#", "@")
    if not t.isascii():
        raise CalibrationError(f"non-ASCII e-mail address '{text}'")
    if len(t) > 254 or not _EMAIL.fullmatch(t):
        raise CalibrationError(f"invalid e-mail address '{text}'")
    return t


def validate_url(s) -> str | None:
    """A normalised http(s) URL, or :class:`CalibrationError`; blank → None.

    Scheme and host are lower-cased, default ports dropped, an empty path becomes '/',
    non-ASCII path/query characters are percent-encoded and IDN hosts punycoded.  A bare
    host ('www.hkust.edu.hk/…') gets 'http://'.  Other schemes are refused.
    """
    if s is None:
        return None
    text = str(s).strip()
    if not text:
        return None
    t = text if text.isascii() else unicodedata.normalize("NFKC", text)
    if any(c.isspace() for c in t):
        raise CalibrationError(f"whitespace in URL '{text}'")
    if "://" not in t and _BARE_HOST.fullmatch(t):
        t = "http://" + t
    try:
        parts = urlsplit(t)
        port = parts.port
    except ValueError as exc:
        raise CalibrationError(f"invalid URL '{text}': {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise CalibrationError(f"not an http(s) URL '{text}'")
    host = parts.hostname or ""
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise CalibrationError(f"invalid host in URL '{text}'") from None
    if not _HOST.fullmatch(host):
        raise CalibrationError(f"invalid host in URL '{text}'")
    netloc = host
    if parts.username is not None:
        raise CalibrationError(f"credentials in URL '{text}'")
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{host}:{port}"
    path = quote(parts.path, safe=_PATH_SAFE) or "/"
    query = quote(parts.query, safe=_QUERY_SAFE)
    fragment = quote(parts.fragment, safe=_QUERY_SAFE)
    return urlunsplit((scheme, netloc, path, query, fragment))


#: how the platforms write yes and no (zh-Hans, zh-Hant, en, pt), lower-cased
_YES = {"1", "y", "yes", "true", "t", "是", "同意", "sim", "s"}
_NO = {"0", "n", "no", "false", "f", "否", "不同意", "não", "nao"}


def parse_consent(s) -> bool | None:
    """A consent flag as the source writes it → True/False; blank → None (no consent);
    anything else raises :class:`CalibrationError` (flagged, and no consent)."""
    if s is None or isinstance(s, bool):
        return s
    text = str(s).strip().lower()
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise CalibrationError(f"not a yes/no consent flag: {str(s)[:40]!r}")

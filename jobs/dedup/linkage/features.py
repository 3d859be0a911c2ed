"""Derived comparison columns (``lk_*``) the linkage configurations compare and block on.

The calibrated record already carries Simplified, alias-resolved matching keys (``name_key``,
``name_en_key``, ``owner_org_key``).  Linkage adds what a pairwise comparison needs:

* ``names`` — ``lk_name_base`` / ``lk_name_qual``: the name key without and with only its
  parenthesised qualifier (香港中文大学|深圳 → 香港中文大学 / 深圳), so that a qualifier that
  differs keeps two organisations apart; ``lk_name_head`` / ``lk_name_tail``: the first and
  last four characters, blocking keys that survive a typo in the other half; ``lk_name_en``,
  ``lk_owner``.
* ``org_names`` — ``lk_org_keys``: the alias-resolved keys of every published name of the
  organisation (Chinese in both scripts, English, Portuguese), so 澳門大學, University of Macau
  and Universidade de Macau share a key.
* ``org_tokens`` — language-neutral tokens of every published name (jobs/dedup/linkage/org_tokens.py,
  vocabulary conf/linkage/org_vocabulary.csv): ``lk_org_sigs`` (token-set signatures: 香港中文大學
  and "The Chinese University of Hong Kong" meet without any alias), ``lk_org_noprefix`` (the
  same without a leading city), ``lk_org_parents`` (signatures of the organisation a branch,
  campus or affiliated unit belongs to), ``lk_org_acronyms`` / ``lk_org_is_acronym``,
  ``lk_org_proper`` (romanised proper-name tokens), ``lk_org_block`` (blocking keys),
  ``lk_org_sig`` (the first signature: a scalar for EM's blocking, which cannot explode arrays),
  ``lk_org_near`` (signatures with each head word replaced by its class, conf/linkage/
  org_head_classes.csv: a Commission and an Authority of one name meet), ``lk_org_places``
  (the places the names name: 澳門…, "… de Macau" → macau).
* ``person_names`` — ``lk_person_keys``: romanised keys (jobs/dedup/linkage/romanise.py),
  ``lk_person_latin`` (one romanised key, for Jaro-Winkler), ``lk_person_zh`` (the Chinese name
  in Simplified script), ``lk_person_initials`` (first letters of the romanised words).
* ``affiliation`` — ``lk_affiliation``: alias-resolved key of the person's organisation.
* ``contact`` — ``lk_email``, ``lk_domain`` (web or e-mail domain).
* ``identifiers`` — ``lk_serial``, ``lk_patent``, ``lk_grant``: serial, patent/registration and
  grant numbers reduced to upper-case letters and digits, as jobs/dedup/stage.py compares them; as
  evidence here, two different numbers speak strongly against a match.

The same pandas function runs on both backends (on Spark through ``mapInPandas``), so the
columns are identical whichever engine scores the pairs.
"""
from __future__ import annotations

import re
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from bayres.jobs.conform.calibration import names
from bayres.jobs.conform.calibration.text import normalise_text

from . import org_tokens, romanise

#: derived columns per feature group, with their type ("string" or "array")
FEATURE_COLUMNS = {
    "names": {"lk_name_base": "string", "lk_name_qual": "string", "lk_name_head": "string",
              "lk_name_tail": "string", "lk_name_en": "string", "lk_owner": "string"},
    "org_names": {"lk_org_keys": "array"},
    "org_tokens": {"lk_org_sigs": "array", "lk_org_noprefix": "array", "lk_org_parents": "array",
                   "lk_org_acronyms": "array", "lk_org_is_acronym": "array", "lk_org_proper": "array",
                   "lk_org_block": "array", "lk_org_sig": "string", "lk_org_near": "array",
                   "lk_org_places": "array"},
    "person_names": {"lk_person_keys": "array", "lk_person_latin": "string", "lk_person_zh": "string",
                     "lk_person_initials": "string"},
    "affiliation": {"lk_affiliation": "string"},
    "contact": {"lk_email": "string", "lk_domain": "string"},
    "identifiers": {"lk_serial": "string", "lk_patent": "string", "lk_grant": "string"},
}
#: record columns each feature group reads
FEATURE_INPUTS = {
    "names": ("name_key", "name_en_key", "owner_org_key"),
    "org_names": ("name", "name_en", "name_pt", "org_name_zh_hans", "org_name_zh_hant", "org_name_en",
                  "org_name_pt"),
    "org_tokens": ("name", "name_en", "name_pt", "org_name_zh_hans", "org_name_zh_hant", "org_name_en",
                   "org_name_pt"),
    "person_names": ("name", "name_en", "person_name", "person_name_en"),
    "affiliation": ("person_affiliation",),
    "contact": ("contact_email", "access_url"),
    "identifiers": ("inst_serial_no", "ach_patent_no", "proj_number"),
}
#: identifier columns, by derived column
IDENTIFIERS = {"lk_serial": "inst_serial_no", "lk_patent": "ach_patent_no", "lk_grant": "proj_number"}
#: the published names of an organisation whose keys go into lk_org_keys
ORG_NAME_FIELDS = ("name", "name_en", "name_pt", "org_name_zh_hans", "org_name_zh_hant",
                   "org_name_en", "org_name_pt")
HEAD = 4


def derived_columns(features) -> dict[str, str]:
    """{column: type} of the derived columns of the given feature groups, in a stable order."""
    out: dict[str, str] = {}
    for f in features:
        out.update(FEATURE_COLUMNS[f])
    return out


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name] if name in df.columns else pd.Series([None] * len(df), index=df.index, dtype=object)


def _distinct(series: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(code per row, distinct non-blank values): names and numbers repeat, so the string work
    is done once per distinct value and spread back with :func:`_take`.  Missing and empty
    values get code -1."""
    codes, uniques = pd.factorize(series)
    uniques = pd.Series(uniques, dtype=object)
    blank = np.flatnonzero((uniques.astype(str).str.len() == 0).to_numpy())
    if len(blank):
        codes = np.where(np.isin(codes, blank), -1, codes)
    return codes, uniques


def _take(values, codes: np.ndarray) -> np.ndarray:
    """Per row, the value computed for its distinct value (None for code -1)."""
    per_value = np.empty(len(values) + 1, dtype=object)
    per_value[:-1] = pd.Series(values, dtype=object).where(pd.notna(values), None).to_numpy()
    per_value[-1] = None
    return per_value[codes]


def _blank_to_none(s: pd.Series) -> np.ndarray:
    codes, uniques = _distinct(s)
    return _take(uniques, codes)


def _per_unique(series: pd.Series, fn) -> np.ndarray:
    """``fn`` applied once per distinct value (names repeat a lot)."""
    codes, uniques = _distinct(series)
    return _take([fn(v) for v in uniques], codes)


def _names(df: pd.DataFrame, out: pd.DataFrame) -> None:
    codes, keys = _distinct(_col(df, "name_key"))
    split = keys.str.split(names.QUALIFIER_SEP, n=1)
    base = split.str[0]
    long_enough = base.str.len() > HEAD
    out["lk_name_base"] = _take(base, codes)
    out["lk_name_qual"] = _take(split.str[1].fillna(""), codes)
    out["lk_name_head"] = _take(base.str[:HEAD].where(long_enough, None), codes)
    out["lk_name_tail"] = _take(base.str[-HEAD:].where(long_enough, None), codes)
    out["lk_name_en"] = _blank_to_none(_col(df, "name_en_key"))
    out["lk_owner"] = _blank_to_none(_col(df, "owner_org_key"))


def _key_list(values) -> list | None:
    keys: list[str] = []
    for v in values:
        if v is not None and isinstance(v, str) and v.strip():
            k = names.name_key(v)
            if k and k not in keys:
                keys.append(k)
    return keys or None


def _org_names(df: pd.DataFrame, out: pd.DataFrame) -> None:
    cols = [_col(df, c) for c in ORG_NAME_FIELDS]
    rows = zip(*[c.where(c.notna(), None).tolist() for c in cols])
    cache: dict = {}
    keys = []
    for r in rows:
        if r not in cache:
            cache[r] = _key_list(r)
        keys.append(cache[r])
    out["lk_org_keys"] = keys


def _org_tokens(df: pd.DataFrame, out: pd.DataFrame) -> None:
    """Language-neutral tokens of every published name (org_tokens.py): signatures, the same
    without a leading city, parents' signatures, acronyms, proper-name tokens, and the blocking
    keys (signatures, prefix-less signatures, acronyms, near signatures)."""
    cols = [_col(df, c) for c in ORG_NAME_FIELDS]
    rows = zip(*[c.where(c.notna(), None).tolist() for c in cols])
    cache: dict = {}
    values = []
    for r in rows:
        if r not in cache:
            t = org_tokens.org_tokens(r)
            block = t.signatures + t.no_prefix + ["#" + a for a in t.is_acronym + t.acronyms] + t.near
            cache[r] = tuple(x or None for x in (t.signatures, t.no_prefix, t.parents, t.acronyms,
                                                 t.is_acronym, t.proper, list(dict.fromkeys(block)),
                                                 t.signatures[0] if t.signatures else None, t.near,
                                                 t.places))
        values.append(cache[r])
    for i, name in enumerate(FEATURE_COLUMNS["org_tokens"]):
        out[name] = [v[i] for v in values]


def _person_names(df: pd.DataFrame, out: pd.DataFrame) -> None:
    person = _col(df, "person_name").where(_col(df, "person_name").notna(), _col(df, "name"))
    person_en = _col(df, "person_name_en").where(_col(df, "person_name_en").notna(), _col(df, "name_en"))
    pairs = list(zip(person.where(person.notna(), None).tolist(), person_en.where(person_en.notna(), None).tolist()))
    cache: dict = {}
    for p in set(pairs):
        keys = romanise.name_keys(*p)
        latin = romanise.latin_key(p[1]) or romanise.latin_key(p[0]) or (keys[0] if keys else None)
        zh = romanise._chinese(p[0]) or romanise._chinese(p[1])
        initials = "".join(w[0] for w in latin.split()) if latin else None
        cache[p] = (keys or None, latin, zh, initials)
    rows = [cache[p] for p in pairs]
    out["lk_person_keys"] = [r[0] for r in rows]
    out["lk_person_latin"] = [r[1] for r in rows]
    out["lk_person_zh"] = [r[2] for r in rows]
    out["lk_person_initials"] = [r[3] for r in rows]


def _affiliation(df: pd.DataFrame, out: pd.DataFrame) -> None:
    out["lk_affiliation"] = _per_unique(_col(df, "person_affiliation"), names.name_key)


_HOST = re.compile(r"^www\d*\.")


def _domain(url: str | None, email: str | None) -> str | None:
    if isinstance(url, str) and url:
        host = urlparse(url if "://" in url else "http://" + url).hostname
        if host:
            return _HOST.sub("", host.lower())
    if isinstance(email, str) and "@" in email:
        return email.rsplit("@", 1)[1].lower().strip() or None
    return None


def _contact(df: pd.DataFrame, out: pd.DataFrame) -> None:
    email = _col(df, "contact_email")
    out["lk_email"] = _per_unique(email, lambda e: (normalise_text(e) or "").lower() or None)
    url = _col(df, "access_url")
    codes, pairs = pd.factorize(pd.Series(list(zip(url.where(url.notna(), None), email.where(email.notna(), None))),
                                          dtype=object))
    out["lk_domain"] = _take([_domain(u, e) for u, e in pairs], codes)


def _identifiers(df: pd.DataFrame, out: pd.DataFrame) -> None:
    for derived, source in IDENTIFIERS.items():
        out[derived] = _per_unique(_col(df, source), _alnum)


def _alnum(value) -> str | None:
    return re.sub(r"[^A-Z0-9]", "", str(value).upper()) or None


_DERIVE = {"identifiers": _identifiers, "names": _names, "org_names": _org_names, "org_tokens": _org_tokens, "person_names": _person_names,
           "affiliation": _affiliation, "contact": _contact}


def derive(df: pd.DataFrame, features) -> pd.DataFrame:
    """The derived columns of ``features`` for the records of ``df`` (same index)."""
    out = pd.DataFrame(index=df.index)
    for f in features:
        _DERIVE[f](df, out)
    return out


def add_features(df: pd.DataFrame, features) -> pd.DataFrame:
    """``df`` with the derived columns of ``features`` appended (``df`` itself is not changed)."""
    return pd.concat([df, derive(df, features)], axis=1)

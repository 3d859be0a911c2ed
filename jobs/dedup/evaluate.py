"""Accuracy of de-duplication against a ground truth: tests, benchmarks and generated samples.

The pipeline reads a ground truth only where the profile names one (``evaluation.truth``: the
local profile points at the truth ``bayres generate`` writes beside the sample platforms); the
run report then carries the dedup stage's pairwise precision, recall and F1 per resource type.
Pairwise scores: a pair of records is a true match when both belong to one true entity, a
predicted match when both belong to one golden record.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bayres.schemas.categories import LARGE_INSTRUMENT_MIN_CNY


def _pairs(sizes: pd.Series) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def _scores(pred: pd.Series, true: pd.Series) -> dict:
    """Pairwise scores of two aligned label columns (one row per record)."""
    predicted_pairs = _pairs(pred.value_counts(sort=False))
    true_pairs = _pairs(true.value_counts(sort=False))
    correct = _pairs(pd.DataFrame({"p": pred, "t": true}).value_counts(sort=False))
    precision = correct / predicted_pairs if predicted_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"records": len(pred), "predicted_pairs": predicted_pairs, "true_pairs": true_pairs,
            "correct_pairs": correct, "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4)}


def pairwise_scores(predicted: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """``predicted``: (record_id, cluster column); ``truth``: (record_id, entity column).
    Only records present in both are scored."""
    pred_col = [c for c in predicted.columns if c != "record_id"][0]
    true_col = [c for c in truth.columns if c != "record_id"][0]
    both = predicted.merge(truth, on="record_id", how="inner")
    return _scores(both[pred_col], both[true_col])


def org_groups(entities_path: Path, aliases=None) -> pd.DataFrame:
    """(entity_id, org_group) of the organisation entities of a generated truth: ``known`` when
    one of its published names (Simplified, Traditional, English, Portuguese) is in the shipped
    reference data (conf/reference/org_aliases.csv), else ``unknown``.  The evaluation reads the
    alias table to say which group an organisation is in; the generator never does."""
    from ..conform.calibration.names import default_aliases

    aliases = aliases or default_aliases()
    ent = pd.read_csv(entities_path, dtype=str, keep_default_na=False)
    ent = ent[ent["kind"] == "org"]
    known = [any(aliases.resolve(n) for n in names if n)
             for names in zip(ent["name_zh_hans"], ent["name_zh_hant"], ent["name_en"], ent["name_pt"])]
    return pd.DataFrame({"entity_id": ent["entity_id"].to_numpy(),
                         "org_group": ["known" if k else "unknown" for k in known]})


def load_truth(path: Path) -> pd.DataFrame:
    """(record_id, entity_id, resource_type, org_group) of every generated record
    (truth/records.csv); ``org_group`` (org_groups) is filled for organisations when
    entities.csv is beside it, else empty."""
    path = Path(path)
    truth = pd.read_csv(path, dtype=str, keep_default_na=False,
                        usecols=["platform", "source", "src_record_id", "entity_id", "resource_type"])
    truth["record_id"] = truth["platform"] + ":" + truth["source"] + ":" + truth["src_record_id"]
    truth = truth[["record_id", "entity_id", "resource_type"]]
    entities = path.with_name("entities.csv")
    if entities.exists():
        truth = truth.merge(org_groups(entities), on="entity_id", how="left")
        truth["org_group"] = truth["org_group"].fillna("")
    return truth


def dedup_accuracy(predicted: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """Pairwise scores overall and per resource type; ``predicted``: (record_id, cluster column),
    e.g. the lineage's (record_id, cstr_id).  One join; clusters and entities counted as
    integer codes (a million records in about a second).  With an ``org_group`` column in
    ``truth``: also ``org_groups`` — the scores of the records of organisations the shipped
    reference data knows and of those it does not, overall and per resource type (pairs within
    each group's records)."""
    pred_col = [c for c in predicted.columns if c != "record_id"][0]
    cols = ["record_id", "entity_id", "resource_type"] + (["org_group"] if "org_group" in truth else [])
    both = predicted.merge(truth[cols], on="record_id", how="inner")
    pred = pd.Series(pd.factorize(both[pred_col])[0])
    true = pd.Series(pd.factorize(both["entity_id"])[0])

    def scores(rows):
        return _scores(pred[rows].reset_index(drop=True), true[rows].reset_index(drop=True))

    per_type = {t: scores(rows) for t, rows in both.groupby("resource_type").indices.items()}
    out = {**_scores(pred, true), "per_type": per_type}
    if "org_group" in both:
        out["org_groups"] = {}
        for g in ("known", "unknown"):
            rows = np.flatnonzero((both["org_group"] == g).to_numpy())
            if len(rows):
                sub = both.iloc[rows]
                out["org_groups"][g] = {
                    **scores(rows), "entities": int(sub["entity_id"].nunique()),
                    "per_type": {t: scores(rows[r]) for t, r in sub.reset_index(drop=True)
                                 .groupby("resource_type").indices.items()}}
    return out


# ---------------------------------------------------------------- calibration accuracy
#: variants whose published name is the entity's full name in Chinese (either script), so that
#: its matching key must equal the key of the true Simplified name; typos, abbreviations and
#: English names are other strings by construction (dedup's business, not calibration's)
NAME_COMPARABLE_VARIANTS = ("primary", "cross_platform", "script", "id_format")
#: field_flags prefixes the calibrate stage writes for a flagged optional field
_FLAG = {"bad_date": "created_date:", "bad_phone": "contact_phone:"}


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and v != v) or v is pd.NaT or (isinstance(v, str) and v == "")


def _iso(v) -> str | None:
    """An output date (date, datetime, Timestamp or ISO string) as YYYY-MM-DD; missing → None."""
    if _blank(v):
        return None
    return v.isoformat()[:10] if hasattr(v, "isoformat") else str(v)[:10]


def _field_score(checked: pd.DataFrame, ok: pd.Series, expected: str, got: str, examples: int,
                 **extra) -> dict:
    n, correct = len(checked), int(ok.sum())
    wrong = checked[~ok]
    bad = wrong.head(examples)
    return {"checked": n, "correct": correct,
            "accuracy": round(correct / n, 6) if n else None,
            **extra,
            "mismatches_by_source": (wrong["platform"] + "/" + wrong["source"]).value_counts().to_dict(),
            "mismatches": [{"record_id": r["record_id"], "expected": r[expected],
                            "got": None if _blank(r[got]) else r[got],
                            "variant": r["variant"], "defect": r["defect"]}
                           for _, r in bad.iterrows()]}


def _has(defects: pd.Series, name: str) -> pd.Series:
    return defects.map(lambda d: name in d.split(";"))


#: how far a CNY value converted from another currency may be from the generator's: the two
#: price with independent rates (the calibrator: the ECB's daily reference rates; the generator:
#: the NBS's annual averages of the central parity interpolated, the HKD peg centre, the MOP peg
#: — jobs/generate/fx.py). Measured over every ECB day of 2015-2025: the relative difference is
#: at most ~7.0 % (USD, 2022, when the RMB moved from 6.3 to 7.3 within the year), its median
#: +0.3 % (USD) / +0.5 % (HKD)
GENERATOR_FX_TOLERANCE = 0.08


def _fx_deviation(relative: pd.Series, currency: pd.Series, foreign: pd.Series) -> dict:
    """Per published currency other than CNY: how many, median and largest relative deviation."""
    out = {}
    d = pd.DataFrame({"dev": relative, "cur": currency})[foreign & relative.notna()]
    for cur, g in d.groupby("cur"):
        out[cur] = {"count": len(g), "median": round(float(g["dev"].median()), 5),
                    "max_abs": round(float(g["dev"].abs().max()), 5)}
    return out


def calibration_accuracy(records: pd.DataFrame, truth: pd.DataFrame,
                         quarantine: pd.DataFrame | None = None, *, aliases=None,
                         examples: int = 5, fx_tolerance: float = GENERATOR_FX_TOLERANCE) -> dict:
    """Per-field accuracy of the calibrated records against the generator's ground truth.

    ``records``: the curated ``resource_record`` rows (record_id, created_date, inst_value_cny,
    proj_amount_cny, inst_currency, proj_currency, inst_original_value, proj_amount,
    contact_phone, name_key, field_flags); ``truth``: ``truth/records.csv`` read as strings
    (``record_id`` is derived if absent); ``quarantine``: the quarantine rows (src_platform,
    src_source, src_record_id, src_location, field) — without it the refusal checks are
    skipped.  ``aliases``: the :class:`~bayres.jobs.conform.calibration.names.OrgAliases` the run used
    (default: this checkout's table).

    A field is checked on every joined record where the truth or the output has a value, except
    records carrying a defect planted on that field (they are scored under ``defects``):

    * ``created_date`` — output ISO date == ``true_created_date``; ``bad_date`` excluded.
    * ``value_cny`` — ``inst_value_cny`` (else ``proj_amount_cny``) vs ``true_value_cny``
      within 0.01 CNY for amounts published in CNY; for amounts published in another currency
      within 0.01 CNY + half a unit of that currency at the rate applied, because platforms
      publish converted amounts in whole units ("HK$1,234,000", "MOP 2,500,000") and the truth
      is the exact CNY value.  ``bad_date`` excluded (the rate of the true date is unknowable
      to the pipeline: it falls back to the run date's rate).  The generator prices with its
      own rates, not the calibrator's table, so an amount converted from another currency is
      also allowed ``fx_tolerance`` (relative, default :data:`GENERATOR_FX_TOLERANCE`), and
      ``fx_deviation`` gives, per published currency, the relative difference output/truth - 1
      (count, median, largest): a systematic error (a wrong currency or peg) shows in the
      median, which the two sources keep within ~1 %.
    * ``contact_phone`` — output == ``true_phone_e164``; ``bad_phone`` excluded.
    * ``name_key`` — output key == ``name_key(true_name_zh_hans)`` computed with the same rule
      and alias table, on records whose published name is the entity's full Chinese name
      (variants :data:`NAME_COMPARABLE_VARIANTS`).  The key is a matching key (NFKC,
      lower-case, punctuation removed, aliases resolved), so the truth goes through the same
      normalisation; what is then measured is the Traditional→Simplified conversion and the
      normalisation of published text against the canonical Simplified name.  The Simplified
      truth side is a fixed point of the conversion, so a wrong or missing conversion of a
      Traditional name shows as a mismatch.

    ``defects``: planted problems and whether each was handled — ``expect_quarantine`` records
    refused (by id, or by source location for rows broken before an id could be read);
    ``bad_date`` / ``bad_phone`` kept with the field nulled and flagged (``created_date:…`` /
    ``contact_phone:…`` in field_flags), or refused for another planted defect;
    ``below_threshold`` instruments refused on ``inst_value_cny``.  ``quarantine``: refusals
    the truth accounts for (expected, or below-threshold on ``inst_value_cny``) vs the rest;
    ``precision`` counts both kinds of accounted refusals as right, ``precision_expected_only``
    only the truth's ``expect_quarantine``.
    """
    from ..conform.calibration import names

    aliases = aliases or names.default_aliases()
    truth = truth.copy()
    for c in ("platform", "source", "src_record_id", "defect", "expect_quarantine", "variant",
              "true_name_zh_hans", "true_created_date", "true_value_cny", "true_phone_e164",
              "src_location"):
        truth[c] = truth[c].fillna("").astype(str)
    if "record_id" not in truth:
        truth["record_id"] = truth["platform"] + ":" + truth["source"] + ":" + truth["src_record_id"]
    rec = records.copy()
    for c in ("inst_value_cny", "proj_amount_cny", "inst_original_value", "proj_amount"):
        rec[c] = pd.to_numeric(rec[c], errors="coerce") if c in rec else float("nan")
    for c in ("inst_currency", "proj_currency", "contact_phone", "name_key", "field_flags"):
        if c not in rec:
            rec[c] = None
    rec = rec[["record_id", "created_date", "inst_value_cny", "proj_amount_cny", "inst_original_value",
               "proj_amount", "inst_currency", "proj_currency", "contact_phone", "name_key",
               "field_flags"]]
    joined = rec.merge(truth, on="record_id", how="inner")
    out: dict = {"truth_records": len(truth), "output_records": len(rec), "joined": len(joined),
                 "fields": {}}

    # created_date → ISO
    j = joined.assign(out_date=joined["created_date"].map(_iso))
    has = (j["true_created_date"] != "") | j["out_date"].notna()
    excl = _has(j["defect"], "bad_date")
    c = j[has & ~excl]
    out["fields"]["created_date"] = _field_score(
        c, c["out_date"].fillna("") == c["true_created_date"], "true_created_date", "out_date",
        examples, excluded_defect=int(excl.sum()))

    # value in CNY
    inst = j["inst_value_cny"].notna() | j["inst_original_value"].notna()
    j["out_cny"] = j["inst_value_cny"].where(inst, j["proj_amount_cny"])
    j["out_amount"] = j["inst_original_value"].where(inst, j["proj_amount"])
    j["out_currency"] = j["inst_currency"].where(inst, j["proj_currency"])
    has = (j["true_value_cny"] != "") | j["out_cny"].notna()
    c = j[has & ~excl].copy()
    true_cny = pd.to_numeric(c["true_value_cny"], errors="coerce")
    rate = (c["out_cny"] / c["out_amount"]).where(c["out_amount"] > 0, 0.0).fillna(0.0)
    foreign = c["out_currency"].fillna("CNY") != "CNY"
    tolerance = 0.01 + (0.5 * rate + fx_tolerance * true_cny.abs()).where(foreign, 0.0)
    ok = (c["out_cny"] - true_cny).abs() <= tolerance + 1e-9
    ok = ok.fillna(False).astype(bool)
    c["out_cny_text"] = None  # what the output says, for the examples of mismatches only
    for i in c.index[~ok][:examples]:
        r = c.loc[i]
        c.at[i, "out_cny_text"] = None if pd.isna(r["out_cny"]) else \
            f"{r['out_cny']:.2f} ({r['out_amount']} {r['out_currency']})"
    out["fields"]["value_cny"] = _field_score(
        c, ok, "true_value_cny", "out_cny_text", examples,
        excluded_defect=int((has & excl).sum()),
        tolerance=f"0.01 CNY; + half a unit of the published currency and {fx_tolerance:.0%} "
                  "(independent rates) if not CNY",
        max_abs_error=round(float((c["out_cny"] - true_cny).abs().max()), 4) if len(c) else None,
        fx_deviation=_fx_deviation(c["out_cny"] / true_cny - 1, c["out_currency"], foreign))

    # phone → E.164
    excl = _has(j["defect"], "bad_phone")
    has = (j["true_phone_e164"] != "") | j["contact_phone"].notna()
    c = j[has & ~excl]
    out["fields"]["contact_phone"] = _field_score(
        c, c["contact_phone"].fillna("") == c["true_phone_e164"], "true_phone_e164", "contact_phone",
        examples, excluded_defect=int(excl.sum()))

    # name → Simplified matching key
    comparable = j["variant"].isin(NAME_COMPARABLE_VARIANTS) & (j["true_name_zh_hans"] != "")
    c = j[comparable].copy()
    keys = {n: names.name_key(n, aliases=aliases) for n in c["true_name_zh_hans"].unique()}
    c["true_key"] = c["true_name_zh_hans"].map(keys)
    out["fields"]["name_key"] = _field_score(
        c, c["name_key"].fillna("") == c["true_key"].fillna(""), "true_key", "name_key", examples,
        not_comparable=j.loc[~comparable, "variant"].value_counts().to_dict())

    # ---------------------------------------------------------------- planted defects
    defects: dict = {}
    refused_field = pd.Series(dtype=object)  # record_id → field it was refused on ('' if none)
    if quarantine is not None:
        q = quarantine.copy()
        q["src_record_id"] = q["src_record_id"].where(q["src_record_id"].notna() & (q["src_record_id"] != ""))
        q["record_id"] = q["src_platform"] + ":" + q["src_source"] + ":" + q["src_record_id"].fillna("")
        q["loc_key"] = q["src_platform"] + ":" + q["src_source"] + "@" + q["src_location"].fillna("")
        truth["loc_key"] = truth["platform"] + ":" + truth["source"] + "@" + truth["src_location"]
        # rows refused before their id could be read (broken rows) are found by their location
        q["truth_id"] = q["record_id"].where(q["src_record_id"].notna(),
                                             q["loc_key"].map(truth.set_index("loc_key")["record_id"]
                                                              .to_dict()))
        q["truth_id"] = q["truth_id"].where(q["truth_id"].isin(truth["record_id"]))
        refused_field = q.dropna(subset=["truth_id"]).drop_duplicates("truth_id") \
            .set_index("truth_id")["field"].fillna("")
    refused = truth["record_id"].isin(refused_field.index)
    expected = truth["expect_quarantine"].str.lower() == "true"
    below = _has(truth["defect"], "below_threshold")

    for name, prefix in _FLAG.items():
        field = "created_date" if name == "bad_date" else "contact_phone"
        planted = _has(truth["defect"], name)
        kept = joined[_has(joined["defect"], name)]
        nulled = kept[field].map(_iso if field == "created_date" else lambda v: None if _blank(v) else v).isna()
        flagged = kept["field_flags"].fillna("").str.contains(prefix, regex=False)
        handled = set(kept.loc[nulled & flagged, "record_id"])
        # refused for another planted defect (missing name, broken row, below threshold): the
        # record never reaches the output, so there is nothing to null or flag
        handled |= set(truth.loc[planted & refused & (expected | below), "record_id"])
        defects[name] = _defect_score(truth[planted], handled, examples)
    if quarantine is not None:
        defects["expect_quarantine"] = _defect_score(truth[expected], set(truth.loc[expected & refused, "record_id"]),
                                                     examples)
        on_value = truth["record_id"].map(refused_field).eq("inst_value_cny")
        defects["below_threshold"] = _defect_score(truth[below], set(truth.loc[below & on_value, "record_id"]),
                                                   examples)
        # every quarantine row against the truth
        t = truth.set_index("record_id")
        q_expected = q["truth_id"].map(t["expect_quarantine"]).fillna("").str.lower() == "true"
        q_below = q["truth_id"].map(t["defect"]).fillna("").map(lambda d: "below_threshold" in d.split(";")) \
            & (q["field"] == "inst_value_cny")
        # an instrument the generator priced just above the threshold that the calibrator's
        # (independent) rate puts just below it: the threshold decision of a borderline value
        # depends on the rate source, so it is accounted for, and counted apart
        true_value = pd.to_numeric(q["truth_id"].map(t["true_value_cny"]), errors="coerce")
        q_borderline = ~q_below & (q["field"] == "inst_value_cny") & \
            (true_value < LARGE_INSTRUMENT_MIN_CNY * (1 + fx_tolerance)).fillna(False)
        accounted = q_expected | q_below | q_borderline
        n = len(q)
        out["quarantine"] = {
            "quarantined": n, "expected": int(q_expected.sum()), "below_threshold": int(q_below.sum()),
            "borderline_fx": int(q_borderline.sum()),
            "unexpected": int((~accounted).sum()), "not_in_truth": int(q["truth_id"].isna().sum()),
            "precision": round(float(accounted.sum()) / n, 6) if n else 1.0,
            "precision_expected_only": round(float(q_expected.sum()) / n, 6) if n else 1.0,
            "unexpected_examples": [
                {"record_id": r["record_id"], "src_location": r["src_location"], "field": r["field"],
                 "reason": r.get("reason"),
                 "defect": t["defect"].get(r["truth_id"]) if isinstance(r["truth_id"], str) else None}
                for _, r in q[~accounted].head(examples).iterrows()],
        }
        seen = truth["record_id"].isin(rec["record_id"]) | refused
        out["unaccounted"] = {"count": int((~seen).sum()),
                              "examples": truth.loc[~seen, "record_id"].head(examples).tolist()}
    out["defects"] = defects
    return out


def _defect_score(planted: pd.DataFrame, handled: set, examples: int) -> dict:
    ok = planted["record_id"].isin(handled)
    n = len(planted)
    return {"planted": n, "handled": int(ok.sum()), "rate": round(float(ok.sum()) / n, 6) if n else None,
            "unhandled": planted.loc[~ok, "record_id"].head(examples).tolist()}

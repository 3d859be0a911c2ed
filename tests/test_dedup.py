"""De-duplication on crafted records (DuckDB engine): strong ids, name keys, ambiguity guard, hard
negatives, probabilistic pairs (from a labelled test double of jobs/dedup/linkage), steward decisions,
survivorship with provenance, CSTR ids on a first run."""
from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pyarrow as pa
import pytest

from bayres.jobs.conform.calibration.identifiers import stable_local_id
from bayres.jobs.run.config import DEFAULT_CONF, load_yaml
from bayres.jobs.conform.stage import RECORD_COLUMNS
from bayres.jobs.dedup.stage import deduplicate
from bayres.jobs.dedup.engine import DuckDBEngine
from bayres.jobs.dedup.linkage import LinkageResult
from bayres.jobs.dedup.survivorship import Rules
from bayres.schemas.derive_arrow import arrow_type
from bayres.schemas.resource import GOLDEN_RESOURCE, RECORD_LINEAGE, RESOURCE_RECORD

RULES = load_yaml(DEFAULT_CONF / "linkage" / "exact.yaml")
SURVIVORSHIP = Rules.from_yaml(DEFAULT_CONF / "linkage" / "survivorship.yaml")
GUARD = load_yaml(DEFAULT_CONF / "linkage" / "clusters.yaml")
DAY = date(2026, 11, 1)


def record(rid, platform, rtype, name_key, **fields):
    row = {c: None for c in RECORD_COLUMNS}
    row.update(record_id=rid, src_platform=platform, src_source="s", src_record_id=rid,
               resource_type=rtype, name=fields.pop("name", name_key), name_key=name_key,
               region="GZ", run_date=DAY, **fields)
    return row


def as_table(rows) -> pa.Table:
    """Rows as an Arrow table typed like RESOURCE_RECORD (the standardized zone's schema)."""
    frame = pd.DataFrame(rows).assign(cstr_id=None)[RESOURCE_RECORD.names]
    schema = pa.schema([(f.name, arrow_type(f.type)) for f in RESOURCE_RECORD.fields])
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


def run(rows, **kwargs):
    engine = DuckDBEngine()
    engine.register("dedup_records", as_table(rows))
    kwargs.setdefault("guard", GUARD)
    return deduplicate(engine, agency="GBA01", run_date=DAY, rules=RULES,
                       survivorship=SURVIVORSHIP, **kwargs)


def fixed_linker(pairs, review=0.5, accept=0.9):
    """TEST DOUBLE of bayres.jobs.dedup.linkage.link_records: returns fixed scored pairs."""
    frame = pd.DataFrame(pairs, columns=["record_id_l", "record_id_r", "resource_type",
                                         "match_probability"]).assign(match_weight=0.0)

    def linker(records):
        assert records.num_rows > 0  # the duckdb backend gets the records as an Arrow table
        types = set(frame["resource_type"])
        return LinkageResult(pairs=frame, thresholds={t: {"review": review, "accept": accept}
                                                      for t in types}, stats={})
    return linker


ROWS = [
    # one patent on two platforms, same number, different title scripts
    record("gz:p:1", "gz", "11", "一种电池", ach_patent_no="CN201910123456.X", name="一种电池"),
    record("hk:p:9", "hk", "11", "一种电池", ach_patent_no="CN201910123456.X", name="一種電池",
           owner_org="香港科技大學", updated_date=date(2026, 1, 1)),
    # two instruments of one model and owner, different serials: homonyms, must stay apart
    record("gz:i:1", "gz", "02", "透射电镜", owner_org_key="中山大学", inst_serial_no="SN-1"),
    record("gz:i:2", "gz", "02", "透射电镜", owner_org_key="中山大学", inst_serial_no="SN-2"),
    # an organisation in three scripts/languages (the alias table resolved the keys upstream)
    record("gz:o:1", "gz", "04", "香港科技大学"),
    record("hk:o:1", "hk", "04", "香港科技大学", name="香港科技大學",
           name_en_key="hong kong university of science and technology",
           name_en="The Hong Kong University of Science and Technology",
           org_name_zh_hant="香港科技大學"),
    record("mo:o:7", "mo", "04", "香港科技大学", name="The Hong Kong University of Science and Technology",
           name_en="Hong Kong Univ. of Science & Technology", org_name_pt="Universidade de Ciência e Tecnologia de Hong Kong"),
    # hard negative: a different university despite the shared prefix
    record("gz:o:2", "gz", "04", "香港科技大学|广州"),
    # Cantonese homophones: two companies romanised alike (誠/盛 → Shing, 元/源 → Yuen) stay apart
    record("hk:o:21", "hk", "04", "诚元光电有限公司", name="誠元光電有限公司",
           name_en_key="shing yuen optoelectronics limited"),
    record("mo:o:22", "mo", "04", "盛源光电有限公司", name="盛源光電有限公司",
           name_en_key="shing yuen optoelectronics limited"),
    # one company, its Chinese name on one platform and only its English name on another: linked
    record("hk:o:24", "hk", "04", "康瑞电子有限公司", name="康瑞電子有限公司",
           name_en_key="hong sui electronics limited"),
    record("mo:o:25", "mo", "04", "hongsuielectronicslimited", name="Hong Sui Electronics Limited",
           name_en_key="hong sui electronics limited"),
    # an event's English name is a translation: two Chinese wordings of one forum still link
    record("gz:e:1", "gz", "10", "粤港澳大湾区科技创新论坛", name_en_key="gba sci tech innovation forum",
           created_date=date(2026, 5, 1)),
    record("hk:e:1", "hk", "10", "大湾区科创论坛", name="大灣區科創論壇",
           name_en_key="gba sci tech innovation forum", created_date=date(2026, 5, 1)),
]


@pytest.fixture(scope="module")
def result():
    r = run(ROWS)
    return r.frame("golden"), r.frame("lineage"), r


def cluster_of(lineage, rid):
    return lineage.set_index("record_id").loc[rid, "cstr_id"]


def test_outputs_have_the_declared_columns(result):
    golden, lineage, r = result
    assert list(golden.columns) == GOLDEN_RESOURCE.names
    assert list(lineage.columns) == RECORD_LINEAGE.names
    records = r.frame("records")
    assert list(records.columns) == RESOURCE_RECORD.names and len(records) == len(ROWS)
    assert records.set_index("record_id")["cstr_id"].to_dict() == \
        lineage.set_index("record_id")["cstr_id"].to_dict()


def test_duckdb_holds_no_copy_of_the_records(result):
    """The records with their cluster are a view: DuckDB reads from the records only the columns
    each step needs, and its memory limit is not spent on a second copy of them."""
    con = result[2].engine.con
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert "dedup_members" in views and "dedup_members" not in tables
    assert "dedup_golden" in tables  # read by several steps: computed once


def test_links_and_hard_negatives(result):
    golden, lineage, _ = result
    assert cluster_of(lineage, "gz:p:1") == cluster_of(lineage, "hk:p:9")
    assert cluster_of(lineage, "gz:i:1") != cluster_of(lineage, "gz:i:2")
    assert cluster_of(lineage, "gz:o:1") == cluster_of(lineage, "hk:o:1") == cluster_of(lineage, "mo:o:7")
    assert cluster_of(lineage, "gz:o:2") != cluster_of(lineage, "gz:o:1")
    assert cluster_of(lineage, "hk:o:21") != cluster_of(lineage, "mo:o:22")
    assert cluster_of(lineage, "hk:o:24") == cluster_of(lineage, "mo:o:25")
    assert cluster_of(lineage, "gz:e:1") == cluster_of(lineage, "hk:e:1")
    assert len(golden) == 9 and golden["member_count"].sum() == len(ROWS)
    rules = lineage.set_index("record_id")["match_rule"]
    assert rules["gz:p:1"] == "strong_id" and rules["gz:o:1"] == "name_key" and rules["gz:o:2"] == "singleton"


def test_ambiguous_name_keys_are_counted(result):
    # 透射电镜|中山大学 carries two serial numbers; "shing yuen …" two Chinese names
    assert result[2].ambiguous_keys >= 2


def test_namesakes_at_one_affiliation_with_two_emails_are_not_merged_exactly():
    """Two people of one name at one affiliation (talent) with two e-mail addresses: the name key
    is ambiguous (exact.yaml ``conflicting``) and links nothing; the same person's records whose
    addresses differ only in case and spaces, or of which one has none, are still one."""
    rows = [record("gz:t:1", "gz", "05", "王伟", owner_org_key="中山大学", contact_email="wangwei@sysu.edu.cn"),
            record("sz:t:2", "sz", "05", "王伟", owner_org_key="中山大学", contact_email="wei.wang@mail.sysu.edu.cn"),
            record("gz:t:3", "gz", "05", "李娜", owner_org_key="中山大学", contact_email="LiNa@sysu.edu.cn"),
            record("sz:t:4", "sz", "05", "李娜", owner_org_key="中山大学", contact_email="lina@sysu.edu.cn "),
            record("hk:t:5", "hk", "05", "李娜", owner_org_key="中山大学"),
            # another type is not concerned: two instruments' e-mail contacts are not identities
            record("gz:i:7", "gz", "02", "电镜", owner_org_key="中山大学", contact_email="a@sysu.edu.cn"),
            record("sz:i:8", "sz", "02", "电镜", owner_org_key="中山大学", contact_email="b@sysu.edu.cn")]
    lineage = run(rows).frame("lineage").set_index("record_id")["cstr_id"]
    assert lineage["gz:t:1"] != lineage["sz:t:2"]
    assert lineage["gz:t:3"] == lineage["sz:t:4"] == lineage["hk:t:5"]
    assert lineage["gz:i:7"] == lineage["sz:i:8"]


def test_survivorship_with_per_field_provenance(result):
    golden, lineage, _ = result
    patent = golden[(golden["member_count"] == 2) & (golden["resource_type"] == "11")].iloc[0]
    # gz has priority: its record survives, hk fills what gz lacks
    assert patent["survivor_record_id"] == "gz:p:1" and patent["name"] == "一种电池"
    assert patent["owner_org"] == "香港科技大學" and patent["source_platforms"] == "gz,hk"
    sources = json.loads(patent["field_sources"])
    assert sources["name"] == "gz:p:1" and sources["owner_org"] == "hk:p:9"
    assert sources["updated_date"] == "hk:p:9" and "description" not in sources  # null: no source
    org = golden[golden["member_count"] == 3].iloc[0]
    sources = json.loads(org["field_sources"])
    # name from gz (Simplified), English name from hk, Portuguese from mo (survivorship.yaml)
    assert (org["name"], sources["name"]) == ("香港科技大学", "gz:o:1")
    assert (org["name_en"], sources["name_en"]) == ("The Hong Kong University of Science and Technology", "hk:o:1")
    assert sources["org_name_pt"] == "mo:o:7" and sources["org_name_zh_hant"] == "hk:o:1"
    survivors = lineage[lineage["is_survivor"]]
    assert len(survivors) == len(golden)
    assert set(survivors["record_id"]) == set(golden["survivor_record_id"])


def test_first_run_ids_are_the_hash_of_the_smallest_record_id(result):
    golden, _, r = result
    patent = golden[(golden["member_count"] == 2) & (golden["resource_type"] == "11")].iloc[0]
    assert patent["cstr_id"] == f"CSTR:GBA01.11.{stable_local_id('gz:p:1')}"
    assert golden["cstr_id"].str.match(r"^CSTR:[A-Za-z0-9]{5}\.[0-9]{2}\..+$").all()
    assert golden["cstr_id"].is_unique
    assert set(r.changes["change"]) == {"new"} and len(r.changes) == len(golden)


def test_survivorship_recency_then_completeness_and_fields_taken_together():
    rows = [
        record("gz:x:1", "gz", "02", "质谱仪", owner_org_key="暨南大学", inst_serial_no="Q-1",
               updated_date=date(2025, 1, 1), inst_original_value=400000.0, inst_currency="CNY",
               inst_value_cny=400000.0),
        record("gz:x:2", "gz", "02", "质谱仪", owner_org_key="暨南大学", inst_serial_no="Q-1",
               updated_date=date(2026, 3, 1), description="newer"),
        record("hk:x:3", "hk", "02", "質譜儀", owner_org_key="暨南大学", inst_serial_no="Q-1",
               updated_date=date(2026, 6, 1), inst_original_value=500000.0, inst_currency="HKD",
               inst_value_cny=460000.0, name_en="Mass spectrometer"),
    ]
    golden = run(rows).frame("golden")
    assert len(golden) == 1
    g = golden.iloc[0]
    sources = json.loads(g["field_sources"])
    # gz first; within gz the most recent record survives
    assert g["survivor_record_id"] == "gz:x:2" and g["description"] == "newer"
    # value, currency and CNY value come from one record: gz:x:1 (gz:x:2 has no value)
    assert (g["inst_original_value"], g["inst_currency"], g["inst_value_cny"]) == (400000.0, "CNY", 400000.0)
    assert sources["inst_currency"] == sources["inst_value_cny"] == "gz:x:1"
    assert (g["name_en"], sources["name_en"]) == ("Mass spectrometer", "hk:x:3")


def test_probabilistic_pairs_accept_and_review_band():
    rows = ROWS + [record("sz:o:5", "sz", "04", "港科大", name="港科大"),
                   record("sz:o:6", "sz", "04", "科大", name="科大")]
    linker = fixed_linker([("gz:o:1", "sz:o:5", "04", 0.97),   # accepted
                           ("gz:o:2", "sz:o:6", "04", 0.6),    # uncertain: review queue
                           ("gz:i:1", "gz:i:2", "02", 0.3)])   # below review: not returned by Splink
    r = run(rows, linker=linker)
    lineage = r.frame("lineage").set_index("record_id")
    assert lineage.loc["sz:o:5", "cstr_id"] == lineage.loc["gz:o:1", "cstr_id"]
    assert lineage.loc["sz:o:5", "match_rule"] == "probabilistic"
    assert lineage.loc["gz:o:1", "match_rule"] == "name_key"  # its most certain link
    assert lineage.loc["sz:o:6", "match_rule"] == "singleton"
    assert lineage.loc["gz:i:1", "cstr_id"] != lineage.loc["gz:i:2", "cstr_id"]
    queue = r.review_pairs
    assert list(zip(queue["record_id_l"], queue["record_id_r"])) == [("gz:o:2", "sz:o:6")]
    row = queue.iloc[0]
    assert (row["name_l"], row["name_r"], bool(row["same_cluster"])) == ("香港科技大学|广州", "科大", False)
    assert r.stats["pairs_accepted"] == 1 and r.stats["pairs_uncertain"] == 1


def test_probabilistic_linkage_runs_beside_the_exact_matching():
    """On DuckDB the linkage runs in a thread of its own while the stage's SQL finds the exact
    keys; its failure still fails the stage."""
    import threading

    started_exact = threading.Event()
    seen = {}
    inner = fixed_linker([("gz:o:1", "sz:o:5", "04", 0.97)])

    def linker(records):  # TEST DOUBLE wrapping fixed_linker: notes where and when it runs
        seen["thread"] = threading.current_thread().name
        seen["exact_keys_started"] = started_exact.wait(timeout=30)
        return inner(records)

    engine = DuckDBEngine()
    create = engine.create

    def create_noting(name, sql):
        if name == "dedup_keys":
            started_exact.set()
        return create(name, sql)

    engine.create = create_noting
    engine.register("dedup_records", as_table(ROWS + [record("sz:o:5", "sz", "04", "港科大")]))
    r = deduplicate(engine, agency="GBA01", run_date=DAY, rules=RULES, survivorship=SURVIVORSHIP,
                    guard=GUARD, linker=linker)
    assert seen == {"thread": seen["thread"], "exact_keys_started": True}
    assert seen["thread"] != threading.current_thread().name
    assert r.stats["pairs_accepted"] == 1

    def failing(records):
        raise RuntimeError("linkage failed")

    with pytest.raises(RuntimeError, match="linkage failed"):
        run(ROWS, linker=failing)


def test_decisions_force_and_remove_links():
    rows = ROWS + [record("sz:o:5", "sz", "04", "港科大", name="港科大"),
                   record("sz:x:1", "sz", "04", "some lab"), record("hk:x:1", "hk", "04", "some lab")]
    decisions = pd.DataFrame({
        "record_id_l": ["sz:o:5", "sz:x:1", "mo:o:7", "gone:1"],
        "record_id_r": ["gz:o:1", "hk:x:1", "gz:o:1", "gz:o:1"],   # either order
        "decision": ["match", "no_match", "no_match", "match"]})
    r = run(rows, decisions=decisions)
    lineage = r.frame("lineage").set_index("record_id")
    # match: forced edge
    assert lineage.loc["sz:o:5", "cstr_id"] == lineage.loc["gz:o:1", "cstr_id"]
    assert lineage.loc["sz:o:5", "match_rule"] == "review"
    # no match on a two-record name key: the key no longer links them
    assert lineage.loc["sz:x:1", "cstr_id"] != lineage.loc["hk:x:1", "cstr_id"]
    assert lineage.loc["sz:x:1", "match_rule"] == "singleton"
    # no match inside a three-record key: the direct link goes, hk:o:1 still joins the two
    assert lineage.loc["mo:o:7", "cstr_id"] == lineage.loc["gz:o:1", "cstr_id"]
    assert r.stats["refused_pairs_still_together"] == 1
    assert r.stats["decisions_applied"] == 3  # gone:1 is not a record of this run


def test_giant_cluster_is_split_and_reported():
    # 60 records sharing one English key (a generic name), three of them also a patent number
    rows = [record(f"gz:g:{i:03d}", "gz", "11", f"题名{i}", name_en_key="method", owner_org_key="x")
            for i in range(60)]
    for i in range(3):
        rows[i]["ach_patent_no"] = "CN1"
    r = run(rows)
    lineage = r.frame("lineage")
    sizes = lineage.groupby("cstr_id").size()
    assert sizes.max() == 3 and len(sizes) == 58
    [giant] = r.giant_clusters
    assert giant == {"cluster": "gz:g:000", "size": 60, "action": "split", "dropped": ["name_en"],
                     "parts": 58, "largest_part": 3}
    assert r.review_clusters.empty


def test_giant_cluster_that_cannot_be_split_goes_to_review():
    rows = [record(f"gz:s:{i:03d}", "gz", "11", f"题名{i}", ach_patent_no="CN9") for i in range(5)]
    r = run(rows, guard={"max_cluster_size": 4})
    [giant] = r.giant_clusters
    assert giant["action"] == "review" and giant["parts"] == 1 and giant["dropped"] == []
    assert sorted(r.review_clusters["record_id"]) == [f"gz:s:{i:03d}" for i in range(5)]
    assert r.review_clusters["cstr_id"].nunique() == 1
    assert r.frame("lineage")["cstr_id"].nunique() == 1  # kept together, flagged for review


def test_survivorship_rules_are_checked():
    from bayres.jobs.run.config import ConfigError

    with pytest.raises(ConfigError, match="not a golden field"):
        Rules.from_dict({"default": ["gz"], "fields": {"nmae": ["hk"]}})
    with pytest.raises(ConfigError, match="default"):
        Rules.from_dict({"fields": {}})


# ---------------------------------------------------------------- clusters.cluster on its own
def _keys(*rows):
    return pd.DataFrame(rows, columns=["record_id", "key", "strong"])


def test_components_join_keys_and_pairs_transitively():
    from bayres.jobs.dedup.clusters import cluster

    keys = _keys(("a", "pat:1", True), ("b", "pat:1", True), ("b", "nk:x", False), ("c", "nk:x", False),
                 ("x", "en:y", False), ("y", "en:y", False))
    pairs = pd.DataFrame({"record_id_l": ["y"], "record_id_r": ["d"], "match_probability": [0.99]})
    out = cluster(keys, pairs).membership.set_index("record_id")
    assert out.loc[["a", "b", "c"], "cluster_key"].tolist() == ["a", "a", "a"]
    assert out.loc[["x", "y", "d"], "cluster_key"].tolist() == ["d", "d", "d"]
    assert out["match_rule"].to_dict() == {"a": "strong_id", "b": "strong_id", "c": "name_key",
                                           "x": "name_key", "y": "name_key", "d": "probabilistic"}
    # the same links in another order: the same clusters
    again = cluster(keys.iloc[::-1], pairs).membership.set_index("record_id").sort_index()
    pd.testing.assert_frame_equal(out.sort_index(), again)


def test_guard_drops_weak_probabilistic_edges_first_and_never_strong_ones():
    from bayres.jobs.dedup.clusters import cluster

    # a chain r00 - r01 - ... - r09 of probabilistic pairs, weak in the middle; r00..r02 share a patent
    p = [0.9999] * 4 + [0.95] + [0.9999] * 4
    pairs = pd.DataFrame({"record_id_l": [f"r{i:02d}" for i in range(9)],
                          "record_id_r": [f"r{i + 1:02d}" for i in range(9)], "match_probability": p})
    keys = _keys(*[(f"r{i:02d}", "pat:9", True) for i in range(3)])
    c = cluster(keys, pairs, guard={"max_cluster_size": 6})
    parts = c.membership.groupby("cluster_key")["record_id"].apply(list).to_dict()
    assert parts == {"r00": [f"r{i:02d}" for i in range(5)], "r05": [f"r{i:02d}" for i in range(5, 10)]}
    assert c.giant_clusters == [{"cluster": "r00", "size": 10, "action": "split",
                                 "dropped": ["probabilistic < 0.999"], "parts": 2, "largest_part": 5}]
    c = cluster(keys, pairs, guard={"max_cluster_size": 2})
    sizes = c.membership.groupby("cluster_key").size()
    assert sizes["r00"] == 3  # the patent keeps r00..r02 together: sent to review
    assert c.giant_clusters[0]["action"] == "review"
    assert sorted(c.review_records["record_id"]) == ["r00", "r01", "r02"]


def test_guard_refuses_to_drop_strong_links():
    from bayres.jobs.dedup.clusters import guard_steps

    with pytest.raises(ValueError, match="strong_id"):
        guard_steps({"drop": [{"kind": "strong_id"}]})


def test_document_numbers_link_policies_and_keep_their_issuer():
    """A policy's document number (发文字号) is a strong identifier: it links a re-published
    copy whose title has a typo, and keeps its issuer — 〔2017〕1号 of two issuers are two."""
    rows = [
        record("gz:p:1", "gz", "01", "广东省科学技术厅关于印发广东省科技创新券资助办法的通知",
               official_no="粤科函政字〔2017〕1号", owner_org_key="广东省科学技术厅"),
        record("gz:p:2", "gz", "01", "广东省科学技术厅关于印发广东省科枝创新券资助办法的通知",
               official_no="粤科函政字〔2017〕1号", owner_org_key="广东省科学技术厅"),
        record("gz:p:3", "gz", "01", "广州市科学技术局关于印发广州市科技金融实施细则的通知",
               official_no="穗科字〔2017〕1号", owner_org_key="广州市科学技术局"),
    ]
    lineage = run(rows).frame("lineage")
    assert cluster_of(lineage, "gz:p:1") == cluster_of(lineage, "gz:p:2")
    assert cluster_of(lineage, "gz:p:3") != cluster_of(lineage, "gz:p:1")
    assert set(lineage.loc[lineage["record_id"] != "gz:p:3", "match_rule"]) == {"strong_id"}

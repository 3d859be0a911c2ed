"""A crafted catalogue of real Greater Bay Area names for the portal tests, published the way the
publish stage does (serving store + lake Parquet → portal/index.build_from_serving), and the
service run for real: uvicorn on a free loopback port, in a thread."""
from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import duckdb

from bayres.schemas.derive_hbase import SERVING_TABLES_BY_NAME, recency, salt_bucket
from bayres.schemas.derive_serving import serving_ddl

RUN_DATE = "2026-11-01"
HKUST = "CSTR:BAYRS.04.000101"
HKUST_GZ = "CSTR:BAYRS.04.000102"
HKU = "CSTR:BAYRS.04.000103"
CUHK = "CSTR:BAYRS.04.000104"
CUHK_SZ = "CSTR:BAYRS.04.000105"
UM = "CSTR:BAYRS.04.000106"
SZBL = "CSTR:BAYRS.04.000107"
TEM = "CSTR:BAYRS.02.000201"
NMR = "CSTR:BAYRS.02.000202"
PERSON = "CSTR:BAYRS.05.000301"
XSS = "CSTR:BAYRS.13.000401"
EVENT = "CSTR:BAYRS.10.000501"
CITYU = "CSTR:BAYRS.04.000108"
MERGED = "CSTR:BAYRS.04.000099"    # merged into HKUST in an earlier run
RETIRED = "CSTR:BAYRS.02.000098"   # its records left: no successor

FIELD_SOURCES = json.dumps({"name": "hk:institutions:1", "name_en": "hk:institutions:1",
                            "owner_org": "gz:jg:7"})


def _g(cstr_id, rtype, region, name, platforms="HK", **more):
    return {"cstr_id": cstr_id, "resource_type": rtype, "region": region, "name": name,
            "member_count": more.pop("member_count", 1), "source_platforms": platforms,
            "run_date": RUN_DATE, **more}


GOLDEN = [
    _g(HKUST, "04", "HK", "香港科技大學", "GZ,HK", name_en="The Hong Kong University of Science and Technology",
       org_name_zh_hant="香港科技大學", owner_org="香港科技大学", org_name_en="The Hong Kong University of Science and Technology",
       created_date="1991-10-10", updated_date="2026-10-01", sharing_mode="open", member_count=2,
       field_sources=FIELD_SOURCES, survivor_record_id="hk:institutions:1"),
    _g(HKUST_GZ, "04", "GZ", "香港科技大学（广州）", "GZ",
       name_en="The Hong Kong University of Science and Technology (Guangzhou)",
       created_date="2022-06-01", updated_date="2026-09-01", sharing_mode="open"),
    _g(HKU, "04", "HK", "香港大學", name_en="The University of Hong Kong", created_date="1911-03-16",
       sharing_mode="open"),
    _g(CUHK, "04", "HK", "香港中文大學", name_en="The Chinese University of Hong Kong",
       created_date="1963-10-17", sharing_mode="open"),
    _g(CUHK_SZ, "04", "SZ", "香港中文大学（深圳）", "SZ", name_en="The Chinese University of Hong Kong, Shenzhen",
       created_date="2014-10-01", sharing_mode="open"),
    _g(UM, "04", "MO", "澳門大學", "MO", name_en="University of Macau", name_pt="Universidade de Macau",
       created_date="1981-03-28", sharing_mode="open"),
    # not in conf/reference/org_aliases.csv: found by OpenCC conversion and a derived acronym
    _g(SZBL, "04", "SZ", "深圳湾实验室", "SZ", name_en="Shenzhen Bay Laboratory",
       created_date="2019-01-01", sharing_mode="restricted"),
    _g(TEM, "02", "HK", "高分辨率透射電子顯微鏡", "GZ,HK", name_en="High-resolution transmission electron microscope",
       owner_org="香港科技大學", inst_model="JEM-ARM300F", inst_serial_no="EM-2019-0042",
       inst_original_value=12_500_000.0, inst_currency="HKD", inst_value_cny=11_562_500.5,
       inst_location="清水灣 Clear Water Bay", inst_sharing_status="available", sharing_mode="open",
       rights="預約使用 by appointment", access_url="https://example.org/tem", created_date="2019-03-01",
       updated_date="2026-10-15", member_count=2, contact_phone="+85223581234",
       contact_email="tem@example.org"),
    _g(NMR, "02", "GZ", "核磁共振波谱仪", "GZ", owner_org="香港科技大学（广州）", inst_value_cny=3_000_000.0,
       inst_currency="CNY", inst_original_value=3_000_000.0, sharing_mode="restricted",
       created_date="2023-05-05"),
    _g(PERSON, "05", "HK", "陳大文", name_en="CHAN Tai Man", person_name="陳大文",
       person_name_en="CHAN Tai Man", person_affiliation="香港科技大學", contact_name="陳大文",
       contact_phone="+85291234567", contact_email="tmchan@example.org", created_date="2020-01-01"),
    # its English initials are also "CUHK": a derived acronym ranks below CUHK's known alias
    _g(CITYU, "04", "HK", "香港城市大學", name_en="City University of Hong Kong", created_date="1984-01-01",
       sharing_mode="open"),
    # an event whose English name carries HKUST: full text, never ahead of HKUST itself
    _g(EVENT, "10", "HK", "2019年港科大海洋科學講座", name_en="2019 HKUST Marine Science Lecture",
       created_date="2019-05-01"),
    _g(XSS, "13", "MO", "<script>alert('x')</script> 標準", "MO", name_en="A & B <b>bold</b>",
       created_date="2024-01-01"),
]
LINEAGE = [
    {"cstr_id": HKUST, "record_id": "hk:institutions:1", "src_platform": "HK", "src_source": "institutions",
     "src_record_id": "1", "name": "香港科技大學", "match_rule": "name_key", "is_survivor": True},
    {"cstr_id": HKUST, "record_id": "gz:jg:7", "src_platform": "GZ", "src_source": "jg",
     "src_record_id": "7", "name": "香港科技大学", "match_rule": "name_key", "is_survivor": False},
    {"cstr_id": TEM, "record_id": "hk:instruments:42", "src_platform": "HK", "src_source": "instruments",
     "src_record_id": "42", "name": "高分辨率透射電子顯微鏡", "match_rule": "strong_id", "is_survivor": True},
    {"cstr_id": TEM, "record_id": "gz:yqsb:9", "src_platform": "GZ", "src_source": "yqsb",
     "src_record_id": "9", "name": "高分辨率透射电子显微镜", "match_rule": "strong_id", "is_survivor": False},
    {"cstr_id": TEM, "record_id": "hk:equipment:5", "src_platform": "HK", "src_source": "equipment",
     "src_record_id": "5", "name": "球差校正電鏡", "match_rule": "probabilistic", "is_survivor": False},
] + [{"cstr_id": g["cstr_id"], "record_id": f"{g['source_platforms'].lower()}:x:{i}",
      "src_platform": g["source_platforms"], "src_source": "x", "src_record_id": str(i),
      "name": g["name"], "match_rule": "singleton", "is_survivor": True}
     for i, g in enumerate(GOLDEN) if g["cstr_id"] not in (HKUST, TEM)]
REGISTRY = [
    {"cstr_id": g["cstr_id"], "resource_type": g["resource_type"], "status": "active",
     "successor_id": None, "first_run_date": "2026-10-01", "last_run_date": RUN_DATE,
     "members": g["member_count"]} for g in GOLDEN] + [
    {"cstr_id": MERGED, "resource_type": "04", "status": "retired", "successor_id": HKUST,
     "first_run_date": "2026-10-01", "last_run_date": "2026-10-15", "members": 0},
    {"cstr_id": RETIRED, "resource_type": "02", "status": "retired", "successor_id": None,
     "first_run_date": "2026-10-01", "last_run_date": "2026-10-15", "members": 0},
]
CHANGES = [
    {"cstr_id": MERGED, "change": "merged", "related_cstr_id": HKUST, "resource_type": "04",
     "members_before": 1, "members_after": 0, "run_date": "2026-10-16"},
    {"cstr_id": HKUST, "change": "kept", "related_cstr_id": None, "resource_type": "04",
     "members_before": 1, "members_after": 2, "run_date": "2026-10-16"},
]


def serving_rows() -> dict[str, list[dict]]:
    """The rows of each serving table (field names as in schemas/)."""
    return {"BAYRES_RESOURCE": GOLDEN, "BAYRES_RESOURCE_BY_TYPE_REGION": GOLDEN,
            "BAYRES_RESOURCE_RECENT": [dict(g, bucket=salt_bucket(g["cstr_id"]),
                                            recency=recency(g["updated_date"]))
                                       for g in GOLDEN if g.get("updated_date")],
            "BAYRES_LINEAGE": [dict(e, run_date=RUN_DATE) for e in LINEAGE]}


def write_serving_store(path: Path) -> None:
    """The serving tables (schemas' DDL) holding GOLDEN and LINEAGE, as the publish stage writes."""
    with duckdb.connect(str(path)) as con:
        for table, data in serving_rows().items():
            t = SERVING_TABLES_BY_NAME[table]
            fields = t.key + t.columns
            con.execute(serving_ddl(table))
            con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(fields))})",
                            [[r.get(f.name) for f in fields] for r in data])


def write_parquet(rows: list[dict], directory: Path) -> str:
    """Rows as one Parquet file in ``directory`` (a lake zone of the run)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), directory / "part-0.parquet")
    return str(directory)


def publish(home: Path) -> dict:
    """Serving store + portal index under ``home``, as the publish stage leaves them."""
    from bayres.portal import index

    serving = home / "serving" / "bayres.duckdb"
    serving.parent.mkdir(parents=True, exist_ok=True)
    serving.unlink(missing_ok=True)
    write_serving_store(serving)
    registry = write_parquet(REGISTRY, home / "lake" / "registry" / "cstr_registry_id" / f"run_date={RUN_DATE}")
    changes = write_parquet(CHANGES, home / "lake" / "curated" / "cstr_change" / f"run_date={RUN_DATE}")
    built = index.build_from_serving(home / "serving" / "portal_index.sqlite", serving,
                                     registry_uri=registry, changes_uri=changes, run_date=RUN_DATE)
    return {**built, "serving": serving, "index": home / "serving" / "portal_index.sqlite"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServiceThread:
    """uvicorn serving ``app`` on 127.0.0.1:<free port> in a thread, until stop()."""

    def __init__(self, app):
        import uvicorn

        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServiceThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the portal service did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

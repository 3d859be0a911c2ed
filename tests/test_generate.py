"""The sample-source generator: determinism, formats and encodings, configs that match the data,
and ground truth that agrees with what the sources publish."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import sqlite3
import unicodedata
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from pathlib import Path

import opencc
import phonenumbers
import pytest
import yaml

from bayres.jobs.generate import all_sources, fx_rates_table, generate, load_into_database
from bayres.jobs.generate.sqlite_db import db_path
from bayres.schemas.categories import CODES
from bayres.schemas.resource import RECORD_FIELDS

CONF = Path(__file__).resolve().parents[1] / "conf"
SCHEMA_FIELDS = {f.name for f in RECORD_FIELDS}
CODE_LISTS = {f.name: f.code_list for f in RECORD_FIELDS if f.code_list}
T2S = opencc.OpenCC("t2s")
SMALL = 400


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen_small")
    return out, generate(out, seed=42, scale=SMALL)


@pytest.fixture(scope="module")
def medium(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen_medium")
    return out, generate(out, seed=7, scale=3000)


def confs() -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((CONF / "sources").glob("*.yaml"))}


def vocabs() -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((CONF / "vocab").glob("*.yaml"))}


def tree_hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------------------ a minimal reader
def read_source(out: Path, conf: dict) -> tuple[list[str], list[dict]]:
    """(field names, records) of one source; a record is {field: str} plus '_broken'."""
    if conf["format"] == "sql":
        con = sqlite3.connect(db_path(out, conf["platform"]))
        cur = con.execute(f'SELECT * FROM "{conf["sql"]["table"]}" ORDER BY rowid')
        fields = [d[0] for d in cur.description]
        rows = [dict(zip(fields, ("" if v is None else str(v) for v in r)), _broken=False) for r in cur]
        con.close()
        return fields, rows
    f = conf["file"]
    paths = sorted(out.glob(f["path"]))
    assert paths, f["path"]
    fields: list[str] = []
    rows: list[dict] = []
    for p in paths:
        if conf["format"] == "xlsx":
            import openpyxl
            wb = openpyxl.load_workbook(p, read_only=True)
            for name in f["sheets"]:
                it = wb[name].iter_rows(values_only=True)
                header = list(next(it))
                fields = fields or header
                assert header == fields
                for r in it:
                    rows.append(dict(zip(header, r), _broken=False, _sheet=name))
            wb.close()
            continue
        text = p.read_bytes().decode(f["encoding"])
        fmt = conf["format"]
        if fmt == "csv":
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=f.get("delimiter", ","))
            header = next(reader)
            fields = header
            for r in reader:
                rows.append(dict(zip(header, r), _broken=len(r) != len(header)))
        elif fmt == "json" and f.get("json_layout") == "lines":
            for line in text.splitlines():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    rows.append({"_broken": True})
                    continue
                fields = fields or list(obj)
                rows.append({k: "" if v is None else str(v) for k, v in obj.items()} | {"_broken": False})
        elif fmt == "json":
            doc = json.loads(text)
            for part in f["record_path"].split("."):
                doc = doc[part]
            for obj in doc:
                fields = fields or list(obj)
                rows.append({k: str(v) for k, v in obj.items()} | {"_broken": False})
        elif fmt in ("xml", "rss"):
            root = ET.fromstring(text)
            for el in root.findall(f["record_path"]):
                rec = {c.tag: c.text or "" for c in el}
                fields = fields or list(rec)
                rows.append(rec | {"_broken": False})
        elif fmt == "txt":
            layout = f["layout"]
            fields = [x[0] for x in layout]
            width = layout[-1][2]
            for line in text.split("\r\n")[:-1]:
                rows.append({n: line[s:e].strip() for n, s, e in layout} | {"_broken": bool(line[width:].strip())})
        else:
            raise AssertionError(fmt)
    return fields, rows


# ------------------------------------------------------------------------------ determinism
def test_same_seed_same_bytes_other_seed_other_bytes(small, tmp_path):
    out, _ = small
    again = tmp_path / "again"
    generate(again, seed=42, scale=SMALL)
    assert tree_hashes(out) == tree_hashes(again)
    other = tmp_path / "other"
    generate(other, seed=43, scale=SMALL)
    h1, h2 = tree_hashes(out), tree_hashes(other)
    assert h1.keys() == h2.keys()
    same = {k for k in h1 if h1[k] == h2[k]}
    assert same == {"truth/fx_rates_used.csv", "truth/README.md", "hk/feeds/LAYOUT_talent.txt"}


def test_summary_and_layout(small):
    out, summary = small
    assert set(summary["records"]) == {"gz", "sz", "hk", "mo"}
    assert summary["total_records"] == sum(n for p in summary["records"].values() for n in p.values())
    for rel in summary["files"]:
        assert (out / rel).is_file(), rel
    for platform in ("gz", "sz", "hk", "mo"):
        assert (out / platform / f"{platform}_platform.sqlite").is_file()
        assert list((out / platform / "feeds").iterdir())


# ------------------------------------------------------------------------------ configuration
def test_every_source_has_a_config_in_the_documented_format():
    cs = confs()
    assert set(cs) == {s.key for s in all_sources()}
    formats = {"sql", "xml", "rss", "xlsx", "txt", "csv", "json"}
    platforms = set(vocabs()["platform"]["codes"])
    for key, c in cs.items():
        assert f"{c['platform']}_{c['source']}" == key
        assert c["platform"] in platforms
        assert c["format"] in formats
        assert ("sql" in c) == (c["format"] == "sql"), key
        if c["format"] == "sql":
            assert c["sql"]["database"] == c["platform"] and c["sql"]["table"]
        else:
            assert c["file"]["path"].startswith(f"{c['platform']}/feeds/")
            assert c["file"]["encoding"] in ("utf-8", "utf-8-sig", "gb18030", "big5hkscs", "utf-16", "auto")
        assert c["id_field"]
        conv = c["conventions"]
        assert conv["language"] in ("zh-Hans", "zh-Hant", "en", "pt")
        assert conv["currency"] in ("CNY", "HKD", "MOP", "USD")
        assert conv["date_format"] in ("YYYY-MM-DD", "DD/MM/YYYY", "YYYY年M月D日", "excel_serial", "RFC822")
        assert conv["phone_region"] in ("CN", "HK", "MO")
        assert conv["region"] in vocabs()["region"]["codes"]
        assert ("resource_type" in c) != ("resource_type_field" in c), key
        if "resource_type" in c:
            assert c["resource_type"] in CODES
        for section in ("mapping", "constants", "code_maps"):
            unknown = set(c.get(section) or {}) - SCHEMA_FIELDS
            assert not unknown, f"{key} {section}: not schema fields {unknown}"
        split_fields = {f for spec in (c.get("splits") or {}).values() for f in spec["fields"]}
        assert not split_fields - SCHEMA_FIELDS, key
        assert ("name" in c["mapping"] or "name" in split_fields) and "created_date" in c["mapping"], key


def test_vocabularies():
    v = vocabs()
    assert set(v) >= {"resource_type", "region", "platform", "language", "sharing_mode", "sharing_status", "org_type"}
    assert set(v["resource_type"]["codes"]) == set(CODES)
    assert set(v["region"]["codes"]) == {"GZ", "SZ", "ZH", "FS", "DG", "HZ", "ZS", "JM", "ZQ", "HK", "MO"}
    assert set(v["platform"]["codes"]) == {"gz", "sz", "hk", "mo"}
    assert set(v["language"]["codes"]) == {"zh-Hans", "zh-Hant", "en", "pt"}
    for name, doc in v.items():
        assert doc["name"] == name
        for code, entry in doc["codes"].items():
            assert entry["label_zh"] and entry["label_en"] and entry["synonyms"], (name, code)


def test_mapped_columns_exist_in_generated_sources(small):
    out, _ = small
    for key, c in confs().items():
        fields, rows = read_source(out, c)
        needed = set(c["mapping"].values()) | {c["id_field"]} | set(c.get("splits") or {})
        if "resource_type_field" in c:
            needed.add(c["resource_type_field"])
        assert needed <= set(fields), f"{key}: missing {needed - set(fields)}"
        assert rows, key


def _key(text: str) -> str:
    return T2S.convert(unicodedata.normalize("NFKC", text)).casefold().strip()


def test_coded_values_map_through_code_maps_or_synonyms(small):
    out, _ = small
    v = vocabs()
    synonyms = {name: {_key(str(s)): code for code, e in doc["codes"].items() for s in e["synonyms"] + [code]}
                for name, doc in v.items()}
    for key, c in confs().items():
        _, rows = read_source(out, c)
        targets = {canon: src for canon, src in c["mapping"].items() if canon in CODE_LISTS}
        if "resource_type_field" in c:
            targets["resource_type"] = c["resource_type_field"]
        for canon, src in targets.items():
            cmap = {_key(str(k)): val for k, val in (c.get("code_maps") or {}).get(canon, {}).items()}
            vocab = synonyms[CODE_LISTS[canon]]
            values = {str(r[src]) for r in rows if not r["_broken"] and r.get(src) not in (None, "")}
            unmapped = {x for x in values if _key(x) not in cmap and _key(x) not in vocab}
            assert not unmapped, f"{key}.{src} → {canon}: {sorted(unmapped)[:5]}"
        for canon, cmap in (c.get("code_maps") or {}).items():
            if canon in CODE_LISTS:
                assert set(cmap.values()) <= set(v[CODE_LISTS[canon]]["codes"]), (key, canon)


# ------------------------------------------------------------------------------ encodings
def test_legacy_encodings(small):
    out, _ = small
    gb = (out / "gz/feeds/patents_0001.xml").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gb.decode("utf-8")
    assert gb.decode("gb18030").startswith('<?xml version="1.0" encoding="GB18030"?>')
    gbcsv = (out / "sz/feeds/standards_0001.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gbcsv.decode("utf-8")
    assert gbcsv.decode("gb18030").startswith("序号,标准编号")
    b5 = (out / "hk/feeds/talent_0001.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        b5.decode("utf-8")
    assert re.search("[\u4e00-\u9fff]", b5.decode("big5hkscs"))
    bom = (out / "mo/feeds/projectos_0001.csv").read_bytes()
    assert bom.startswith(b"\xef\xbb\xbf")
    bom.decode("utf-8")


def test_xlsx_has_several_sheets_with_dates(small):
    import openpyxl
    out, _ = small
    wb = openpyxl.load_workbook(out / "hk/feeds/projects_0001.xlsx", read_only=True)
    assert wb.sheetnames == ["ITF", "RGC", "Joint Schemes"]
    rgc = list(wb["RGC"].iter_rows(min_row=2, max_row=3, values_only=True))
    joint = list(wb["Joint Schemes"].iter_rows(min_row=2, max_row=3, values_only=True))
    assert isinstance(rgc[0][8], dt.datetime)
    assert isinstance(joint[0][8], (int, float))


# ------------------------------------------------------------------------------ ground truth
def _truth(out: Path) -> list[dict]:
    with open(out / "truth/records.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _by_source(truth: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for t in truth:
        out.setdefault(f"{t['platform']}_{t['source']}", []).append(t)
    return out


def _paired(rows: list[dict], truth: list[dict], id_field: str):
    """(row, truth) pairs matched on the source id; broken rows are left out."""
    by_id = {t["src_record_id"]: t for t in truth}
    return [(r, by_id[str(r[id_field])]) for r in rows if not r["_broken"]]


def test_truth_matches_emitted_records(small):
    out, summary = small
    truth = _truth(out)
    assert len(truth) == summary["total_records"]
    by_source = _by_source(truth)
    total = 0
    for key, c in confs().items():
        _, rows = read_source(out, c)
        total += len(rows)
        ts = by_source[key]
        assert len(rows) == len(ts), key
        assert sum(r["_broken"] for r in rows) == sum("broken_row" in t["defect"] for t in ts), key
        pairs = _paired(rows, ts, c["id_field"])
        assert len({id(t) for _, t in pairs}) == len(pairs) == len(rows) - sum(r["_broken"] for r in rows)
    assert total == len(truth)
    ids = [(t["platform"], t["source"], t["src_record_id"]) for t in truth]
    assert len(ids) == len(set(ids))


def test_duplicate_and_defect_shares(medium):
    out, summary = medium
    truth = _truth(out)
    n = len(truth)
    entities = {t["entity_id"] for t in truth}
    assert 0.12 <= (n - len(entities)) / n <= 0.28
    multi = summary["entities_with_duplicates"] / summary["entities"]
    assert 0.12 <= multi <= 0.28
    cross = [t for t in truth if t["variant"] == "cross_platform"]
    assert 0.05 <= len(cross) / n <= 0.2
    record_defects = [t for t in truth if set(t["defect"].split(";")) & {"missing_mandatory", "bad_date",
                                                                          "bad_phone", "broken_row"}]
    assert 0.008 <= len(record_defects) / n <= 0.03
    for d in ("missing_mandatory", "bad_date", "bad_phone", "broken_row", "below_threshold"):
        assert any(d in t["defect"].split(";") for t in truth), d
    quarantine = [t for t in truth if t["expect_quarantine"] == "true"]
    assert all(set(t["defect"].split(";")) & {"missing_mandatory", "broken_row", "below_threshold"}
               for t in quarantine)
    inst = [t for t in truth if t["resource_type"] == "02"]
    below = [t for t in inst if "below_threshold" in t["defect"]]
    assert 0.005 <= len(below) / len(inst) <= 0.08
    for t in inst:
        assert (float(t["true_value_cny"]) < 300_000) == ("below_threshold" in t["defect"]), t


def test_hard_negatives_are_distinct_entities(small):
    out, _ = small
    with open(out / "truth/entities.csv", encoding="utf-8", newline="") as f:
        ents = {e["entity_id"]: e for e in csv.DictReader(f)}
    pairs = [("CUHK", "CUHK-SZ", "香港中文大学", "香港中文大学（深圳）"),
             ("HKUST", "HKUST-GZ", "香港科技大学", "香港科技大学（广州）"),
             ("UM", "UM-SKLAMSV", "澳门大学", "模拟与混合信号超大规模集成电路国家重点实验室"),
             ("UM", "UM-SKLIOTSC", "澳门大学", "智慧城市物联网国家重点实验室")]
    for a, b, na, nb in pairs:
        ea, eb = ents[f"ORG-{a}"], ents[f"ORG-{b}"]
        assert (ea["name_zh_hans"], eb["name_zh_hans"]) == (na, nb)
        assert int(ea["n_records"]) >= 1 and int(eb["n_records"]) >= 1
    assert ents["ORG-UM"]["name_pt"] == "Universidade de Macau"
    assert ents["ORG-HKUST"]["name_zh_hant"] == "香港科技大學"


# ------------------------------------------------------------------------------ truth is what is published
def _parse_date(value, fmt: str) -> dt.date | None:
    try:
        if isinstance(value, dt.datetime):
            return value.date()
        if fmt == "excel_serial":
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(float(value)))
        if fmt == "YYYY-MM-DD":
            return dt.date.fromisoformat(value)
        if fmt == "DD/MM/YYYY":
            return dt.datetime.strptime(value, "%d/%m/%Y").date()
        if fmt == "YYYY年M月D日":
            y, m, d = map(int, re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", value).groups())
            return dt.date(y, m, d)
        if fmt == "RFC822":
            return parsedate_to_datetime(value).date()
    except (ValueError, TypeError, AttributeError):
        return None
    raise AssertionError(fmt)


_RATES = {(d.isoformat(), c): r for d, c, r in fx_rates_table()}
_CUR = (("HK$", "HKD"), ("HKD", "HKD"), ("US$", "USD"), ("USD", "USD"), ("MOP$", "MOP"), ("MOP", "MOP"),
        ("RMB", "CNY"), ("¥", "CNY"))


def _to_cny(value, default_cur: str, date: str, cur_field=None) -> float:
    text = str(value).strip()
    cur = cur_field or default_cur
    for prefix, c in _CUR:
        if text.startswith(prefix):
            cur, text = c, text[len(prefix):]
            break
    amount = float(text.replace(",", "").strip())
    return amount if cur == "CNY" else amount * _RATES[(date, cur)]


def test_truth_agrees_with_published_dates_phones_and_money(small):
    out, _ = small
    by_source = _by_source(_truth(out))
    checked = {"date": 0, "phone": 0, "money": 0}
    for key, c in confs().items():
        _, rows = read_source(out, c)
        m, conv = c["mapping"], c["conventions"]
        for r, t in _paired(rows, by_source[key], c["id_field"]):
            if "missing_mandatory" in t["defect"]:
                continue
            d = _parse_date(r[m["created_date"]], conv["date_format"])
            if "bad_date" in t["defect"]:
                assert d is None, (key, r[m["created_date"]])
            else:
                assert d is not None and d.isoformat() == t["true_created_date"], (key, r[m["created_date"]], t)
                checked["date"] += 1
            if "contact_phone" in m and r[m["contact_phone"]]:
                p = phonenumbers.parse(r[m["contact_phone"]], conv["phone_region"])
                if "bad_phone" in t["defect"]:
                    assert not phonenumbers.is_valid_number(p), (key, r[m["contact_phone"]])
                else:
                    assert phonenumbers.is_valid_number(p), (key, r[m["contact_phone"]])
                    e164 = phonenumbers.format_number(p, phonenumbers.PhoneNumberFormat.E164)
                    assert e164 == t["true_phone_e164"], (key, r[m["contact_phone"]], t)
                    checked["phone"] += 1
            money = m.get("inst_original_value") or m.get("proj_amount")
            if money and "bad_date" not in t["defect"]:
                cur_field = r.get(m.get("inst_currency") or m.get("proj_currency") or "", None)
                got = _to_cny(r[money], c.get("constants", {}).get("proj_currency", conv["currency"]),
                              t["true_created_date"], cur_field)
                want = float(t["true_value_cny"])
                assert abs(got - want) <= max(2.0, want * 0.0015), (key, r[money], cur_field, want)
                checked["money"] += 1
    assert min(checked.values()) > 50, checked


def test_fx_table():
    rows = fx_rates_table()
    assert rows[0][0] == dt.date(2015, 1, 1) and rows[-1][0] == dt.date(2026, 12, 31)
    assert len(rows) == 3 * ((dt.date(2026, 12, 31) - dt.date(2015, 1, 1)).days + 1)
    # the NBS's annual averages 6.2284 (2015) … 7.1217 (2024), HKD at 7.80 per USD, MOP at 1.03 per HKD
    ranges = {"HKD": (6.2284 / 7.8, 7.1217 / 7.8), "MOP": (6.2284 / 7.8 / 1.03, 7.1217 / 7.8 / 1.03),
              "USD": (6.2284, 7.1217)}
    for _, cur, rate in rows:
        lo, hi = ranges[cur]
        assert lo - 1e-6 <= rate <= hi + 1e-6
    usd = [r for _, c, r in rows if c == "USD"]
    assert max(abs(a - b) for a, b in zip(usd, usd[1:])) < 0.02  # smooth
    assert fx_rates_table("2020-01-01", "2020-01-02") == [r for r in rows if r[0].isoformat() in ("2020-01-01", "2020-01-02")]


def test_fx_rates_used_is_the_table(small):
    out, _ = small
    with open(out / "truth/fx_rates_used.csv", encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert lines[0] == "date,currency,rate_to_cny"
    assert len(lines) - 1 == len(fx_rates_table())


# ------------------------------------------------------------------------------ loading into a database
def test_load_into_database_sqlalchemy(small, tmp_path):
    out, summary = small
    url = f"sqlite:///{tmp_path / 'copy.db'}"
    copied = load_into_database(out, "hk", url)
    assert copied == {"EQUIPMENT": summary["records"]["hk"]["equipment"],
                      "ORGANISATION": summary["records"]["hk"]["organisations"]}
    import sqlalchemy as sa
    eng = sa.create_engine(url)
    insp = sa.inspect(eng)
    assert insp.get_pk_constraint("EQUIPMENT")["constrained_columns"] == ["EQUIPMENT_ID"]
    with eng.connect() as con:
        assert con.execute(sa.text('SELECT count(*) FROM "ORGANISATION"')).scalar() == copied["ORGANISATION"]
    eng.dispose()


@pytest.mark.servers
def test_load_into_mariadb(small):
    url = os.environ.get("BAYRES_TEST_MARIADB_URL")
    if not url:  # the MariaDB of tests/servers/ (make test starts it and sets the variable too)
        try:
            from tests import server_endpoints as ep
        except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
            import server_endpoints as ep
        ep.require("mariadb")
        url = ep.MARIADB_URL
    out, summary = small
    copied = load_into_database(out, "gz", url)
    assert copied["T_YQSB"] == summary["records"]["gz"]["instruments"]
    import sqlalchemy as sa
    eng = sa.create_engine(url)
    with eng.connect() as con:
        name = con.execute(sa.text("SELECT YQMC FROM T_YQSB WHERE YQMC <> '' LIMIT 1")).scalar()
        assert re.search("[\u4e00-\u9fff]", name)
    eng.dispose()

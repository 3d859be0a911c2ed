"""Feed readers and the SQL source: every format, every encoding, the malformed corpus."""
from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from bayres.connectors import feeds
from bayres.connectors.feeds import FeedError, read_feed, to_text
from bayres.connectors.sql_source import read_table


def records(path, **conf):
    fmt = conf.pop("fmt", None)
    return list(read_feed(path, conf, fmt=fmt))


def fields(path, **conf):
    out = records(path, **conf)
    assert all(err is None for _, _, err, _ in out), out
    return [f for _, f, _, _ in out]


# ------------------------------------------------------------------------------ values

@pytest.mark.parametrize("value, text", [
    (None, None), ("x", "x"), (3, "3"), (3.0, "3"), (0.1, "0.1"), (-2.5, "-2.5"),
    (1e21, "1000000000000000000000"), (1.5e-7, "0.00000015"), (True, "true"),
    (Decimal("1E+3"), "1000"), (Decimal("12.50"), "12.50"),
    (dt.datetime(2024, 3, 1), "2024-03-01"), (dt.datetime(2024, 3, 1, 8, 30), "2024-03-01T08:30:00"),
    (dt.date(2024, 3, 1), "2024-03-01"), (dt.time(8, 30), "08:30:00"), (b"abc", "abc"),
    (b"\xff\x00", "0xff00"),
])
def test_to_text(value, text):
    assert to_text(value) == text


# ------------------------------------------------------------------------------ XML

PATENTS_XML = """<?xml version="1.0" encoding="GB18030"?>
<专利库 xmlns="urn:gz:patent" xmlns:d="urn:gz:dc">
  <patents>
    <patent id="CN1001" type="发明">
      <title lang="zh-Hans">一种石墨烯制备方法</title>
      <d:inventors><d:name>张三</d:name><d:name>李四</d:name></d:inventors>
      <abstract><![CDATA[温度 < 300℃ & 压力]]></abstract>
      <empty/>
    </patent>
    <patent id="CN1002"><title>粤港澳大湾区</title><extra>只在第二条</extra></patent>
  </patents>
</专利库>
"""


@pytest.fixture
def gb_xml(tmp_path):
    path = tmp_path / "patents_2024.xml"
    path.write_bytes(PATENTS_XML.encode("gb18030"))
    return path


@pytest.mark.parametrize("record_path", ["./patents/patent", ".//patent", "patents/*"])
def test_xml_gb18030(gb_xml, record_path):
    out = records(gb_xml, fmt="xml", encoding="gb18030", record_path=record_path)
    assert [loc for loc, *_ in out] == ["patents_2024.xml record 1", "patents_2024.xml record 2"]
    first, second = out[0][1], out[1][1]
    assert first == {"@id": "CN1001", "@type": "发明", "title": "一种石墨烯制备方法",
                     "title@lang": "zh-Hans", "inventors.name": "张三;李四",
                     "abstract": "温度 < 300℃ & 压力", "empty": ""}
    assert second == {"@id": "CN1002", "title": "粤港澳大湾区", "extra": "只在第二条"}


def test_xml_auto_encoding_follows_declaration(gb_xml):
    assert len(fields(gb_xml, fmt="xml", encoding="auto", record_path=".//patent")) == 2


def test_xml_record_path_without_match_yields_nothing(gb_xml):
    assert records(gb_xml, fmt="xml", encoding="gb18030", record_path="./patent") == []


def test_xml_streams_in_small_chunks(gb_xml, monkeypatch):
    monkeypatch.setattr(feeds, "CHUNK_CHARS", 7)
    assert len(fields(gb_xml, fmt="xml", encoding="gb18030", record_path=".//patent")) == 2


@pytest.mark.parametrize("bad, reason", [
    ("<root><patent><title>cut", "malformed XML"),                # truncated
    ("<root><patent></title></patent></root>", "malformed XML"),  # mismatched tag
    ("", "malformed XML"),                                        # empty file
    ("<root><patent>&nbsp;</patent></root>", "malformed XML"),    # undefined entity
    ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
     "<root><patent>&b;</patent></root>", "DOCTYPE"),             # entity expansion
    ('<!DOCTYPE r SYSTEM "file:///etc/passwd"><root/>', "DOCTYPE"),  # external DTD
])
def test_bad_xml_is_a_file_error(tmp_path, bad, reason):
    path = tmp_path / "bad.xml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(FeedError, match=reason):
        records(path, fmt="xml", record_path="./patent")


def test_wrong_encoding_is_a_file_error(gb_xml):
    with pytest.raises(FeedError, match="does not decode"):
        records(gb_xml, fmt="xml", encoding="utf-8", record_path=".//patent")


def test_bad_record_path_is_refused(gb_xml):
    with pytest.raises(ValueError):
        records(gb_xml, fmt="xml", record_path=".//patent[@id='1']")


# ------------------------------------------------------------------------------ RSS

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
 <channel><title>香港創新科技署 新聞</title><link>https://example.hk/</link>
  <item>
   <title>創科資助計劃 2024</title><link>https://example.hk/a</link>
   <description>&lt;p&gt;計劃&lt;/p&gt;</description>
   <pubDate>Mon, 03 Jun 2024 09:00:00 +0800</pubDate>
   <guid isPermaLink="false">itc-2024-001</guid>
   <category>資助</category><category>創科</category>
   <author>itc@example.hk (ITC)</author><dc:creator>創新科技署</dc:creator>
  </item>
  <item><title>Second</title><guid>itc-2024-002</guid></item>
 </channel>
</rss>
"""


def test_rss(tmp_path):
    path = tmp_path / "news.rss"
    path.write_text(RSS, encoding="utf-8")
    out = records(path, fmt="rss")
    assert [loc for loc, *_ in out] == ["news.rss record 1", "news.rss record 2"]
    item = out[0][1]
    assert item["title"] == "創科資助計劃 2024"
    assert item["description"] == "<p>計劃</p>"
    assert item["pubDate"] == "Mon, 03 Jun 2024 09:00:00 +0800"
    assert item["guid"] == "itc-2024-001" and item["guid@isPermaLink"] == "false"
    assert item["category"] == "資助;創科"
    assert item["author"] == "itc@example.hk (ITC)" and item["creator"] == "創新科技署"
    assert out[1][1] == {"title": "Second", "guid": "itc-2024-002"}


def test_rss_needs_an_rss_document(tmp_path):
    path = tmp_path / "atom.xml"
    path.write_text('<feed xmlns="http://www.w3.org/2005/Atom"><entry/></feed>', encoding="utf-8")
    with pytest.raises(FeedError, match="expected <rss>"):
        records(path, fmt="rss")


# ------------------------------------------------------------------------------ XLSX

@pytest.fixture
def workbook(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "仪器"
    ws.append(["YQBH", "YQMC", "YZ", "GZRQ", "XH", "KF"])
    ws.append(["GZ-001", "透射电子显微镜", 3500000, dt.datetime(2019, 5, 17), 12.5, True])
    ws.append([None, None, None, None, None, None])           # blank row: skipped
    ws.append(["GZ-002", "核磁共振波谱仪", 4200000.0, 43600, None, False, "多余"])
    ws2 = wb.create_sheet("设备")
    ws2.append(["YQBH", "YQMC"])
    ws2.append(["GZ-101", "离心机"])
    wb.create_sheet("说明").append(["这是说明页"])
    path = tmp_path / "instruments.xlsx"
    wb.save(path)
    return path


def test_xlsx_all_sheets(workbook):
    out = records(workbook, fmt="xlsx")
    locs = [loc for loc, *_ in out]
    assert locs == ["instruments.xlsx sheet 仪器 row 2", "instruments.xlsx sheet 仪器 row 4",
                    "instruments.xlsx sheet 设备 row 2"]
    assert out[0][1] == {"YQBH": "GZ-001", "YQMC": "透射电子显微镜", "YZ": "3500000",
                         "GZRQ": "2019-05-17", "XH": "12.5", "KF": "true"}
    # an Excel serial without a date format stays the number; the cell beyond the header is kept
    assert out[1][1] == {"YQBH": "GZ-002", "YQMC": "核磁共振波谱仪", "YZ": "4200000", "GZRQ": "43600",
                         "XH": None, "KF": "false", "_col7": "多余"}


def test_xlsx_selected_sheets_and_required_columns(workbook):
    out = records(workbook, fmt="xlsx", sheets=["设备"])
    assert [f for _, f, _, _ in out] == [{"YQBH": "GZ-101", "YQMC": "离心机"}]
    with pytest.raises(FeedError, match="sheets not found"):
        records(workbook, fmt="xlsx", sheets=["仪器", "不存在"])
    with pytest.raises(FeedError, match="missing required columns YQBH"):
        list(read_feed(workbook, {}, fmt="xlsx", required=["YQBH"]))  # sheet 说明 lacks it


def test_truncated_xlsx_is_a_file_error(workbook, tmp_path):
    data = workbook.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 100):
        path = tmp_path / f"cut{cut}.xlsx"
        path.write_bytes(data[:cut])
        with pytest.raises(FeedError):
            records(path, fmt="xlsx")


def test_xlsx_with_a_corrupt_sheet_is_a_file_error(workbook, tmp_path):
    path = tmp_path / "corrupt.xlsx"
    with zipfile.ZipFile(workbook) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            dst.writestr(item, data)
    with pytest.raises(FeedError):
        records(path, fmt="xlsx")


# ------------------------------------------------------------------------------ TXT

def test_fixed_width_big5hkscs(tmp_path):
    layout = [["staff_no", 0, 8], ["name_tc", 8, 14], ["dept", 14, 22]]
    lines = ["HK000001陳大文    物理系      ",
             "HK000002𨋢㗎啲嘅  工程學院",          # HKSCS-only characters, trailing padding trimmed
             "",
             "HK000003李小明    化學系  多出來的內容"]
    path = tmp_path / "staff.txt"
    path.write_bytes("\r\n".join(lines).encode("big5hkscs"))
    with pytest.raises(UnicodeEncodeError):
        "𨋢㗎".encode("big5")  # the fixture really needs HKSCS
    out = records(path, fmt="txt", encoding="big5hkscs", layout=layout)
    assert out[0] == ("staff.txt line 1", {"staff_no": "HK000001", "name_tc": "陳大文",
                                           "dept": "物理系"}, None, None)
    assert out[1][1] == {"staff_no": "HK000002", "name_tc": "𨋢㗎啲嘅", "dept": "工程學院"}
    loc, f, err, raw = out[2]
    assert loc == "staff.txt line 4" and f == {} and "layout covers 22" in err
    assert raw == lines[3]


def test_fixed_width_wrong_encoding_is_an_error_row(tmp_path):
    # decoded line by line (issue 19): the line that does not decode is an error row, the rest read
    path = tmp_path / "staff.txt"
    path.write_bytes("HK000001陳大文\n".encode("big5hkscs") + "HK000002李小明\n".encode("utf-8"))
    [(loc, fields, err, raw), good] = records(path, fmt="txt", encoding="utf-8",
                                              layout=[["a", 0, 8], ["b", 8, 11]])
    assert loc == "staff.txt line 1" and fields == {} and "does not decode as utf-8" in err
    assert raw.startswith("HK000001")
    assert good[1] == {"a": "HK000002", "b": "李小明"} and good[2] is None


def test_delimited_txt(tmp_path):
    path = tmp_path / "orgs.txt"
    path.write_text('ORG_ID|ORG_NAME\nMO01|"澳門大學"\nMO02|澳門科技大學|x\n', encoding="utf-8")
    out = records(path, fmt="txt", delimiter="|")
    assert out[0] == ("orgs.txt line 2", {"ORG_ID": "MO01", "ORG_NAME": '"澳門大學"'}, None, None)
    assert out[1][0] == "orgs.txt line 3" and out[1][2].startswith("wrong field count")
    assert out[1][3] == "MO02|澳門科技大學|x"


# ------------------------------------------------------------------------------ CSV

CSV_TEXT = 'id,name,amount\n1,深圳大学,"1,200.50"\n2,"多行\n描述",300\n\n3,only two\n4,南方科技大学,\n'


@pytest.mark.parametrize("encoding, declared", [
    ("utf-8-sig", "utf-8-sig"), ("utf-8-sig", "utf-8"), ("utf-8-sig", "auto"),
    ("utf-16", "utf-16"), ("utf-16", "auto"), ("gb18030", "gb18030"),
])
def test_csv_encodings(tmp_path, encoding, declared):
    path = tmp_path / "grants.csv"
    path.write_bytes(CSV_TEXT.encode(encoding))
    out = records(path, fmt="csv", encoding=declared)
    assert [loc for loc, *_ in out] == ["grants.csv line 2", "grants.csv line 3", "grants.csv line 6",
                                        "grants.csv line 7"]
    assert out[0][1] == {"id": "1", "name": "深圳大学", "amount": "1,200.50"}
    assert out[1][1] == {"id": "2", "name": "多行\n描述", "amount": "300"}
    assert out[2] == ("grants.csv line 6", {}, "wrong field count: 2 fields, header has 3",
                      "3,only two")
    assert out[3][1] == {"id": "4", "name": "南方科技大学", "amount": ""}


def test_csv_auto_detects_gb18030(tmp_path):
    text = "编号,名称,单位\n" + "".join(
        f"{i},广州市科学技术局第{i}号资助项目,华南理工大学化学与化工学院\n" for i in range(200))
    path = tmp_path / "gb.csv"
    path.write_bytes(text.encode("gb18030"))
    out = fields(path, fmt="csv", encoding="auto")
    assert out[5] == {"编号": "5", "名称": "广州市科学技术局第5号资助项目", "单位": "华南理工大学化学与化工学院"}


def test_csv_blank_lines_before_header_and_broken_quoting(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text('\n\nid,name\n1,"a"b"\n2,ok\n3,"never closed\n', encoding="utf-8")
    out = records(path, fmt="csv")
    assert out[0][0] == "blank.csv line 4" and out[0][1] == {}
    assert out[0][2].startswith("unparsable row") and out[0][3] == '1,"a"b"'
    assert out[1] == ("blank.csv line 5", {"id": "2", "name": "ok"}, None, None)
    assert out[2][0] == "blank.csv line 6" and out[2][2].startswith("unparsable row")
    assert out[2][3] == '3,"never closed'


def test_csv_header_problems(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,name\n1,a\n", encoding="utf-8")
    with pytest.raises(FeedError, match="missing required columns YQBH"):
        list(read_feed(path, {}, fmt="csv", required=["YQBH"]))
    path.write_text("id,id\n1,2\n", encoding="utf-8")
    with pytest.raises(FeedError, match="duplicate"):
        records(path, fmt="csv")
    path.write_text("", encoding="utf-8")
    with pytest.raises(FeedError, match="no header"):
        records(path, fmt="csv")


def test_csv_wrong_encoding(tmp_path):
    path = tmp_path / "gb.csv"
    path.write_bytes("id,名称\n1,科技\n".encode("gb18030"))
    with pytest.raises(FeedError, match="does not decode as utf-8"):
        records(path, fmt="csv", encoding="utf-8")
    with pytest.raises(ValueError, match="unsupported encoding"):
        records(path, fmt="csv", encoding="latin-9")


# ------------------------------------------------------------------------------ JSON

def test_json_lines(tmp_path):
    path = tmp_path / "talent.jsonl"
    path.write_text(
        '{"id": "SZ1", "name": {"zh": "王五", "en": "Wang Wu"}, "fields": ["AI", "材料"], "h": 12, '
        '"score": 1.50, "active": true, "memo": null}\n'
        "\n"
        '{"id": "SZ2", "papers": [{"doi": "10.1/a"}, {"doi": "10.1/b"}], "tags": []}\n'
        '{"id": "SZ3", broken\n'
        "[1, 2]\n", encoding="utf-8")
    out = records(path, fmt="json", json_layout="lines")
    assert out[0] == ("talent.jsonl line 1",
                      {"id": "SZ1", "name.zh": "王五", "name.en": "Wang Wu", "fields": "AI;材料",
                       "h": "12", "score": "1.50", "active": "true", "memo": None}, None, None)
    assert out[1][0] == "talent.jsonl line 3"
    assert out[1][1] == {"id": "SZ2", "papers.doi": "10.1/a;10.1/b", "tags": None}
    assert out[2][0] == "talent.jsonl line 4" and out[2][2].startswith("malformed JSON")
    assert out[2][3] == '{"id": "SZ3", broken'
    assert out[3][2] == "not a JSON object: list" and out[3][3] == "[1, 2]"


JSON_ARRAY = ('{"meta": {"count": 3, "skip": [1, {"a": 2}]}, "data": {"page": 1, "items": ['
              '{"id": 1, "amount": 1e3, "org": {"name": "澳门大学"}}, "oops", {"id": 3}], '
              '"more": false}, "tail": null}')


@pytest.mark.parametrize("chunk", [1, 5, 1 << 20])
def test_json_array_streams(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(feeds, "CHUNK_CHARS", chunk)
    path = tmp_path / "projects.json"
    path.write_text(JSON_ARRAY, encoding="utf-8")
    out = records(path, fmt="json", json_layout="array", record_path="data.items")
    assert out == [("projects.json record 1", {"id": "1", "amount": "1e3", "org.name": "澳门大学"},
                    None, None),
                   ("projects.json record 2", {}, "not a JSON object: str", '"oops"'),
                   ("projects.json record 3", {"id": "3"}, None, None)]


def test_json_array_at_top_level(tmp_path):
    path = tmp_path / "top.json"
    path.write_text('[{"id": 1}, {"id": 2}]', encoding="utf-16")
    assert fields(path, fmt="json", json_layout="array", encoding="utf-16") == [{"id": "1"}, {"id": "2"}]


@pytest.mark.parametrize("text, record_path", [
    ('{"data": {"items": [{"id": 1}, {"id": 2', "data.items"),   # truncated
    ('{"data": {"items": [{"id": 1}]}', "data.items"),           # truncated after the array
    ('{"data": {"items": [{"id": 1}]}} trailing', "data.items"),
    ('{"data": {"rows": []}}', "data.items"),                    # no such member
    ('{"data": {"items": {"id": 1}}}', "data.items"),            # not an array
    ("", None),
])
def test_bad_json_array_is_a_file_error(tmp_path, text, record_path):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FeedError):
        records(path, fmt="json", json_layout="array", record_path=record_path)


# ------------------------------------------------------------------------------ SQL

@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'gz.db'}"
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    table = sa.Table("t_yqsb", meta,
                     sa.Column("YQBH", sa.String, primary_key=True),
                     sa.Column("YQMC", sa.String), sa.Column("YZ", sa.Numeric(14, 2)),
                     sa.Column("GZRQ", sa.Date), sa.Column("GXSJ", sa.DateTime),
                     sa.Column("SL", sa.Integer), sa.Column("ZL", sa.Float))
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [
            {"YQBH": "GZ-003", "YQMC": "质谱仪", "YZ": Decimal("1200000.50"),
             "GZRQ": dt.date(2020, 1, 2), "GXSJ": dt.datetime(2024, 5, 6, 7, 8, 9), "SL": 2, "ZL": 3.0},
            {"YQBH": "GZ-001", "YQMC": "电镜", "YZ": None, "GZRQ": None, "GXSJ": None, "SL": None,
             "ZL": 0.25},
            {"YQBH": "GZ-002", "YQMC": "离心机", "YZ": Decimal("300000"), "GZRQ": dt.date(2021, 12, 31),
             "GXSJ": None, "SL": 1, "ZL": None},
        ])
    engine.dispose()
    return url


def test_sql_table_in_id_order(sqlite_url):
    out = list(read_table(sqlite_url, table="t_yqsb", order_by="YQBH", fetch_size=2))
    assert [loc for loc, *_ in out] == ["table t_yqsb row 1", "table t_yqsb row 2", "table t_yqsb row 3"]
    assert [f["YQBH"] for _, f, _, _ in out] == ["GZ-001", "GZ-002", "GZ-003"]
    assert out[0][1] == {"YQBH": "GZ-001", "YQMC": "电镜", "YZ": None, "GZRQ": None, "GXSJ": None,
                         "SL": None, "ZL": "0.25"}
    third = out[2][1]
    assert third["YZ"] == "1200000.5" or third["YZ"] == "1200000.50"  # sqlite keeps NUMERIC as REAL
    assert third["GZRQ"] == "2020-01-02" and third["GXSJ"].startswith("2024-05-06 07:08:09")
    assert third["SL"] == "2" and third["ZL"] == "3"
    assert all(v is None or isinstance(v, str) for _, f, _, _ in out for v in f.values())


def test_sql_query(sqlite_url):
    out = list(read_table(sqlite_url, query="SELECT YQBH, YQMC FROM t_yqsb WHERE SL IS NOT NULL;",
                          order_by="YQBH"))
    assert out == [("query row 1", {"YQBH": "GZ-002", "YQMC": "离心机"}, None, None),
                   ("query row 2", {"YQBH": "GZ-003", "YQMC": "质谱仪"}, None, None)]
    with pytest.raises(ValueError):
        list(read_table(sqlite_url))

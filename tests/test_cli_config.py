"""The command line and the configuration: every sub-command has --help; env overrides work."""
from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from bayres.jobs.run.cli import main
from bayres.jobs.run.config import DEFAULT_CONF, ConfigError, load_profile, load_sources


def _commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield prefix + (name,)
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))


@pytest.mark.parametrize("path", [()] + list(_commands(main)), ids=lambda p: " ".join(p) or "bayres")
def test_every_command_has_help(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and "--help" in result.output


def test_run_offers_profiles_and_stages():
    out = CliRunner().invoke(main, ["run", "--help"]).output
    assert "--stage" in out and "--date" in out
    out = CliRunner().invoke(main, ["--help"]).output
    assert "--profile" in out and "--conf" in out


def test_env_overrides_any_value():
    env = {"BAYRES_HOME": "/data/bayres", "BAYRES__SPARK__MASTER": "local[4]",
           "BAYRES__SPARK__SHUFFLE_PARTITIONS": "16", "BAYRES__SERVING__PATH": "/srv/x.duckdb"}
    p = load_profile("local", environ=env)
    assert p.get("spark.master") == "local[4]"
    assert p.get("spark.shuffle_partitions") == 16           # YAML-typed
    assert p.get("serving.path") == "/srv/x.duckdb"


def test_variables_expand_with_defaults(monkeypatch):
    monkeypatch.setenv("BAYRES_HOME", "/data/bayres")
    assert load_profile("local", environ={}).get("lake.root") == "/data/bayres/lake"
    monkeypatch.delenv("BAYRES_HOME")
    assert load_profile("local", environ={}).get("lake.root") == "var/lake"


def test_credentials_come_from_the_environment_or_a_secrets_file(monkeypatch, tmp_path):
    monkeypatch.delenv("BAYRES_DB_PASSWORD", raising=False)
    secret = tmp_path / "db_password"
    secret.write_text("s3cr\u00e9t\n", encoding="utf-8")
    monkeypatch.setenv("BAYRES_DB_PASSWORD_FILE", str(secret))
    url = load_profile("cluster", environ={}).get("sources.databases")["gz"]
    assert url.startswith("mysql+pymysql://bayres:s3cr\u00e9t@")  # the file's content, stripped
    monkeypatch.setenv("BAYRES_DB_PASSWORD", "from-env")  # the variable itself wins
    assert ":from-env@" in load_profile("cluster", environ={}).get("sources.databases")["gz"]
    monkeypatch.delenv("BAYRES_DB_PASSWORD")
    monkeypatch.setenv("BAYRES_DB_PASSWORD_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="BAYRES_DB_PASSWORD_FILE=.*cannot read the secrets file"):
        load_profile("cluster", environ={})


def test_unknown_profile_is_a_clear_error():
    with pytest.raises(ConfigError, match="no profile 'nope'"):
        load_profile("nope")


def test_every_source_maps_onto_the_schema():
    sources = load_sources(DEFAULT_CONF)
    assert {s["platform"] for s in sources} == {"gz", "sz", "hk", "mo"}
    assert {s["format"] for s in sources} >= {"sql", "xml", "rss", "xlsx", "txt", "csv", "json"}


def test_a_source_mapping_to_an_unknown_field_is_refused(tmp_path):
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "x_y.yaml").write_text(
        "platform: x\nsource: y\nformat: csv\nid_field: id\nconventions: {}\nresource_type: '02'\n"
        "mapping: {nmae: NAME}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="nmae"):
        load_sources(tmp_path)


@pytest.mark.parametrize("extract, message", [
    ("{from: description}", "needs exactly 'from' and 'pattern'"),
    ("{from: description, pattern: '^(\\\\d+'}", "bad pattern"),
    ("{from: description, pattern: '^\\\\d+'}", "needs one capturing group, it has 0"),
])
def test_a_bad_extract_is_refused(tmp_path, extract, message):
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "x_y.yaml").write_text(
        "platform: x\nsource: y\nformat: csv\nid_field: id\nconventions: {}\nresource_type: '01'\n"
        f"mapping: {{name: TITLE}}\nextracts:\n  official_no: {extract}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_sources(tmp_path)


def test_spark_reads_the_cluster_lake_through_hdfs_not_webhdfs(monkeypatch):
    """lake.url is WebHDFS (http), where Spark cannot write Parquet: the cluster profile names
    the NameNode's hdfs:// address for Spark (lake.spark_uri), and a profile without it is
    refused instead of handing Spark the http:// URL."""
    import datetime as dt
    import re
    from pathlib import Path

    from bayres.jobs.run.config import Profile
    from bayres.jobs.run.context import RunContext

    for var in ("BAYRES_NAMENODE", "BAYRES_HDFS_PORT", "BAYRES__LAKE__SPARK_URI"):
        monkeypatch.delenv(var, raising=False)
    cluster = load_profile("cluster")
    root = RunContext(cluster, dt.date(2026, 11, 1)).lake_root
    assert root == "hdfs://namenode:9000/bayres/lake"
    ctx = RunContext(cluster, dt.date(2026, 11, 1))
    assert ctx.zone("curated").startswith("hdfs://namenode:9000/")
    # the lake's own paths: relative to its root, the lake of the profile (WebHDFS, as lake.user)
    assert ctx.lake_path(ctx.zone("curated", "golden")) == "curated/golden/run_date=2026-11-01"
    assert ctx.lake_path(ctx.raw_dir("sz", "inst")) == "raw/sz/inst/2026-11-01"
    with pytest.raises(ValueError, match="not in the lake"):
        ctx.lake_path("hdfs://other:9000/bayres/lake/curated")
    assert type(ctx.lake()).__name__ == "HdfsLake" and ctx.lake().root == "/bayres/lake"
    monkeypatch.setenv("BAYRES_NAMENODE", "127.0.0.1")
    monkeypatch.setenv("BAYRES_HDFS_PORT", "8020")
    assert RunContext(load_profile("cluster"), dt.date(2026, 11, 1)).lake_root == \
        "hdfs://127.0.0.1:8020/bayres/lake"
    without = Profile("x", {"lake": {"kind": "hdfs", "url": "http://nn:9870", "root": "/l"}})
    with pytest.raises(ValueError, match="spark_uri"):
        RunContext(without, dt.date(2026, 11, 1)).lake_root
    # docker/compose.yaml's pipeline containers say the same
    compose = (Path(__file__).resolve().parent.parent / "docker" / "compose.yaml").read_text()
    assert re.search(r"BAYRES__LAKE__SPARK_URI: hdfs://namenode:9000\b", compose)

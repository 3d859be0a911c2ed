# BayRes — the two set-up commands are `make run` and `make test`; both install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= 5000
SEED ?= 42
export BAYRES_HOME ?= $(CURDIR)/var
# pytest's own temp dirs and Spark's scratch stay inside the project
export SPARK_LOCAL_DIRS ?= $(CURDIR)/var/spark-tmp

.PHONY: test-stack-e2e collector-install stack-install stack-up stack-down stack-status help install install-test system-deps system-deps-test run serve generate test test-fast bench schema clean servers-start servers-stop hive-server hive-server-status hive-server-stop fuzz

help:
	@echo "make run    — install, generate the sample platforms, run the whole pipeline (local profile)"
	@echo "make test   — install, start the real test servers, run the whole test suite"
	@echo "make stack-up / stack-down — the Hadoop stack on this machine (HDFS, YARN, HBase + Thrift, Phoenix QS; stack/README.md)"
	@echo "make bench  — benchmarks, one JSON file each under .bench/"
	@echo "             (dedup at scale vs plain Splink: make bench BENCH_ARGS=--dedup-scales=1000000,4000000)"
	@echo "make serve  — the portal service (bayres serve) on 127.0.0.1:$(PORTAL_PORT) over the last make run's catalogue"
	@echo "make fuzz   — fuzz every feed reader and the SQL-row path (FUZZ_SECONDS=$(FUZZ_SECONDS) each)"
	@echo "make schema — re-render the DDL derived from schemas/"
	@echo "make hive-server — HiveServer2 on 127.0.0.1:$(HIVE_SERVER_PORT) over the tables of the last make run (hive/README.md)"

# --- installation -----------------------------------------------------------------------------
# Debian packages, skipped when already present: Java 17 for Spark (and gcc + the Kerberos
# headers that phoenixdb's gssapi builds with); for the tests also MariaDB, ZooKeeper and the
# rest of tests/servers/install-debs.sh's list.
# maven resolves the Flume log collector (logs/collector/install.sh)
DEBS_RUN := openjdk-17-jre-headless libkrb5-dev pkg-config gcc maven

system-deps:
	@bash tests/servers/install-debs.sh $(DEBS_RUN)

system-deps-test:
	@bash tests/servers/install-debs.sh $(DEBS_RUN)
	@bash tests/servers/install-debs.sh

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# constraints.txt pins every package (pip freeze of a working install): same versions everywhere
$(VENV)/.installed: setup.cfg constraints.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[cluster,linkage,airflow,dev]"
	# SparkSubmitOperator (the cluster profile's DAG) without its pyspark-client dependency,
	# which would overwrite pyspark's files: pyspark itself is installed
	$(BIN)/pip install --quiet --no-deps -c constraints.txt apache-airflow-providers-apache-spark
	@touch $@

install: system-deps $(VENV)/.installed

install-test: system-deps-test $(VENV)/.installed

# --- the two commands -------------------------------------------------------------------------
generate: install
	$(BIN)/bayres generate --seed $(SEED) --scale $(SCALE)

run: generate collector-install
	$(BIN)/bayres run
	@echo "The portal over this catalogue: make serve  (or $(BIN)/bayres serve --port $(PORTAL_PORT)) → http://127.0.0.1:$(PORTAL_PORT)/  API: http://127.0.0.1:$(PORTAL_PORT)/docs"

# the portal service over the catalogue of the last make run (README: bayres serve); Ctrl-C stops it
PORTAL_PORT ?= 8000
serve: install
	$(BIN)/bayres serve --port $(PORTAL_PORT)

# the real servers, the Hadoop stack included (stack/: resolved by Maven into .cache/ first)
TEST_SERVERS ?= mariadb zookeeper hive stack
SLOW_TEST_NOTICE ?= 60

test: install-test stack-install collector-install
	@mkdir -p $(SPARK_LOCAL_DIRS)
	bash tests/servers/start.sh $(TEST_SERVERS) || { bash tests/servers/stop.sh; exit 1; }
	# the suite's Spark session shares the standalone metastore, so HiveServer2 sees its tables
	# every test URL of a server it started (tests/server_endpoints.py derives the others from the ports);
	# -rs prints why each skipped test skipped, --durations the 15 slowest; tests/conftest.py names a test still running after
	# $(SLOW_TEST_NOTICE) s
	$(if $(filter mariadb,$(TEST_SERVERS)),BAYRES_TEST_MARIADB_URL="mysql+pymysql://bayres:bayres@127.0.0.1:$${BAYRES_MARIADB_PORT:-3307}/bayres_test?charset=utf8mb4") \
	BAYRES_REQUIRE_SERVERS=1 BAYRES__SPARK__METASTORE_URI=thrift://127.0.0.1:$${BAYRES_HIVE_METASTORE_PORT:-9083} \
	  BAYRES__SPARK__WAREHOUSE_DIR=$(CURDIR)/.servers/hive/warehouse BAYRES_SLOW_TEST_NOTICE=$(SLOW_TEST_NOTICE) \
	  $(BIN)/python -m pytest -p no:cacheprovider -q -rs --durations=15 -m "not stack_e2e" $(PYTEST_ARGS); \
	  rc=$$?; bash tests/servers/stop.sh; exit $$rc

# the cluster profile end to end on the stack vs the local profile (tests/test_cluster_e2e.py; long)
test-stack-e2e:
	$(MAKE) test PYTEST_ARGS="-m stack_e2e -rs $(PYTEST_ARGS)"

# without the servers: their tests skip
test-fast: install
	$(BIN)/python -m pytest -q -m "not servers and not slow" $(PYTEST_ARGS)

bench: install collector-install
	$(BIN)/python -m tests.bench $(BENCH_ARGS)

# coverage-guided fuzzing (atheris) of every feed reader and the SQL-row path, FUZZ_SECONDS per
# target; a crashing input is kept in tests/fuzz/corpus/<target>/ as a regression case
FUZZ_SECONDS ?= 120
fuzz: install
	$(BIN)/python -m tests.fuzz.run --seconds $(FUZZ_SECONDS) --keep-crashes --json .bench/fuzz.json

schema: install
	$(BIN)/bayres schema render

servers-start: install-test stack-install
	bash tests/servers/start.sh $(TEST_SERVERS)

servers-stop:
	bash tests/servers/stop.sh

# --- the service-log collector: Apache Flume, pinned in logs/collector/pom.xml, resolved by
# Maven into .cache/collector/lib (README: Service logs)
collector-install: system-deps
	bash logs/collector/install.sh

# --- the Hadoop stack on one machine (stack/README.md) ---------------------------------------
stack-install: system-deps-test
	bash stack/install.sh

stack-up: install-test stack-install
	bash tests/servers/start.sh mariadb zookeeper hive stack
	@bash tests/servers/status.sh

stack-down:
	bash tests/servers/stop.sh

stack-status:
	@bash tests/servers/status.sh

HIVE_SERVER_PORT ?= 10000

hive-server: install
	BAYRES_HIVE_SERVER_PORT=$(HIVE_SERVER_PORT) bash hive/hive-server.sh start

# a stopped server is an answer, not an error: the script's exit 3 ("not running") is make's 0
hive-server-status:
	@BAYRES_HIVE_SERVER_PORT=$(HIVE_SERVER_PORT) bash hive/hive-server.sh status; rc=$$?; \
	  if [ $$rc -eq 3 ]; then exit 0; else exit $$rc; fi

hive-server-stop:
	bash hive/hive-server.sh stop

clean:
	rm -rf var .bench .servers
# (.cache/ keeps the Maven downloads; rm -rf .cache to resolve the stack again from scratch)

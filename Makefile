# Quick start: `make run` runs the job, `make test` runs every check. Both create .venv first.
#   make run SOURCE=<dir>              same job on your own delivery instead of generated sample data
#   make run SYSTEM=<name> SOURCE=<dir> land only the tables of one declared source system, then build
#   make run SOURCE=<dir> INCREMENT=1  the delivery holds new and changed order lines since the last one
#   make run SCALE=10                  a bigger sample (1 = about 10k order lines, 100 = about 1M)
#   make build                         build, test and publish what has been landed (no landing)
#   make rollback                      readers see the previously published version again
#   make docs                          generate and serve the dbt docs (lineage, column descriptions)
#   make bench                         the job against a hand-written PySpark yardstick (BENCH_SCALES="1 10 100")
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TARGET ?= local
SOURCE ?=
SYSTEM ?=
INCREMENT ?=
SCALE ?= 1
SEED ?= 42
DOCS_PORT ?= 8080
BENCH_SCALES ?= 1 10 100
BENCH_RUNS ?= 3
# Python code that ruff lints and formats (SQL: sqlfluff, below)
PYTHON_CODE := ingestion samples local_cluster pipeline_tests benchmarks conftest.py

# All local state (landing zone, warehouse, metastore, sample data) lives here; profiles.yml and
# the ingestion package default to the same folder when SALES_LAKE_DIR is unset.
export SALES_LAKE_DIR := $(abspath $(or $(SALES_LAKE_DIR),.lake))
export DBT_PROFILES_DIR := $(CURDIR)
# Spark's classes as the JVM has loaded them for a build, mapped instead of loaded at each start
# (class data sharing; made by `make setup`, read by profiles.yml; a missing archive is ignored)
export SALES_SPARK_CLASS_ARCHIVE := $(abspath $(VENV))/spark-classes.jsa
SAMPLE_DIR := $(SALES_LAKE_DIR)/sample
DELIVERY := $(or $(SOURCE),$(SAMPLE_DIR))
# the sample data of `make run` without SOURCE: the named system's, else sales
SAMPLE_SYSTEM := $(or $(SYSTEM),sales)

.PHONY: run build rollback test lint docs setup clean cluster-up cluster-down bench

setup: $(VENV)/.installed $(SALES_SPARK_CLASS_ARCHIVE)

$(VENV)/.installed: pyproject.toml requirements.lock
	@java -version >/dev/null 2>&1 || { echo "Java 17 is required (Spark runs on the JVM)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==0.13.9  # installs the lock in ~30 s where pip takes ~2 min
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

# One small run of the job in a throw-away lake, its JVM writing the classes it loaded at exit
# (-XX:ArchiveClassesAtExit): a run then starts its Spark session ~5 s sooner and runs its first
# queries ~3 s sooner (BENCHMARKS.md). The archive fits only this .venv's Spark and this Java.
$(SALES_SPARK_CLASS_ARCHIVE): $(VENV)/.installed
	@echo "recording the JVM classes a build loads (one small run of the job, about 2 minutes, once)"
	@work="$$(mktemp -d)"; trap 'rm -rf "$$work" "$@.partial"' EXIT; \
	export SALES_LAKE_DIR="$$work" DBT_TARGET_PATH="$$work/target" DBT_LOG_PATH="$$work/logs" SALES_SPARK_CLASS_ARCHIVE=; \
	export SALES_SPARK_JAVA_OPTIONS="-XX:ArchiveClassesAtExit=$@.partial"; \
	$(BIN)/python -m samples generate --system sales --out "$$work/sample" --scale 0.02 >/dev/null 2>&1; \
	$(BIN)/python -m ingestion load --source "$$work/sample" --build >"$$work/run.log" 2>&1 || { tail -20 "$$work/run.log"; exit 1; }; \
	while grep -qs "[-]Dsales.spark.log.dir=$$work/logs" /proc/[0-9]*/cmdline; do sleep 1; done; \
	mv "$@.partial" $@

# Land the delivery (every declared table its files belong to, or only SYSTEM's), then build,
# test and publish what has been landed (`build`), in one process: one Spark session for both.
run: setup
	@start=$$(date +%s); \
	if [ -z "$(SOURCE)" ]; then $(BIN)/python -m samples generate --system $(SAMPLE_SYSTEM) --out "$(SAMPLE_DIR)" --scale $(SCALE) --seed $(SEED); fi; \
	$(BIN)/python -m ingestion load --source "$(DELIVERY)" --target $(TARGET) $(if $(SYSTEM),--system $(SYSTEM)) $(if $(INCREMENT),--increment) --build; \
	echo; \
	echo "Done in $$(( $$(date +%s) - start )) s. Gold tables (schema gold): dim_customers, dim_products, fct_order_lines,"; \
	echo "profit_by_year, profit_by_category, profit_by_sub_category, profit_by_customer. Look next:"; \
	echo "  .venv/bin/dbt show --inline \"select * from {{ ref('profit_by_year') }}\""; \
	echo "  .venv/bin/dbt show --inline \"select * from {{ ref('stg_sales__quarantined_records') }}\"   # records not loaded, with reasons"; \
	echo "  .venv/bin/dbt show --select profit_by_customer_and_year     # the analyses/ queries"; \
	echo "  make docs                                                   # lineage and column docs"

test: setup lint .lake/tools/node_modules/.bin/azurite-blob
	$(BIN)/python -m pytest

# Azurite, the Azure Storage emulator ingestion/tests/test_storage.py lands on; 3.35 is the last
# release that runs on Node 20 (3.36 needs 21+). Under .lake/, so out of git.
.lake/tools/node_modules/.bin/azurite-blob:
	@command -v npm >/dev/null || { apt-get update && apt-get install -y nodejs npm; }
	npm install --prefix .lake/tools --no-audit --no-fund azurite@3.35.0

# Build the systems that have a committed load (`python -m ingestion selector`; systems never
# delivered are left out) as a new candidate version (SALES_BUILD_VERSION: the candidate schemas
# are silver__<version>, gold__<version>), test it there, and publish it only if everything passed
# (ingestion/build.py). The unit tests test the SQL, not the delivery: `make test` runs them (dbt's
# advice for production builds), and a plain `dbt build` too.
build: setup
	$(BIN)/python -m ingestion build --target $(TARGET)

rollback: setup
	$(BIN)/dbt run-operation rollback_publish --target $(TARGET)

lint: setup
	$(BIN)/sqlfluff lint models analyses tests
	$(BIN)/ruff check $(PYTHON_CODE)
	$(BIN)/ruff format --check $(PYTHON_CODE)

docs: setup
	$(BIN)/dbt docs generate --target $(TARGET)
	$(BIN)/dbt docs serve --target $(TARGET) --host 127.0.0.1 --port $(DOCS_PORT)

# A Spark standalone cluster and thrift server on 127.0.0.1 for TARGET=cluster (local_cluster/).
cluster-up: setup
	$(BIN)/python -m local_cluster up

cluster-down: setup
	$(BIN)/python -m local_cluster down

# The project (`make run SOURCE=<delivery>`) against the yardstick (benchmarks/yardstick.py, the same
# transformations as one hand-written PySpark job), alternating, BENCH_RUNS runs each per scale, on
# a generated delivery per scale: medians, their ratio, peak memory (benchmarks/pipeline.py;
# BENCH_SCALES="1 10 100 1000" adds the 10M-line run).
bench: setup
	$(BIN)/python benchmarks/pipeline.py --runs $(BENCH_RUNS) $(foreach scale,$(BENCH_SCALES),--scale $(scale))

clean:
	rm -rf target logs "$(SALES_LAKE_DIR)"

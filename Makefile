# Quick start: `make run` runs the job, `make test` runs every check. Both create .venv first.
#   make run SOURCE=<dir>              same job on your own delivery instead of generated sample data
#   make run SYSTEM=<name> SOURCE=<dir> land only the tables of one declared source system, then build
#   make run SCALE=10                  a bigger sample (1 = about 10k order lines, 100 = about 1M)
#   make build                         build, test and publish what has been landed (no landing)
#   make rollback                      readers see the previously published version again
#   make docs                          generate and serve the dbt docs (lineage, column descriptions)
#   make bench                         time generate / land / build per scale (BENCH_SCALES="1 10 100")
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TARGET ?= local
SOURCE ?=
SYSTEM ?=
SCALE ?= 1
SEED ?= 42
DOCS_PORT ?= 8080
BENCH_SCALES ?= 1 10 100
# Python code that ruff lints and formats (SQL: sqlfluff, below)
PYTHON_CODE := ingestion samples local_cluster pipeline_tests benchmarks conftest.py

# All local state (landing zone, warehouse, metastore, sample data) lives here; profiles.yml and
# the ingestion package default to the same folder when SALES_LAKE_DIR is unset.
export SALES_LAKE_DIR := $(abspath $(or $(SALES_LAKE_DIR),.lake))
export DBT_PROFILES_DIR := $(CURDIR)
SAMPLE_DIR := $(SALES_LAKE_DIR)/sample
DELIVERY := $(or $(SOURCE),$(SAMPLE_DIR))
# the sample data of `make run` without SOURCE: the named system's, else sales
SAMPLE_SYSTEM := $(or $(SYSTEM),sales)

.PHONY: run build rollback test lint docs setup clean cluster-up cluster-down bench

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	@java -version >/dev/null 2>&1 || { echo "Java 17 is required (Spark runs on the JVM)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==0.13.9  # installs the lock in ~30 s where pip takes ~2 min
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

# Land the delivery (every declared table its files belong to, or only SYSTEM's), then build,
# test and publish what has been landed (`build`).
run: setup
	@start=$$(date +%s); \
	if [ -z "$(SOURCE)" ]; then $(BIN)/python -m samples generate --system $(SAMPLE_SYSTEM) --out "$(SAMPLE_DIR)" --scale $(SCALE) --seed $(SEED); fi; \
	$(BIN)/python -m ingestion load --source "$(DELIVERY)" --target $(TARGET) $(if $(SYSTEM),--system $(SYSTEM)); \
	$(MAKE) --no-print-directory build; \
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
# are silver__<version>, gold__<version>), test it there, and publish it only if everything passed.
# The unit tests test the SQL, not the delivery: `make test` runs them (dbt's advice for production
# builds), and a plain `dbt build` too.
build: setup
	@selection="$$($(BIN)/python -m ingestion selector)"; \
	version="v$$(date -u +%Y%m%d%H%M%S)"; \
	echo "dbt build --select $$selection --exclude-resource-type unit_test   (version $$version)"; \
	SALES_BUILD_VERSION=$$version $(BIN)/dbt build --target $(TARGET) --select "$$selection" --exclude-resource-type unit_test

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

# Wall time and peak memory of each step at each scale, each in a fresh lake (benchmarks/pipeline.py;
# BENCH_SCALES="1 10 100 1000" adds the 10M-line run). The landing's peak memory comes from /usr/bin/time.
bench: setup /usr/bin/time
	$(BIN)/python benchmarks/pipeline.py $(foreach scale,$(BENCH_SCALES),--scale $(scale))

/usr/bin/time:
	apt-get update && apt-get install -y time

clean:
	rm -rf target logs "$(SALES_LAKE_DIR)"

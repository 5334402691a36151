"""The databricks target without a workspace: ``dbt parse`` and ``dbt compile`` with dummy
credentials, asserting Unity Catalog three-part names, delta tables, merge for the incremental
model, and the bronze DDL (views over read_files on a volume).

What cannot run here is the connection itself: every query, and so ``sales_load_history`` (whose
``is_incremental()`` asks the warehouse whether the table exists), needs a live workspace.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline_tests.dbt_runner import Pipeline

CATALOG = "shop"
DUMMY_WORKSPACE = {
    "DATABRICKS_HOST": "https://dbc-12345678-9abc.cloud.databricks.com",
    "DATABRICKS_HTTP_PATH": "/sql/1.0/warehouses/0123456789abcdef",
    "DATABRICKS_TOKEN": "dapi-not-a-real-token",
    "DATABRICKS_CATALOG": CATALOG,
}
OFFLINE = ["--no-populate-cache", "--no-introspect"]  # compile without opening a connection


def dbt(tmp_path: Path, *args: str) -> str:
    pipeline = Pipeline(lake=tmp_path / "lake", work=tmp_path, target="databricks", extra_env=DUMMY_WORKSPACE)
    return pipeline.dbt(*args, timeout=600).stdout


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp_path = tmp_path_factory.mktemp("databricks")
    dbt(tmp_path, "parse")
    # the incremental models ask the warehouse whether their table exists: left out offline
    dbt(tmp_path, "compile", *OFFLINE, "--exclude", "sales_load_history", "fct_order_lines")
    manifest = json.loads((tmp_path / "target/manifest.json").read_text())
    return {"manifest": manifest, "compiled": tmp_path / "target/compiled/ecommerce_sales", "tmp_path": tmp_path}


def nodes(manifest: dict, resource_type: str) -> dict[str, dict]:
    return {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == resource_type}


def test_every_table_is_delta_under_a_three_part_name(compiled: dict) -> None:
    models = nodes(compiled["manifest"], "model")
    assert set(models) >= {"fct_order_lines", "profit_by_year", "dim_customers", "base_sales__orders", "sales_load_history"}
    for name, node in {**models, **nodes(compiled["manifest"], "seed")}.items():
        assert node["relation_name"] == f"`{CATALOG}`.`{node['schema']}`.`{name}`"
        if node["config"]["materialized"] in ("table", "incremental", "seed"):
            assert node["config"]["file_format"] == "delta", name
    assert models["fct_order_lines"]["schema"] == "gold" and models["stg_sales__orders"]["schema"] == "silver"
    sources = {node["name"]: node for node in compiled["manifest"]["sources"].values()}
    assert sources["orders"]["relation_name"] == f"`{CATALOG}`.`bronze`.`orders`"


def test_the_incremental_models_merge_on_their_key(compiled: dict) -> None:
    config = nodes(compiled["manifest"], "model")["sales_load_history"]["config"]
    assert (config["materialized"], config["incremental_strategy"]) == ("incremental", "merge")
    assert config["unique_key"] == ["source_table", "load_id"]
    config = nodes(compiled["manifest"], "model")["fct_order_lines"]["config"]
    assert (config["materialized"], config["incremental_strategy"], config["unique_key"]) == ("incremental", "merge", "order_line_id")
    assert config["partition_by"] == ["order_month"]


def test_a_published_incremental_table_is_carried_as_a_deep_clone(compiled: dict) -> None:
    inline = (
        "{{ databricks_clone_sql("
        "api.Relation.create(database=target.database, schema='gold__v2', identifier='fct_order_lines'), "
        "api.Relation.create(database=target.database, schema='gold__v1', identifier='fct_order_lines')) }}"
    )
    output = " ".join(dbt(compiled["tmp_path"], "compile", *OFFLINE, "--inline", inline).split())
    assert f"create or replace table `{CATALOG}`.`gold__v2`.`fct_order_lines` deep clone `{CATALOG}`.`gold__v1`.`fct_order_lines`" in output


def test_models_compile_against_three_part_names(compiled: dict) -> None:
    profit = (compiled["compiled"] / "models/marts/profit/profit_by_customer.sql").read_text()
    assert f"`{CATALOG}`.`gold`.`fct_order_lines`" in profit
    customers = (compiled["compiled"] / "models/marts/core/dim_customers.sql").read_text()
    assert f"`{CATALOG}`.`silver`.`stg_sales__customers`" in customers
    by_load = (compiled["compiled"] / "models/staging/sales/base/base_sales__orders_by_load.sql").read_text()
    assert f"`{CATALOG}`.`bronze`.`orders`" in by_load
    base = (compiled["compiled"] / "models/staging/sales/base/base_sales__orders.sql").read_text()
    assert f"`{CATALOG}`.`silver`.`base_sales__orders_by_load`" in base
    staging = (compiled["compiled"] / "models/staging/sales/stg_sales__orders.sql").read_text()
    assert f"`{CATALOG}`.`silver`.`base_sales__orders`" in staging


LOAD, LATER_LOAD = "20261122T000000000000Z", "20261123T000000000000Z"


def test_bronze_is_a_view_over_read_files_on_the_volume(compiled: dict) -> None:
    location = f"/Volumes/{CATALOG}/sales/landing/sales/orders/{LOAD}/data"
    inline = (
        "{% set node = graph.sources['source.ecommerce_sales.sales.orders'] %}"
        "{% for statement in bronze_table_statements(source('sales', 'orders'), node.columns.values() | list, "
        f"['{location}', '{location.replace(LOAD, LATER_LOAD)}']) %}}{{{{ statement }}}};{{% endfor %}}"
    )
    output = " ".join(dbt(compiled["tmp_path"], "compile", *OFFLINE, "--inline", inline).split())
    assert f"create schema if not exists `{CATALOG}`.`bronze`;" in output
    assert f"create or replace view `{CATALOG}`.`bronze`.`orders` as select `row_id`," in output
    # each load's branch names its load, so that a filter on _load_id reads only the loads it keeps
    assert f"`_loaded_at`, '{LOAD}' as `_load_id` from read_files( '{location}', format => 'json', schema => '`row_id` string," in output
    # an increment after the full load: its folder is read too
    assert "union all select `row_id`," in output
    assert f"'{LATER_LOAD}' as `_load_id` from read_files(" in output
    assert f"from read_files( '{location.replace(LOAD, LATER_LOAD)}', format => 'json'," in output
    # every field raw text, then the lineage columns landing writes
    assert (
        "`profit` string, `_source_file` string, `_source_position` bigint, `_raw_record` string, `_read_problem` string, `_loaded_at` timestamp' )"
        in output
    )


def test_a_build_writes_candidate_schemas_and_publishes_views_onto_them(tmp_path: Path) -> None:
    pipeline = Pipeline(lake=tmp_path / "lake", work=tmp_path, target="databricks", extra_env={**DUMMY_WORKSPACE, "SALES_BUILD_VERSION": "v1"})
    inline = (
        "{{ ref('fct_order_lines') }} reads {{ ref('stg_sales__orders') }}; "
        "{{ view_sql('alter view', api.Relation.create(database=target.database, schema='gold', identifier='fct_order_lines'), 'gold__v1.fct_order_lines') }}"
    )
    output = " ".join(pipeline.dbt("compile", *OFFLINE, "--inline", inline, timeout=600).stdout.split())
    assert f"`{CATALOG}`.`gold__v1`.`fct_order_lines` reads `{CATALOG}`.`silver__v1`.`stg_sales__orders`;" in output
    assert f"alter view `{CATALOG}`.`gold`.`fct_order_lines` as select * from `{CATALOG}`.`gold__v1`.`fct_order_lines`" in output


def test_loading_for_databricks_from_the_local_landing_zone_is_refused(tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from ingestion.cli import main

    monkeypatch.delenv("SALES_LANDING_URL", raising=False)
    monkeypatch.setenv("SALES_LAKE_DIR", str(tmp_path / "lake"))
    result = CliRunner().invoke(main, ["load", "--source", str(tmp_path), "--target", "databricks"])
    assert result.exit_code == 1
    assert "set SALES_LANDING_URL to a Unity Catalog volume (/Volumes/<catalog>/<schema>/<volume>/landing)" in result.output


def test_the_refusal_goes_by_the_target_s_type_not_its_name(tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from ingestion.cli import main

    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "profiles.yml").write_text(
        "ecommerce_sales:\n"
        "  target: dev\n"
        "  outputs:\n"
        "    warehouse: {type: databricks, host: h, http_path: p, token: t, catalog: c, schema: silver}\n"
        "    databricks: {type: spark, method: session, host: localhost, schema: silver}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("DBT_PROFILES_DIR", str(profiles))
    monkeypatch.delenv("SALES_LANDING_URL", raising=False)
    monkeypatch.setenv("SALES_LAKE_DIR", str(tmp_path / "lake"))
    empty = tmp_path / "delivery"
    empty.mkdir()
    refused = CliRunner().invoke(main, ["load", "--source", str(empty), "--target", "warehouse"])
    assert refused.exit_code == 1
    assert "cannot read the local landing zone" in refused.output
    # a spark target that happens to be called databricks reads the local landing zone well
    named_so = CliRunner().invoke(main, ["load", "--source", str(empty), "--target", "databricks"])
    assert "cannot read the local landing zone" not in named_so.output

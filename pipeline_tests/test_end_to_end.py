"""The whole job on generated data: CLI landing, ``dbt build`` of what the landing selects, docs,
freshness; then the gold figures against an independent pandas computation over the same raw files.

The shared ``build`` fixture (conftest.py) lands two deliveries one after the other, then dbt
builds once: every layer must show the second delivery only.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pandas as pd

from pipeline_tests.reference import clean_name, expected_categories, profit_by, raw_orders


def table(build: dict, name: str) -> pd.DataFrame:
    return build["spark"].table(name).toPandas()


def gold_profit_by(gold: pd.DataFrame, keys: list[str]) -> dict[tuple, Decimal]:
    return {tuple(row[key] for key in keys): row["profit"] for _, row in gold.iterrows()}


# --- tests ---------------------------------------------------------------------------------------


def test_dbt_build_docs_and_freshness_succeed(build: dict) -> None:
    for command, result in build["results"].items():
        assert result.success, f"dbt {command} failed: {result.exception}"
    catalog = json.loads((build["target"] / "catalog.json").read_text())
    built_gold = {node["metadata"]["name"] for node in catalog["nodes"].values() if node["metadata"]["schema"] == "gold"}
    assert {"fct_order_lines", "profit_by_year", "profit_by_customer", "dim_customers", "dim_products"} <= built_gold


def test_cli_says_which_file_feeds_which_table(build: dict) -> None:
    out = build["second_load"].stdout + build["second_load"].stderr
    for table_name, file_name in (("orders", "Order.json"), ("products", "Product.csv"), ("customers", "Customer.csv")):
        assert re.search(rf"^.*\b{table_name}\b.*\b{re.escape(file_name)}\b", out, flags=re.MULTILINE), out


def test_the_build_selects_the_landed_system(build: dict) -> None:
    assert "sales" in build["selector"]


def test_earlier_delivery_stays_archived_but_bronze_shows_only_the_latest(build: dict) -> None:
    for table_name in ("orders", "products", "customers"):
        loads = sorted(path for path in (build["lake"] / "landing/sales" / table_name).iterdir())
        assert len(loads) == 2 and all((load / "_manifest.json").is_file() for load in loads), loads
        assert all((load / "source").is_dir() and any((load / "data").iterdir()) for load in loads)
    bronze_files = table(build, "bronze.orders")["_source_file"].unique().tolist()
    assert bronze_files == ["Order.json"]
    assert len(table(build, "bronze.orders")) == len(raw_orders(build["delivery"] / "Order.json"))


def test_every_record_read_is_in_bronze_and_accounted_for(build: dict) -> None:
    delivery = build["delivery"]
    expected = {
        "orders": len(raw_orders(delivery / "Order.json")),
        "products": len(pd.read_csv(delivery / "Product.csv", dtype=str)),
        "customers": len(pd.read_csv(delivery / "Customer.csv", dtype=str, encoding="utf-8-sig")),
    }
    assert {name: len(table(build, f"bronze.{name}")) for name in expected} == expected
    accounting = table(build, "audit.sales_load_accounting")
    got = {row.source_table: (row.rows_read, row.rows_loaded, row.rows_quarantined, row.rows_duplicate) for row in accounting.itertuples()}
    # a generated delivery is clean: every record loads
    assert got == {name: (count, count, 0, 0) for name, count in expected.items()}
    assert len(table(build, "silver.stg_sales__quarantined_records")) == 0


def test_the_load_log_has_both_deliveries_history_and_accounting_the_current_loads(build: dict) -> None:
    loads = table(build, "silver.stg_landing__loads")
    assert loads.groupby("source_table")["load_id"].nunique().to_dict() == {"orders": 2, "products": 2, "customers": 2}
    accounting = table(build, "audit.sales_load_accounting")
    assert set(accounting["load_id"]) == set(loads.loc[loads["is_current_load"], "load_id"])
    # the one build saw the current loads only: the history holds exactly those, with the same counts
    columns = ["source_table", "load_id", "rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate"]
    history = table(build, "audit.sales_load_history")
    assert sorted(history[columns].itertuples(index=False, name=None)) == sorted(accounting[columns].itertuples(index=False, name=None))


def test_order_lines_match_the_raw_file_one_to_one(build: dict) -> None:
    orders = raw_orders(build["delivery"] / "Order.json")
    fct = table(build, "gold.fct_order_lines")
    assert len(fct) == len(orders) == len(table(build, "bronze.orders"))
    assert fct["order_line_id"].is_unique
    assert sorted(fct["order_line_id"].astype(int)) == sorted(orders["Row ID"])
    by_line = fct.set_index(fct["order_line_id"].astype(int))["profit"]
    assert (by_line.loc[orders["Row ID"]].to_numpy() == orders["profit"].to_numpy()).all()


def test_profit_by_year_matches_pandas(build: dict) -> None:
    expected = profit_by(raw_orders(build["delivery"] / "Order.json"), ["order_year"])
    assert gold_profit_by(table(build, "gold.profit_by_year"), ["order_year"]) == expected


def test_profit_by_category_and_sub_category_match_pandas(build: dict) -> None:
    orders = raw_orders(build["delivery"] / "Order.json")
    orders = orders.join(expected_categories(build["delivery"] / "Product.csv", orders))
    assert gold_profit_by(table(build, "gold.profit_by_category"), ["category"]) == profit_by(orders, ["category"])
    assert gold_profit_by(table(build, "gold.profit_by_sub_category"), ["category", "sub_category"]) == profit_by(
        orders, ["category", "sub_category"]
    )


def test_unknown_products_are_kept_and_flagged(build: dict) -> None:
    orders = raw_orders(build["delivery"] / "Order.json")
    expected = expected_categories(build["delivery"] / "Product.csv", orders)
    fct = table(build, "gold.fct_order_lines")
    unknown = ~expected["has_product_master"]
    assert unknown.sum() > 0
    assert (~fct["has_product_master"]).sum() == unknown.sum()
    inferred = unknown & (expected["category"] != "Unknown")
    assert fct["is_category_inferred"].sum() == inferred.sum()


def test_profit_by_customer_matches_pandas_with_cleaned_names(build: dict) -> None:
    orders = raw_orders(build["delivery"] / "Order.json")
    customers = pd.read_csv(build["delivery"] / "Customer.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    names = dict(zip(customers["Customer ID"], customers["Customer Name"].map(clean_name), strict=True))
    expected = {(customer_id,): profit for (customer_id,), profit in profit_by(orders, ["Customer ID"]).items()}
    gold = table(build, "gold.profit_by_customer")
    assert gold_profit_by(gold, ["customer_id"]) == expected
    assert {row.customer_id: row.customer_name for row in gold.itertuples()} == {customer_id: names[customer_id] for (customer_id,) in expected}


def test_every_aggregate_totals_the_order_lines(build: dict) -> None:
    total = sum(table(build, "gold.fct_order_lines")["profit"], Decimal(0))
    assert total == sum(raw_orders(build["delivery"] / "Order.json")["profit"], Decimal(0))
    for aggregate in ("profit_by_year", "profit_by_category", "profit_by_sub_category", "profit_by_customer"):
        assert sum(table(build, f"gold.{aggregate}")["profit"], Decimal(0)) == total, aggregate


def test_bronze_registration_refuses_hostile_table_names_and_locations(build: dict, pipeline, capsys) -> None:
    hostile = (
        ({"sales.orders; drop table gold.fct_order_lines": ["file:///tmp/x"]}, "is not a table of source 'sales'"),
        ({"sales.orders": ["file:///tmp/x/data", "file:///tmp/x' ; drop table gold.fct_order_lines; --"]}, "refusing location"),
        ({"sales.orders": "file:///tmp/x"}, "must map to a list of data folder URLs"),
    )
    for locations, message in hostile:
        result = pipeline.invoke("run-operation", "register_bronze_tables", "--args", json.dumps({"locations": locations}))
        assert not result.success
        assert message in str(result.exception) + capsys.readouterr().out
    assert len(table(build, "gold.fct_order_lines")) == len(raw_orders(build["delivery"] / "Order.json"))
    assert table(build, "bronze.orders")["_source_file"].unique().tolist() == ["Order.json"]


def test_every_built_column_and_node_is_documented(build: dict) -> None:
    manifest = json.loads((build["target"] / "manifest.json").read_text())
    catalog = json.loads((build["target"] / "catalog.json").read_text())
    documented = {**manifest["nodes"], **manifest["sources"]}
    undocumented = []
    for unique_id, entry in {**catalog["nodes"], **catalog["sources"]}.items():
        if unique_id.startswith("test."):
            continue  # tables of stored test failures: described by their tests
        node = documented[unique_id]
        if not node.get("description", "").strip():
            undocumented.append(unique_id)
        described = {name.lower() for name, column in node["columns"].items() if column.get("description", "").strip()}
        undocumented += [f"{unique_id}.{column}" for column in entry["columns"] if column.lower() not in described]
    assert undocumented == []
    assert {unique_id.split(".")[0] for unique_id in catalog["nodes"]} >= {"model", "seed"}
    # bronze holds the three landed sales tables and the load log, nothing else (no quarantine tables)
    assert sorted(catalog["sources"]) == [
        "source.ecommerce_sales.landing.loads",
        "source.ecommerce_sales.sales.customers",
        "source.ecommerce_sales.sales.orders",
        "source.ecommerce_sales.sales.products",
    ]

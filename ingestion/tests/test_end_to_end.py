"""The whole job on generated data: CLI ingestion, ``dbt build``, docs, freshness; then the gold
figures against an independent pandas computation over the same raw files.

The shared ``build`` fixture (conftest.py) loads two deliveries one after the other, then dbt
builds once: every layer must show the second delivery only.
"""

from __future__ import annotations

import json
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

from ingestion.settings import PROJECT_DIR

CENT = Decimal("0.01")


def table(build: dict, name: str) -> pd.DataFrame:
    return build["spark"].table(name).toPandas()


# --- the independent computation: pandas and the standard library over the raw files ---------


def raw_orders(delivery: Path) -> pd.DataFrame:
    with open(delivery / "Order.json", encoding="utf-8") as handle:
        orders = pd.DataFrame(json.load(handle, parse_float=Decimal))
    orders["profit"] = orders["Profit"].map(lambda value: Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))
    orders["order_year"] = pd.to_datetime(orders["Order Date"], format="%d/%m/%Y").dt.year
    return orders


def expected_categories(delivery: Path, orders: pd.DataFrame) -> pd.DataFrame:
    products = pd.read_csv(delivery / "Product.csv", dtype=str, keep_default_na=False)
    master = products.groupby("Product ID")[["Category", "Sub-Category"]].agg(set)
    assert (master.map(len) == 1).all().all(), "the sample gives every Product ID one category"
    master = master.map(lambda values: next(iter(values)))
    categories = pd.read_csv(PROJECT_DIR / "seeds/product_categories.csv", dtype=str)
    sub_categories = pd.read_csv(PROJECT_DIR / "seeds/product_sub_categories.csv", dtype=str)
    category_by_code = dict(zip(categories.category_code, categories.category))
    sub_category_by_codes = {
        (row.category_code, row.sub_category_code): row.sub_category for row in sub_categories.itertuples()
    }

    def classify(product_id: str) -> tuple[str, str, bool]:
        if product_id in master.index:
            return master.at[product_id, "Category"], master.at[product_id, "Sub-Category"], True
        category_code, sub_category_code = product_id.split("-")[:2]
        return (
            category_by_code.get(category_code, "Unknown"),
            sub_category_by_codes.get((category_code, sub_category_code), "Unknown"),
            False,
        )

    classified = orders["Product ID"].map(classify)
    return pd.DataFrame(classified.tolist(), columns=["category", "sub_category", "has_product_master"], index=orders.index)


def clean_name(raw: object) -> str | None:
    """The documented name rule, written again in Python."""
    if not isinstance(raw, str):
        return None
    text = re.sub(r"\s*\d+(?=[^\W\d_])", "", raw)
    kept = "".join(ch for ch in text if ch.isalpha() or unicodedata.category(ch).startswith("M") or ch.isspace() or ch in "'’.-")
    return " ".join(kept.split()) or None


def profit_by(frame: pd.DataFrame, keys: list[str]) -> dict[tuple, Decimal]:
    return {
        (key if isinstance(key, tuple) else (key,)): sum(group, Decimal(0))
        for key, group in frame.groupby(keys, dropna=False)["profit"]
    }


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
    out = build["second_load"].stdout
    for table_name, file_name in (("orders", "Order.json"), ("products", "Product.csv"), ("customers", "Customer.csv")):
        assert re.search(rf"^\s+{table_name}\s+{re.escape(file_name)}\s", out, flags=re.MULTILINE), out


def test_earlier_delivery_stays_archived_but_bronze_shows_only_the_latest(build: dict) -> None:
    for table_name in ("orders", "products", "customers"):
        loads = sorted((build["lake"] / "landing/sales" / table_name).iterdir())
        assert len(loads) == 2 and not any(load.name.startswith("_tmp") for load in loads)
    bronze_files = table(build, "bronze.orders")["_source_file"].unique().tolist()
    assert bronze_files == ["Order.json"]
    assert len(table(build, "bronze.orders")) == len(raw_orders(build["delivery"]))


def test_order_lines_match_the_raw_file_one_to_one(build: dict) -> None:
    orders = raw_orders(build["delivery"])
    fct = table(build, "gold.fct_order_lines")
    assert len(fct) == len(orders) == len(table(build, "bronze.orders"))
    assert sorted(fct["order_line_id"].astype(int)) == sorted(orders["Row ID"])
    by_line = fct.set_index(fct["order_line_id"].astype(int))["profit"]
    assert (by_line.loc[orders["Row ID"]].to_numpy() == orders["profit"].to_numpy()).all()


def test_profit_by_year_matches_pandas(build: dict) -> None:
    expected = profit_by(raw_orders(build["delivery"]), ["order_year"])
    assert gold_profit_by(table(build, "gold.profit_by_year"), ["order_year"]) == expected


def test_profit_by_category_and_sub_category_match_pandas(build: dict) -> None:
    orders = raw_orders(build["delivery"])
    orders = orders.join(expected_categories(build["delivery"], orders))
    assert gold_profit_by(table(build, "gold.profit_by_category"), ["category"]) == profit_by(orders, ["category"])
    assert gold_profit_by(table(build, "gold.profit_by_sub_category"), ["category", "sub_category"]) == profit_by(
        orders, ["category", "sub_category"]
    )


def test_unknown_products_are_kept_and_flagged(build: dict) -> None:
    orders = raw_orders(build["delivery"])
    expected = expected_categories(build["delivery"], orders)
    fct = table(build, "gold.fct_order_lines")
    unknown = ~expected["has_product_master"]
    assert unknown.sum() > 0
    assert (~fct["has_product_master"]).sum() == unknown.sum()
    inferred = unknown & (expected["category"] != "Unknown")
    assert fct["is_category_inferred"].sum() == inferred.sum()


def test_profit_by_customer_matches_pandas_with_cleaned_names(build: dict) -> None:
    orders = raw_orders(build["delivery"])
    customers = pd.read_csv(build["delivery"] / "Customer.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    names = dict(zip(customers["Customer ID"], customers["Customer Name"].map(clean_name)))
    expected = {(customer_id,): profit for (customer_id,), profit in profit_by(orders, ["Customer ID"]).items()}
    gold = table(build, "gold.profit_by_customer")
    assert gold_profit_by(gold, ["customer_id"]) == expected
    assert {row.customer_id: row.customer_name for row in gold.itertuples()} == {
        customer_id: names[customer_id] for (customer_id,) in expected
    }


def test_every_aggregate_totals_the_order_lines(build: dict) -> None:
    total = sum(table(build, "gold.fct_order_lines")["profit"], Decimal(0))
    assert total == sum(raw_orders(build["delivery"])["profit"], Decimal(0))
    for aggregate in ("profit_by_year", "profit_by_category", "profit_by_sub_category", "profit_by_customer"):
        assert sum(table(build, f"gold.{aggregate}")["profit"], Decimal(0)) == total, aggregate

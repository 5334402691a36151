"""The yardstick (benchmarks/yardstick.py, the hand-written PySpark job ``make bench`` times the
project against) computes the same gold figures as the independent pandas reference, on a
generated delivery of its own. ``make bench`` checks it against the project's gold at every scale;
this checks it against the documented rules, so that a wrong yardstick cannot make a fast project."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import pandas as pd
import pytest

from pipeline_tests.reference import PROJECT_DIR, clean_name, expected_categories, normalised_phone, profit_by, raw_orders


@pytest.fixture(scope="module")
def yardstick(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("yardstick")
    delivery, out = work / "delivery", work / "gold"
    generate = [sys.executable, "-m", "samples", "generate", "--system", "sales", "--out", str(delivery), "--scale", "0.1", "--seed", "7"]
    subprocess.run([*generate, "--customer-format", "csv"], cwd=PROJECT_DIR, check=True, capture_output=True)
    job = [sys.executable, str(PROJECT_DIR / "benchmarks/yardstick.py"), "--source", str(delivery), "--out", str(out)]
    ran = subprocess.run(job, cwd=PROJECT_DIR, env={**os.environ, "SALES_LAKE_DIR": str(work)}, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr[-3000:]
    return {"delivery": delivery, "gold": lambda name: pd.read_parquet(out / name)}


def figures(gold: pd.DataFrame, keys: list[str]) -> dict[tuple, Decimal]:
    return {tuple(row[key] for key in keys): row["profit"] for _, row in gold.iterrows()}


def test_the_yardstick_gives_the_reference_profit_figures(yardstick: dict) -> None:
    delivery, gold = yardstick["delivery"], yardstick["gold"]
    orders = raw_orders(delivery / "Orders.json")
    orders = orders.join(expected_categories(delivery / "Products.csv", orders))
    assert figures(gold("profit_by_year"), ["order_year"]) == profit_by(orders, ["order_year"])
    assert figures(gold("profit_by_category"), ["category"]) == profit_by(orders, ["category"])
    assert figures(gold("profit_by_sub_category"), ["category", "sub_category"]) == profit_by(orders, ["category", "sub_category"])
    assert figures(gold("profit_by_customer"), ["customer_id"]) == profit_by(orders, ["Customer ID"])
    assert len(gold("fct_order_lines")) == len(orders)


def test_the_yardstick_cleans_names_and_phones_by_the_documented_rules(yardstick: dict) -> None:
    customers = pd.read_csv(yardstick["delivery"] / "Customer.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    expected = {row["Customer ID"]: (clean_name(row["Customer Name"]), *normalised_phone(row["phone"] or None)) for _, row in customers.iterrows()}
    dim = yardstick["gold"]("dim_customers")
    got = {row.customer_id: (row.customer_name, row.phone_number, row.phone_extension) for row in dim.itertuples()}
    assert got == expected
    assert any(phone is None for _, phone, _ in expected.values()) and any(extension for *_, extension in expected.values())

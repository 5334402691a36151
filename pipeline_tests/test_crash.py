"""Crash safety. SIGKILL the landing while it writes a large file, and ``dbt build`` in the middle of
a run; re-run both: the second runs complete and the gold figures equal those of an uninterrupted
run, i.e. the independent pandas computation over the same files (which the end-to-end test holds
an uninterrupted run to).

Everything here runs in subprocesses on a lake of its own, apart from the in-process session of
the shared local build.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from pipeline_tests.dbt_runner import Pipeline
from pipeline_tests.reference import expected_categories, profit_by, raw_orders


def kill_when(process: subprocess.Popen[str], condition: Callable[[], bool], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the process ended before the moment to kill it:\n{process.stdout.read()}"
        assert time.monotonic() < deadline, "the moment to kill never came"
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@pytest.fixture(scope="module")
def crash(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("crash")
    pipeline = Pipeline(lake=work / "lake", work=work)
    delivery = work / "delivery"
    pipeline.samples("generate", "--system", "sales", "--out", delivery, "--scale", "5", "--seed", "3")
    return {"pipeline": pipeline, "delivery": delivery, "landing": work / "lake/landing/sales"}


def committed_loads(landing: Path, table: str) -> list[Path]:
    return [path for path in (landing / table).iterdir() if (path / "_manifest.json").is_file()]


@pytest.fixture(scope="module")
def interrupted_then_rerun_load(crash: dict) -> dict:
    landing: Path = crash["landing"]
    pipeline: Pipeline = crash["pipeline"]
    killed = pipeline.start_ingestion("load", "--source", crash["delivery"])
    kill_when(killed, lambda: any(landing.glob("orders/*/data/part-*.jsonl")))
    after_kill = {table.name: [path.name for path in table.iterdir()] for table in landing.iterdir()}
    committed = {table: committed_loads(landing, table) for table in after_kill}
    rerun = pipeline.ingestion("load", "--source", crash["delivery"])
    return {"after_kill": after_kill, "committed_after_kill": committed, "rerun": rerun}


@pytest.fixture(scope="module")
def interrupted_then_rerun_build(interrupted_then_rerun_load: dict, crash: dict) -> dict:
    """``dbt build`` killed inside the fact table, built again whole, then the history model built
    once more (its incremental run must add nothing); the figures read with one ``dbt show``."""
    pipeline: Pipeline = crash["pipeline"]
    selector = pipeline.selector()
    killed = pipeline.start_dbt("build", "--select", selector)
    seen: list[str] = []

    def inside_the_fact_table_build() -> bool:
        seen.append(killed.stdout.readline())
        return "START sql table model gold.fct_order_lines" in seen[-1]

    kill_when(killed, inside_the_fact_table_build)
    pipeline.dbt("build", "--select", selector)
    pipeline.dbt("build", "--select", "sales_load_history")
    shown = pipeline.show_many(
        {
            "profit_by_year": "select * from {{ ref('profit_by_year') }}",
            "profit_by_category": "select * from {{ ref('profit_by_category') }}",
            "history": "select source_table, load_id, rows_read, rows_loaded from {{ ref('sales_load_history') }}",
        }
    )
    return {"killed": killed, "seen": seen, "shown": shown}


def test_a_killed_load_commits_nothing(interrupted_then_rerun_load: dict) -> None:
    after_kill = interrupted_then_rerun_load["after_kill"]
    assert after_kill, "the kill came before anything was written"
    assert interrupted_then_rerun_load["committed_after_kill"] == {table: [] for table in after_kill}


def test_the_rerun_clears_it_and_lands_each_table_once(interrupted_then_rerun_load: dict, crash: dict) -> None:
    rerun = interrupted_then_rerun_load["rerun"]
    assert "interrupted" in rerun.stdout + rerun.stderr  # it says it removed what the killed run left
    for table in ("orders", "products", "customers"):
        loads = [path.name for path in (crash["landing"] / table).iterdir()]
        assert len(loads) == 1 and len(committed_loads(crash["landing"], table)) == 1, loads


def test_a_killed_build_reruns_to_the_uninterrupted_figures(interrupted_then_rerun_build: dict, crash: dict) -> None:
    assert interrupted_then_rerun_build["killed"].returncode == -signal.SIGKILL
    assert not any("Completed successfully" in line for line in interrupted_then_rerun_build["seen"])
    orders = raw_orders(crash["delivery"] / "Orders.json")
    orders = orders.join(expected_categories(crash["delivery"] / "Products.csv", orders))
    shown = interrupted_then_rerun_build["shown"]
    for model, keys in (("profit_by_year", ["order_year"]), ("profit_by_category", ["category"])):
        assert {tuple(row[key] for key in keys): Decimal(row["profit"]) for row in shown[model]} == profit_by(orders, keys)


def test_load_history_records_each_load_once_across_builds(interrupted_then_rerun_build: dict, crash: dict) -> None:
    rows = interrupted_then_rerun_build["shown"]["history"]
    delivery = crash["delivery"]
    expected = {
        "orders": len(raw_orders(delivery / "Orders.json")),
        "products": len(pd.read_csv(delivery / "Products.csv", dtype=str)),
        "customers": len(pd.read_excel(delivery / "Customer.xlsx", dtype=str)),
    }
    assert sorted((row["source_table"], row["rows_read"], row["rows_loaded"]) for row in rows) == sorted(
        (table, count, count) for table, count in expected.items()
    )

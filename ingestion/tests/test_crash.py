"""Crash safety. SIGKILL the ingestion while it lands a large file, and ``dbt build`` in the
middle of a run; re-run both: the second runs complete and the gold figures equal those of an
uninterrupted run, i.e. the independent pandas computation over the same files (which the
end-to-end test holds an uninterrupted run to).

Everything here runs in subprocesses on a lake of its own, apart from the in-process session
of the shared local build.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from ingestion.settings import PROJECT_DIR
from ingestion.tests.reference import expected_categories, profit_by, raw_orders

DBT = str(Path(sys.executable).parent / "dbt")


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    # a session of its own, so the kill reaches the JVM that Spark starts too
    return subprocess.Popen(
        command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )


def kill_when(process: subprocess.Popen[str], condition: Callable[[], bool], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the process ended before the moment to kill it:\n{process.stdout.read()}"
        assert time.monotonic() < deadline, "the moment to kill never came"
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def crash(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("crash")
    env = {**os.environ, "SALES_LAKE_DIR": str(work / "lake")}
    delivery = work / "delivery"
    run([sys.executable, "-m", "ingestion", "generate", "--out", str(delivery), "--scale", "5", "--seed", "3"], env)
    dbt_args = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR), "--target-path", str(work / "target")]
    return {"env": env, "delivery": delivery, "landing": work / "lake/landing/sales", "dbt_args": dbt_args}


@pytest.fixture(scope="module")
def interrupted_then_rerun_load(crash: dict) -> dict:
    landing: Path = crash["landing"]
    load = [sys.executable, "-m", "ingestion", "load", "--source", str(crash["delivery"])]
    killed = start(load, crash["env"])
    kill_when(killed, lambda: any(landing.glob("*/_tmp_*/data/part-00000.jsonl")))
    after_kill = sorted(path.relative_to(landing).as_posix() for path in landing.glob("*/*"))
    rerun = run(load, crash["env"])
    return {"after_kill": after_kill, "rerun_log": rerun.stderr}


def test_a_killed_load_leaves_only_an_unfinished_temporary_folder(interrupted_then_rerun_load: dict) -> None:
    after_kill = interrupted_then_rerun_load["after_kill"]
    assert after_kill and all(path.split("/")[1].startswith("_tmp_") for path in after_kill), after_kill


def test_the_rerun_clears_it_and_lands_each_table_once(interrupted_then_rerun_load: dict, crash: dict) -> None:
    assert "left by an interrupted load" in interrupted_then_rerun_load["rerun_log"]
    for table in ("orders", "products", "customers"):
        loads = [path.name for path in (crash["landing"] / table).iterdir()]
        assert len(loads) == 1 and not loads[0].startswith("_tmp_"), loads


def test_a_killed_build_reruns_to_the_uninterrupted_figures(interrupted_then_rerun_load: dict, crash: dict) -> None:
    killed = start([DBT, "build", *crash["dbt_args"]], crash["env"])
    seen: list[str] = []

    def inside_the_fact_table_build() -> bool:
        seen.append(killed.stdout.readline())
        return "START sql table model gold.fct_order_lines" in seen[-1]

    kill_when(killed, inside_the_fact_table_build)
    assert killed.returncode == -signal.SIGKILL
    assert not any("Completed successfully" in line for line in seen)

    run([DBT, "build", *crash["dbt_args"]], crash["env"])
    orders = raw_orders(crash["delivery"] / "Orders.json")
    orders = orders.join(expected_categories(crash["delivery"] / "Products.csv", orders))
    for model, keys in (("profit_by_year", ["order_year"]), ("profit_by_category", ["category"])):
        shown = run([DBT, "--quiet", "show", "--select", model, "--limit", "-1", "--output", "json", *crash["dbt_args"]], crash["env"])
        rows = json.JSONDecoder().raw_decode(shown.stdout, shown.stdout.index("{"))[0]["show"]
        assert {tuple(row[key] for key in keys): Decimal(str(row["profit"])) for row in rows} == profit_by(orders, keys)


def test_load_history_records_each_load_once_across_builds(interrupted_then_rerun_load: dict, crash: dict) -> None:
    # the builds above ran load_history at least once; this incremental run finds nothing new to add
    run([DBT, "build", "--select", "load_history", *crash["dbt_args"]], crash["env"])
    query = "select source_table, rows_read, rows_loaded from {{ ref('load_history') }}"
    shown = run([DBT, "--quiet", "show", "--inline", query, "--limit", "-1", "--output", "json", *crash["dbt_args"]], crash["env"])
    rows = json.JSONDecoder().raw_decode(shown.stdout, shown.stdout.index("{"))[0]["show"]
    delivery = crash["delivery"]
    expected = {
        "orders": len(raw_orders(delivery / "Orders.json")),
        "products": len(pd.read_csv(delivery / "Products.csv", dtype=str)),
        "customers": len(pd.read_excel(delivery / "Customer.xlsx", dtype=str)),
    }
    assert sorted((row["source_table"], row["rows_read"], row["rows_loaded"]) for row in rows) == sorted(
        (table, count, count) for table, count in expected.items()
    )

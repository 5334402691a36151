"""Shared fixtures. Spark-backed tests share one lake and one build: a Spark session started in
this process keeps its metastore for the rest of the run, and each start costs ~15 s."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingestion.settings import PROJECT_DIR
from ingestion.tests.deliveries import write_delivery


@pytest.fixture
def delivery(tmp_path: Path) -> Path:
    """A valid hand-written delivery (one record per table) in a temporary folder."""
    return write_delivery(tmp_path / "delivery")


@pytest.fixture(scope="session")
def lake_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throw-away SALES_LAKE_DIR, set before any Spark session of this process starts."""
    lake = tmp_path_factory.mktemp("lake")
    os.environ["SALES_LAKE_DIR"] = str(lake)
    os.environ.pop("SALES_LANDING_URL", None)
    return lake


@pytest.fixture(scope="session")
def cli():
    """``cli("load", "--source", folder)`` runs ``python -m ingestion load --source folder``."""
    return run_cli


def run_cli(*args: object, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ingestion ...`` the way a user does, in its own process."""
    result = subprocess.run(
        [sys.executable, "-m", "ingestion", *map(str, args)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"ingestion {args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def build(lake_dir: Path, cli, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The whole local job, once per test run: two generated deliveries loaded through the CLI
    (the second under the names Order.json / Product.csv / Customer.csv), then ``dbt build``,
    ``docs generate`` and ``source freshness`` in this process. ``spark`` is the local session
    holding the result; ``delivery`` is the folder of the second (current) delivery."""
    work = tmp_path_factory.mktemp("e2e")
    first, second = work / "first", work / "second"
    cli("generate", "--out", first, "--scale", "0.1", "--seed", "1")
    cli("generate", "--out", second, "--scale", "0.2", "--seed", "2", "--customer-format", "csv")
    (second / "Orders.json").rename(second / "Order.json")
    (second / "Products.csv").rename(second / "Product.csv")
    first_load = cli("load", "--source", first)
    second_load = cli("load", "--source", second)

    from dbt.cli.main import dbtRunner  # the Spark session it starts stays up for the queries below

    dbt = dbtRunner()
    common = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR), "--target-path", str(work / "target")]
    results = {command: dbt.invoke([*command.split(), *common]) for command in ("build", "docs generate", "source freshness")}

    from pyspark.sql import SparkSession

    return {
        "delivery": second,
        "lake": lake_dir,
        "target": work / "target",
        "first_load": first_load,
        "second_load": second_load,
        "results": results,
        "spark": SparkSession.builder.getOrCreate(),
    }

"""Shared fixtures of the whole-pipeline tests. The local build is made once per test run and shared:
a Spark session started in this process keeps its metastore for the rest of the run, and each
start costs ~15 s. Tests that need a lake of their own run dbt in subprocesses (``Pipeline.dbt``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline_tests.dbt_runner import Pipeline


@pytest.fixture(scope="session")
def lake_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throw-away SALES_LAKE_DIR, set before any Spark session of this process starts."""
    lake = tmp_path_factory.mktemp("lake")
    os.environ["SALES_LAKE_DIR"] = str(lake)
    os.environ.pop("SALES_LANDING_URL", None)
    return lake


@pytest.fixture(scope="session")
def pipeline(lake_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """The job on the shared lake, with dbt's target and logs in a temporary folder."""
    return Pipeline(lake=lake_dir, work=tmp_path_factory.mktemp("e2e"))


@pytest.fixture(scope="session")
def cli(pipeline: Pipeline):
    """``cli("load", "--source", folder)`` runs ``python -m ingestion load --source folder`` on the shared lake."""
    return pipeline.ingestion


@pytest.fixture(scope="session")
def build(pipeline: Pipeline, cli) -> dict:
    """The whole local job, once per test run: two generated deliveries landed through the CLI
    (the second under the names Order.json / Product.csv / Customer.csv), then, in this process,
    ``dbt build --select <what python -m ingestion selector prints>``, ``docs generate`` and
    ``source freshness``. ``spark`` is the local session holding the result; ``delivery`` is the
    folder of the second (current) delivery."""
    work = pipeline.work
    first, second = work / "first", work / "second"
    pipeline.samples("generate", "--system", "sales", "--out", first, "--scale", "0.1", "--seed", "1")
    pipeline.samples("generate", "--system", "sales", "--out", second, "--scale", "0.2", "--seed", "2", "--customer-format", "csv")
    (second / "Orders.json").rename(second / "Order.json")
    (second / "Products.csv").rename(second / "Product.csv")
    first_load = cli("load", "--source", first)
    second_load = cli("load", "--source", second)
    selector = pipeline.selector()

    # the Spark session dbt starts here stays up for the queries of the tests
    results = {
        "build": pipeline.invoke("build", "--select", selector),
        "docs generate": pipeline.invoke("docs", "generate"),
        "source freshness": pipeline.invoke("source", "freshness", "--select", selector),
    }

    from pyspark.sql import SparkSession

    return {
        "delivery": second,
        "first_delivery": first,
        "lake": pipeline.lake,
        "target": pipeline.target_path,
        "first_load": first_load,
        "second_load": second_load,
        "selector": selector,
        "results": results,
        "spark": SparkSession.builder.getOrCreate(),
    }

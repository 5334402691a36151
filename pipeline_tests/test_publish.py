"""Gold is published whole or not at all (macros/publish.sql), on a lake of its own, in subprocesses.

A reader's view of every published relation (each silver and gold model and seed, row for row) is
taken after a first published build (delivery A), then compared after each fault: the lake's disk
(a small tmpfs; the tests run as root) filling up as the fact table is written, a ``dbt build``
killed (SIGKILL) inside the fact table, a build whose data test fails, and a publish killed
between its views, which the next build finishes. A build of delivery B publishes B's figures
(the independent pandas computation), and a rollback brings back A's view exactly.
"""

from __future__ import annotations

import errno
import json
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from pipeline_tests.dbt_runner import DBT, MAKE_BUILD, Pipeline, kill, read_until
from pipeline_tests.reference import expected_categories, profit_by, raw_orders

UNPRICED_PRODUCT = "OFF-PA-99999999"  # in no order: the figures do not depend on it
FACT_TABLE_STARTS = r"START sql incremental model gold__v\w+\.fct_order_lines"
LOAD_HISTORY = "select source_table, delivery, rows_read, rows_loaded from audit.sales_load_history"


@contextmanager
def small_disk(path: Path, size: str = "1g") -> Iterator[Path]:
    """A tmpfs mounted at ``path`` (the tests run as root), unmounted afterwards."""
    path.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=True)


def fill(disk: Path) -> Path:
    """Take every free byte of ``disk`` with one file, returned for giving the space back."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as out:
        try:
            while out.write(bytes(1 << 20)):
                pass
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
    return filler


def published_relations(pipeline: Pipeline) -> list[str]:
    """Every model and seed of the published schemas, as readers name them (``gold.fct_order_lines``), from dbt's manifest."""
    manifest = json.loads((pipeline.target_path / "manifest.json").read_text())
    names = []
    for node in manifest["nodes"].values():
        match = re.fullmatch(r"(silver|gold)__v\w+", node["schema"])
        if node["resource_type"] in ("model", "seed") and match:
            names.append(f"{match.group(1)}.{node['alias']}")
    return sorted(names)


def readers_view(pipeline: Pipeline, relations: list[str], also: dict[str, str] | None = None) -> dict[str, list]:
    """What a reader gets from each published relation: its rows as JSON, sorted; and the rows of
    the queries ``also`` names, in the same ``dbt show``."""
    queries = {name.replace(".", "__"): f"select * from {name}" for name in relations}
    shown = pipeline.show_many({**queries, **(also or {})})
    view: dict[str, list] = {
        name: sorted(json.dumps(row, sort_keys=True, default=str) for row in shown[name.replace(".", "__")]) for name in relations
    }
    return view | {name: shown[name] for name in also or {}}


def gold_figures(pipeline: Pipeline) -> dict[str, dict[tuple, Decimal]]:
    shown = pipeline.show_many({"by_year": "select * from gold.profit_by_year", "by_category": "select * from gold.profit_by_category"})
    return {
        "by_year": {(row["order_year"],): Decimal(row["profit"]) for row in shown["by_year"]},
        "by_category": {(row["category"],): Decimal(row["profit"]) for row in shown["by_category"]},
    }


def expected_figures(delivery: Path) -> dict[str, dict[tuple, Decimal]]:
    orders = raw_orders(delivery / "Orders.json")
    orders = orders.join(expected_categories(delivery / "Products.csv", orders))
    return {"by_year": profit_by(orders, ["order_year"]), "by_category": profit_by(orders, ["category"])}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Delivery A built and published on a lake of its own disk; its readers' view kept. Delivery B
    generated, not landed."""
    work = tmp_path_factory.mktemp("publish")
    with small_disk(work / "lake") as disk:
        pipeline = Pipeline(lake=disk, work=work)
        first, second = work / "a", work / "b"
        pipeline.samples("generate", "--system", "sales", "--out", first, "--scale", "0.1", "--seed", "11")
        pipeline.samples("generate", "--system", "sales", "--out", second, "--scale", "0.2", "--seed", "12")
        with open(second / "Products.csv", "a", encoding="utf-8") as products:  # one record B's build quarantines
            products.write(f"{UNPRICED_PRODUCT},Office Supplies,Paper,Memo pad without a price,Texas,n/a\n")
        pipeline.ingestion("load", "--source", first)
        built = pipeline.dbt(*MAKE_BUILD, "--select", pipeline.selector())
        relations = published_relations(pipeline)
        yield {"pipeline": pipeline, "a": first, "b": second, "built_a": built, "relations": relations, "view_a": readers_view(pipeline, relations)}


@pytest.fixture(scope="module")
def faults(lake: dict) -> dict:
    """Delivery B landed; a build during which the disk fills up as the fact table is written; a
    build killed inside the fact table; a build whose data test fails. After each, what readers see."""
    pipeline: Pipeline = lake["pipeline"]
    pipeline.ingestion("load", "--source", lake["b"])
    # the fact table and what is built on it (the rest are views onto the published version):
    # its write is the moment of each fault either way, for a fraction of a whole build's time
    fact_onwards = "fct_order_lines+"

    starved = pipeline.start_dbt(*MAKE_BUILD, "--select", fact_onwards)
    read_until(starved, FACT_TABLE_STARTS)
    filler = fill(pipeline.lake)
    starved_output = starved.communicate(timeout=900)[0]
    filler.unlink()
    after_full_disk = readers_view(pipeline, lake["relations"])

    killed = pipeline.start_dbt(*MAKE_BUILD, "--select", fact_onwards)
    read_until(killed, FACT_TABLE_STARTS)
    kill(killed)
    after_kill = readers_view(pipeline, lake["relations"])

    # no quarantined record allowed: B's unpriced product fails the accounting test
    failed = pipeline.dbt(*MAKE_BUILD, "--select", "+sales_load_accounting", "--vars", "{max_quarantine_share: 0}", check=False)
    after_failure = readers_view(pipeline, lake["relations"])
    return {
        "starved": starved,
        "starved_output": starved_output,
        "after_full_disk": after_full_disk,
        "killed": killed,
        "after_kill": after_kill,
        "failed": failed,
        "after_failure": after_failure,
    }


@pytest.fixture(scope="module")
def published_b(lake: dict, faults: dict) -> dict:
    """Delivery B built and published, then rolled back."""
    pipeline: Pipeline = lake["pipeline"]
    built = pipeline.dbt(*MAKE_BUILD, "--select", pipeline.selector())
    figures = gold_figures(pipeline)
    rolled_back = pipeline.dbt("run-operation", "rollback_publish")
    return {"built": built, "figures": figures, "rolled_back": rolled_back, "after_rollback": readers_view(pipeline, lake["relations"])}


@pytest.fixture(scope="module")
def interrupted_publish(lake: dict, published_b: dict) -> dict:
    """A build whose publish is killed after its first views (each view pauses 2 s), then the next build."""
    pipeline: Pipeline = lake["pipeline"]
    killed = pipeline.start_dbt(*MAKE_BUILD, "--select", "profit_by_year", "--vars", "{publish_pause_seconds: 2}")
    seen = read_until(killed, "Publishing version")
    time.sleep(3)
    kill(killed)
    next_build = pipeline.dbt(*MAKE_BUILD, "--select", "profit_by_year")
    after = readers_view(pipeline, lake["relations"], also={"load_history": LOAD_HISTORY})
    return {"seen": seen, "next_build": next_build, "load_history": after.pop("load_history"), "after": after}


def test_a_build_is_published_and_says_so(lake: dict) -> None:
    output = lake["built_a"].stdout
    assert re.search(r"Published version v\w+: \d+ relations of silver, gold now show it", output), output[-2000:]
    assert {name.split(".")[0] for name in lake["relations"]} == {"silver", "gold"} and len(lake["relations"]) >= 15
    assert all(lake["view_a"][name] for name in lake["relations"] if name.startswith("gold.")), "a published gold relation is empty"


def test_a_disk_that_fills_during_a_gold_write_changes_nothing_readers_see(lake: dict, faults: dict) -> None:
    output = faults["starved_output"]
    assert faults["starved"].returncode != 0
    assert "No space left on device" in output, output[-3000:]
    assert "Not published: " in output
    assert faults["after_full_disk"] == lake["view_a"]


def test_a_killed_build_changes_nothing_readers_see(lake: dict, faults: dict) -> None:
    assert faults["killed"].returncode == -signal.SIGKILL
    assert faults["after_kill"] == lake["view_a"]


def test_a_failed_data_test_publishes_nothing_and_says_what_readers_still_see(lake: dict, faults: dict) -> None:
    failed = faults["failed"]
    assert failed.returncode != 0
    first_version = re.search(r"Published version (v\w+)", lake["built_a"].stdout).group(1)
    message = re.search(r"Not published: .*", failed.stdout).group(0)
    assert f"Readers see version {first_version}" in message and "The candidate is in schemas silver__v" in message, message
    landed_a = sorted(path.name for path in (lake["pipeline"].lake / "landing/sales/orders").iterdir())[0]
    assert f"sales.orders {landed_a}" in message  # the published version names the loads it was built from
    assert faults["after_failure"] == lake["view_a"]


def test_the_next_passing_build_publishes_the_new_delivery(lake: dict, published_b: dict) -> None:
    assert "Published version" in published_b["built"].stdout
    assert published_b["figures"] == expected_figures(lake["b"])
    assert expected_figures(lake["b"]) != expected_figures(lake["a"])


def test_rollback_brings_back_the_previous_figures_exactly(lake: dict, published_b: dict) -> None:
    assert "Rolled back" in published_b["rolled_back"].stdout
    assert published_b["after_rollback"] == lake["view_a"]


def test_an_interrupted_publish_is_finished_by_the_next_build(lake: dict, interrupted_publish: dict) -> None:
    killed_version = re.search(r"Publishing version (v\w+)", interrupted_publish["seen"][-1]).group(1)
    # said only when the journal's last batch for that version has no 'published' row
    assert f"Finishing the interrupted publish of {killed_version} first." in interrupted_publish["next_build"].stdout
    # both builds rebuilt profit_by_year over the published fact table, delivery A's after the rollback
    assert interrupted_publish["after"] == lake["view_a"]


def test_versions_neither_kept_nor_shown_are_dropped(lake: dict, published_b: dict, interrupted_publish: dict) -> None:
    version = re.compile(r"Published version (v\w+)")
    first = version.search(lake["built_a"].stdout).group(1)
    interrupted = re.search(r"Publishing version (v\w+)", "".join(interrupted_publish["seen"])).group(1)
    last = version.search(interrupted_publish["next_build"].stdout).group(1)
    tables = lake["pipeline"].lake / "tables/local"
    # the two kept (the last two published), and the first, whose tables they still show; B (rolled
    # back), the killed build's and the failed build's candidates are gone, folders included
    assert {path.name.split("__")[1] for path in tables.iterdir() if "__v" in path.name} == {first, interrupted, last}


def test_load_history_records_each_load_once_across_builds(lake: dict, interrupted_publish: dict) -> None:
    rows = interrupted_publish["load_history"]
    expected = []
    for delivery in (lake["a"], lake["b"]):
        counts = {
            "orders": len(raw_orders(delivery / "Orders.json")),
            "products": len(pd.read_csv(delivery / "Products.csv", dtype=str)),
            "customers": len(pd.read_excel(delivery / "Customer.xlsx", dtype=str)),
        }
        quarantined = {"products": 1} if delivery == lake["b"] else {}
        expected += [(table, delivery.name, count, count - quarantined.get(table, 0)) for table, count in counts.items()]
    assert sorted((row["source_table"], row["delivery"], row["rows_read"], row["rows_loaded"]) for row in rows) == sorted(expected)


def test_a_build_without_a_version_is_refused_at_its_start(tmp_path: Path) -> None:
    pipeline = Pipeline(lake=tmp_path / "lake", work=tmp_path)
    refused = subprocess.run(
        [DBT, *pipeline.dbt_args("build", "--select", "profit_by_year")], cwd=pipeline.project_dir, env=pipeline.env, capture_output=True, text=True
    )
    assert refused.returncode != 0
    assert "dbt build writes a candidate version of silver, gold that is published only when the build passes" in refused.stdout
    assert "make build" in refused.stdout

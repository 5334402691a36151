"""Increments: a full delivery, then an increment of new and corrected order lines, give gold equal,
row for row, to one full delivery of the same lines built on a lake of its own.

The increment (``python -m samples increment``) holds 1 % new lines in the delivery's last month,
corrected versions of five of its lines (same Row ID, other quantity and profit) and a late line for
its oldest month. The full delivery of the same lines is made here, independently of the record
rules: the delivered lines by Row ID, each replaced by the increment's version where it has one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline_tests.dbt_runner import Pipeline

GOLD = ("dim_customers", "dim_products", "fct_order_lines", "profit_by_year", "profit_by_category", "profit_by_sub_category", "profit_by_customer")
CORRECTIONS = 5
ACCOUNTING = "select source_table, delivery, rows_read, rows_loaded, rows_quarantined, rows_duplicate, rows_replaced from audit.sales_load_accounting"


def gold(pipeline: Pipeline, also: dict[str, str] | None = None) -> dict[str, list]:
    """Every gold table as readers see it, rows as sorted JSON text; and the rows of the queries ``also`` names."""
    shown = pipeline.show_many({**{name: f"select * from gold.{name}" for name in GOLD}, **(also or {})})
    return {name: sorted(json.dumps(row, sort_keys=True, default=str) for row in rows) if name in GOLD else rows for name, rows in shown.items()}


def write_full_delivery(full: Path, increment: Path, out: Path) -> int:
    """The full delivery holding ``full``'s lines with ``increment``'s applied (by Row ID) in ``out``; returns its line count."""
    lines = {line["Row ID"]: line for line in json.loads((full / "Orders.json").read_text())}
    for line in json.loads((increment / "Orders.json").read_text()):
        lines[line["Row ID"]] = line
    out.mkdir()
    (out / "Orders.json").write_text(json.dumps(list(lines.values()), indent=2))
    for master in ("Products.csv", "Customer.xlsx"):
        shutil.copy(full / master, out / master)
    return len(lines)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("increments")
    full, increment, refreshed_delivery = work / "monday", work / "tuesday", work / "refreshed"
    incremental = Pipeline(lake=work / "lake", work=work / "incremental")
    incremental.samples("generate", "--system", "sales", "--out", full, "--scale", "0.3", "--seed", "7")
    incremental.samples("increment", "--full", full, "--out", increment, "--corrections", CORRECTIONS, "--seed", "7")
    incremental.ingestion("load", "--source", full, "--build")
    before = gold(incremental)
    landed = incremental.ingestion("load", "--source", increment, "--increment", "--build")
    after = gold(incremental, also={"accounting": ACCOUNTING})

    refreshed = Pipeline(lake=work / "refreshed_lake", work=work / "refreshed")
    lines = write_full_delivery(full, increment, refreshed_delivery)
    refreshed.ingestion("load", "--source", refreshed_delivery, "--build")
    return {"before": before, "after": after, "landed": landed.stdout, "refreshed": gold(refreshed), "lines": lines,
            "increment_lines": len(json.loads((increment / "Orders.json").read_text()))}  # fmt: skip


def test_gold_after_an_increment_equals_a_full_refresh_of_the_same_lines(built: dict) -> None:
    after = {name: rows for name, rows in built["after"].items() if name in GOLD}
    assert after == built["refreshed"]
    assert len(after["fct_order_lines"]) == built["lines"]
    # not vacuous: the increment changed every aggregate (new lines, corrected profits, a late line in the oldest year)
    for name in GOLD[2:]:
        assert built["before"][name] != after[name], name


def test_the_increment_is_landed_alone_and_accounted_with_the_lines_it_replaces(built: dict) -> None:
    assert "orders" in built["landed"] and ", increment" in built["landed"]
    accounting = sorted(tuple(row.values()) for row in built["after"]["accounting"] if row["source_table"] == "orders")
    lines_before = built["lines"] - (built["increment_lines"] - CORRECTIONS)
    assert accounting == [
        ("orders", "monday", lines_before, lines_before - CORRECTIONS, 0, 0, CORRECTIONS),
        ("orders", "tuesday", built["increment_lines"], built["increment_lines"], 0, 0, 0),
    ]

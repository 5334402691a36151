"""Increments: a full delivery, then increments of new and corrected order lines, give gold equal,
row for row, to one full delivery of the same lines built on a lake of its own.

The first increment (``python -m samples increment``) holds 1 % new lines in the delivery's last
month, corrected versions of five of its lines (same Row ID, other quantity and profit) and a late
line for its oldest month; here it also gets a line for a month no other line is in. The second
increment moves that line to another month, which leaves its old month empty. Each build after an
increment starts from the published fact table and rewrites only the months it touches. The full
delivery of the same lines is made here, independently of the record rules: the delivered lines
by Row ID, each replaced by an increment's version where it has one. Lineage (``loaded_at``)
differs between the two lakes and is left out of the comparison.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from pipeline_tests.dbt_runner import Pipeline

GOLD = ("dim_customers", "dim_products", "fct_order_lines", "profit_by_year", "profit_by_category", "profit_by_sub_category", "profit_by_customer")
CORRECTIONS = 5
ACCOUNTING = "select source_table, delivery, rows_read, rows_loaded, rows_quarantined, rows_duplicate, rows_replaced from audit.sales_load_accounting"


LONE_LINE_ID = 99_000_001  # the line of a month no other line is in


def gold(pipeline: Pipeline, also: dict[str, str] | None = None) -> dict[str, list]:
    """Every gold table as readers see it, rows as sorted JSON text without lineage; and the rows of the queries ``also`` names."""
    shown = pipeline.show_many({**{name: f"select * from gold.{name}" for name in GOLD}, **(also or {})})
    return {
        name: sorted(json.dumps({k: v for k, v in row.items() if k != "loaded_at"}, sort_keys=True, default=str) for row in rows)
        if name in GOLD
        else rows
        for name, rows in shown.items()
    }


def orders(delivery: Path) -> list[dict]:
    return json.loads((delivery / "Orders.json").read_text())


def write_orders(delivery: Path, lines: list[dict]) -> None:
    delivery.mkdir(exist_ok=True)
    (delivery / "Orders.json").write_text(json.dumps(lines, indent=2))


def write_full_delivery(full: Path, increments: list[Path], out: Path) -> int:
    """The full delivery holding ``full``'s lines with each increment's applied in turn (by Row ID) in ``out``; returns its line count."""
    lines = {line["Row ID"]: line for line in orders(full)}
    for increment in increments:
        for line in orders(increment):
            lines[line["Row ID"]] = line
    write_orders(out, list(lines.values()))
    for master in ("Products.csv", "Customer.xlsx"):
        shutil.copy(full / master, out / master)
    return len(lines)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("increments")
    full, tuesday, wednesday, refreshed_delivery = work / "monday", work / "tuesday", work / "wednesday", work / "refreshed"
    # one version kept: the build after the second increment would drop the first increment's
    # version, whose month folders the carried fact table still reads, but for borrowed_schemas
    incremental = Pipeline(lake=work / "lake", work=work / "incremental", extra_env={"SALES_PUBLISHED_VERSIONS_KEPT": "1"})
    incremental.samples("generate", "--system", "sales", "--out", full, "--scale", "0.3", "--seed", "7")
    incremental.samples("increment", "--full", full, "--out", tuesday, "--corrections", CORRECTIONS, "--seed", "7")
    lone_line = {**orders(full)[0], "Row ID": LONE_LINE_ID, "Order ID": "CA-2020-99000001", "Order Date": "15/6/2020", "Ship Date": "18/6/2020"}
    write_orders(tuesday, [*orders(tuesday), lone_line])
    write_orders(wednesday, [{**lone_line, "Order Date": "15/7/2024", "Ship Date": "18/7/2024"}])

    incremental.ingestion("load", "--source", full, "--build")
    before = gold(incremental)
    runs = [incremental.ingestion("load", "--source", increment, "--increment", "--build") for increment in (tuesday, wednesday)]
    builds = [run.stdout + run.stderr for run in runs]
    after = gold(
        incremental, also={"accounting": ACCOUNTING, "months": "select distinct cast(order_month as string) as month from gold.fct_order_lines"}
    )

    refreshed = Pipeline(lake=work / "refreshed_lake", work=work / "refreshed")
    lines = write_full_delivery(full, [tuesday, wednesday], refreshed_delivery)
    refreshed.ingestion("load", "--source", refreshed_delivery, "--build")
    return {"before": before, "after": after, "builds": builds, "refreshed": gold(refreshed), "lines": lines, "full_lines": len(orders(full)),
            "tuesday_lines": len(orders(tuesday))}  # fmt: skip


def test_gold_after_increments_equals_a_full_refresh_of_the_same_lines(built: dict) -> None:
    after = {name: rows for name, rows in built["after"].items() if name in GOLD}
    assert after == built["refreshed"]
    assert len(after["fct_order_lines"]) == built["lines"]
    # not vacuous: the increments changed every aggregate (new lines, corrected profits, a late line in the oldest year)
    for name in GOLD[2:]:
        assert built["before"][name] != after[name], name


def test_each_build_after_an_increment_rewrites_only_the_months_it_touches(built: dict) -> None:
    for output in built["builds"]:
        assert "fct_order_lines: carried over from version" in output
    # tuesday: the new lines' month, the late line's, the lone line's and those of the corrected lines (at most five)
    touched = int(re.search(r"rewriting (\d+) months", built["builds"][0]).group(1))
    assert 3 <= touched <= 3 + CORRECTIONS
    # wednesday: the lone line's new month and its old one, which it leaves empty: gone, not left with the old line
    assert "rewriting 1 months" in built["builds"][1]
    assert "2020-06-01" not in {row["month"] for row in built["after"]["months"]}


def test_a_build_after_an_increment_selects_only_what_depends_on_order_lines(built: dict) -> None:
    for output in built["builds"]:
        assert "Changed since the published version" in output and ": sales.orders. Building what depends on them" in output
        assert "dbt build --select source:sales.orders+ source:landing.loads+ " in output
        # the customers and products branches are shown as published, not rebuilt (gold still equals the full refresh's)
        for node in ("base_sales__customers", "base_sales__products", "dim_customers", "dim_products", "product_categories"):
            assert f".{node} " not in output, node
        assert re.search(r"START sql table model gold__v\w+\.profit_by_year ", output)


def test_the_increments_are_landed_alone_and_accounted_with_the_lines_they_replace(built: dict) -> None:
    assert ", increment" in built["builds"][0]
    accounting = sorted(tuple(row.values()) for row in built["after"]["accounting"] if row["source_table"] == "orders")
    assert accounting == [
        ("orders", "monday", built["full_lines"], built["full_lines"] - CORRECTIONS, 0, 0, CORRECTIONS),
        ("orders", "tuesday", built["tuesday_lines"], built["tuesday_lines"] - 1, 0, 0, 1),
        ("orders", "wednesday", 1, 1, 0, 0, 0),
    ]

"""A delivery that holds hostile values among good records builds to the end: landed with the CLI,
built with ``dbt build`` of what the landing selects (exit 0), every bad record is in
``silver.stg_sales__quarantined_records`` with its file, position, raw content and the exact reason
of the quarantine rules, the good ones are in gold with the figures of the independent pandas
computation over the good records only, and ``audit.sales_load_accounting`` has read = loaded +
quarantined + duplicates per table, as counted here from the raw files.

The delivery is a generated one (scale 0.1) with the orders rewritten as JSON lines and hostile
lines put among them, and one hostile row added to the customer workbook. Everything runs on a
lake of its own, in subprocesses: one landing, one ``dbt build``, one ``dbt show`` for all queries.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

from pipeline_tests.dbt_runner import Pipeline
from pipeline_tests.reference import expected_categories, order_lines, profit_by

ORDERS_FILE = "Orders.jsonl"
CUSTOMERS_FILE = "Customer.xlsx"
FULL_WIDTH_TWO = "\uff12"  # a digit to Unicode, not to the whole-number rule (ASCII digits only)
KEY_CONFLICT = "<key conflict: reason set once both positions are known>"
MALFORMED = "malformed JSON ("  # then the parser's words, which this test does not pin


class Literal(str):
    """A JSON number kept as the text of the file (``41.9136``, ``1e3``), written back unquoted."""


@dataclass
class Hostile:
    """One record put into the delivery, and what the quarantine must say of it."""

    name: str
    line: str  # as written to the file
    reason: str | None  # None: a good record, loaded
    raw: dict | str | None = None  # the raw content the quarantine shows: fields as text, or the unread line
    position: int = 0  # line of the file, set when written
    table: str = "orders"
    is_exact_duplicate: bool = False


def parse_line(text: str) -> dict:
    return json.loads(text, parse_float=Literal, parse_int=Literal)


def json_line(record: dict) -> str:
    """One JSON object on one line, numbers written as their literal text, other text unescaped."""
    items = (f"{json.dumps(key)}: {value if isinstance(value, Literal) else json.dumps(value, ensure_ascii=False)}" for key, value in record.items())
    return "{" + ", ".join(items) + "}"


def raw_fields(record: dict) -> dict:
    """The record's fields as landing keeps them: the text as in the file, numbers with their digits."""
    return {key: None if value is None else str(value) for key, value in record.items()}


def hostile_orders(good: list[dict]) -> list[Hostile]:
    """The hostile order lines: copies of good lines with one field changed and a Row ID of their own."""
    next_id = max(int(line["Row ID"]) for line in good) + 1
    cases: list[Hostile] = []

    def variant(name: str, changes: dict, reason: str | None) -> dict:
        nonlocal next_id
        record = {**good[(len(cases) * 37) % len(good)], "Row ID": Literal(next_id), **changes}
        next_id += 1
        cases.append(Hostile(name, json_line(record), reason, raw_fields(record)))
        return record

    variant("full-width digit", {"Quantity": FULL_WIDTH_TWO}, f"Quantity '{FULL_WIDTH_TWO}' is not a whole number")
    variant("digit separator", {"Quantity": "1_000"}, "Quantity '1_000' is not a whole number")
    variant("int overflow", {"Quantity": Literal("99999999999")}, "Quantity '99999999999' does not fit int")
    variant("decimal overflow", {"Discount": Literal("10")}, "Discount '10' does not fit decimal(5,4)")
    variant("NaN", {"Price": "NaN"}, "Price 'NaN' is not a number")
    variant("exponent", {"Profit": Literal("1e3")}, None)  # a number: 1000, loaded
    variant("impossible date", {"Ship Date": "31/2/2016"}, "Ship Date '31/2/2016' is not a d/M/yyyy date")
    variant("ISO date", {"Order Date": "2016-08-21"}, "Order Date '2016-08-21' is not a d/M/yyyy date")
    variant("blank key", {"Row ID": ""}, "missing Row ID")
    first = variant("key conflict, first", {"Quantity": Literal("2")}, KEY_CONFLICT)
    second = {**first, "Quantity": Literal("3")}  # same Row ID, other content
    cases.append(Hostile("key conflict, second", json_line(second), KEY_CONFLICT, raw_fields(second)))
    malformed = '{"Row ID": 999999, "Order ID": "CA-2016-1'
    cases.append(Hostile("malformed line", malformed, MALFORMED, malformed))
    return cases


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("hostile")
    pipeline = Pipeline(lake=work / "lake", work=work)
    delivery = work / "delivery"
    pipeline.samples("generate", "--system", "sales", "--out", delivery, "--scale", "0.1", "--seed", "11")

    # orders: the generated array as JSON lines, hostile lines among the good ones
    array = json.loads((delivery / "Orders.json").read_text(encoding="utf-8"), parse_float=Literal, parse_int=Literal)
    (delivery / "Orders.json").unlink()
    cases = hostile_orders(array)
    lines = [json_line(record) for record in array]
    rng = random.Random(7)
    for case in cases:
        lines.insert(rng.randrange(1, len(lines)), case.line)
    original = json_line(array[500])
    lines.insert(lines.index(original) + 50, original)  # an exact copy of a good line, later in the file
    (delivery / ORDERS_FILE).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    for case in cases:
        case.position = lines.index(case.line) + 1  # JSON lines: the line number
    duplicate = Hostile("exact duplicate", original, f"exact duplicate of {ORDERS_FILE} {lines.index(original) + 1}", parse_line(original))
    duplicate.raw, duplicate.is_exact_duplicate = raw_fields(duplicate.raw), True
    duplicate.position = len(lines) - lines[::-1].index(original)
    conflict = [case for case in cases if case.reason == KEY_CONFLICT]
    row_id = parse_line(conflict[0].line)["Row ID"]
    for case in conflict:
        case.reason = f"Row ID {row_id} appears on 2 records with different content ({ORDERS_FILE} {conflict[0].position}, {ORDERS_FILE} {conflict[1].position})"

    # customers: a row whose Customer ID is blank, at the end of the sheet
    workbook = openpyxl.load_workbook(delivery / CUSTOMERS_FILE)
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    blank_customer = dict.fromkeys(header, "x")
    blank_customer.update({"Customer ID": None, "Customer Name": "Nobody Known", "Postal Code": "12345"})
    sheet.append([blank_customer[name] for name in header])
    workbook.save(delivery / CUSTOMERS_FILE)
    customer_case = Hostile("blank customer key", "", "missing Customer ID", raw_fields(blank_customer), sheet.max_row, table="customers")

    # as `make run` does: land, register and build in one process (one Spark session)
    landed = built = pipeline.ingestion("load", "--source", delivery, "--build", check=False)
    shown = {}
    if built.returncode == 0:
        shown = pipeline.show_many(
            {
                "bronze_orders": "select count(*) as records from {{ source('sales', 'orders') }}",
                "quarantine": "select * from {{ ref('stg_sales__quarantined_records') }}",
                "accounting": "select * from {{ ref('sales_load_accounting') }}",
                "fct": "select order_line_id, profit from {{ ref('fct_order_lines') }}",
                "profit_by_year": "select * from {{ ref('profit_by_year') }}",
                "profit_by_category": "select * from {{ ref('profit_by_category') }}",
                "profit_by_sub_category": "select * from {{ ref('profit_by_sub_category') }}",
                "profit_by_customer": "select * from {{ ref('profit_by_customer') }}",
                "customers": "select customer_id from {{ ref('dim_customers') }}",
            }
        )
    good = [parse_line(line) for line in lines if not any(line == case.line and case.reason for case in cases)]
    good = list({record["Row ID"]: record for record in good}.values())  # the exact copy loads once
    return {
        "delivery": delivery,
        "lines": lines,
        "cases": [*cases, duplicate, customer_case],
        "good": good,
        "landed": landed,
        "built": built,
        "shown": shown,
    }


def shown(hostile: dict, name: str) -> list[dict]:
    built = hostile["built"]
    assert built.returncode == 0, f"dbt build failed:\n{built.stdout[-5000:]}\n{built.stderr[-3000:]}"
    return hostile["shown"][name]


def good_orders(hostile: dict) -> pd.DataFrame:
    records = [
        {key: Decimal(value) if isinstance(value, Literal) and key != "Row ID" else value for key, value in line.items()} for line in hostile["good"]
    ]
    return order_lines(records)


def test_the_build_runs_to_the_end(hostile: dict) -> None:
    built = hostile["built"]
    assert built.returncode == 0, f"dbt build failed:\n{built.stdout[-5000:]}\n{built.stderr[-3000:]}"
    assert "Completed successfully" in built.stdout


def test_every_bad_record_is_quarantined_with_file_position_raw_content_and_reason(hostile: dict) -> None:
    rows = shown(hostile, "quarantine")
    by_place = {(row["source_table"], row["source_file_name"], row["source_position"]): row for row in rows}
    expected = [case for case in hostile["cases"] if case.reason]
    for case in expected:
        file_name = ORDERS_FILE if case.table == "orders" else CUSTOMERS_FILE
        row = by_place.get((case.table, file_name, case.position))
        assert row is not None, f"{case.name}: not in the quarantine at {file_name} {case.position}; quarantine: {rows}"
        if case.reason == MALFORMED:
            assert row["reason"].startswith(MALFORMED) and row["reason"].endswith(")"), (case.name, row["reason"])
            assert row["raw_record"] == case.raw
        else:
            assert row["reason"] == case.reason, case.name
            assert json.loads(row["raw_record"]) == case.raw, case.name
        assert row["is_exact_duplicate"] == case.is_exact_duplicate, case.name
    assert len(rows) == len(expected), "the quarantine holds records that are not bad"


def test_the_good_records_are_in_gold_with_the_independent_figures(hostile: dict) -> None:
    delivery = hostile["delivery"]
    orders = good_orders(hostile)
    fct = {str(row["order_line_id"]): row["profit"] for row in shown(hostile, "fct")}
    assert fct == {str(row_id): profit for row_id, profit in zip(orders["Row ID"], orders["profit"], strict=True)}
    assert fct[str(next(case for case in hostile["cases"] if case.name == "exponent").raw["Row ID"])] == Decimal("1000.00")

    def gold(name: str, keys: list[str]) -> dict[tuple, Decimal]:
        return {tuple(row[key] for key in keys): row["profit"] for row in shown(hostile, name)}

    assert gold("profit_by_year", ["order_year"]) == profit_by(orders, ["order_year"])
    orders = orders.join(expected_categories(delivery / "Products.csv", orders))
    assert gold("profit_by_category", ["category"]) == profit_by(orders, ["category"])
    assert gold("profit_by_sub_category", ["category", "sub_category"]) == profit_by(orders, ["category", "sub_category"])
    assert gold("profit_by_customer", ["customer_id"]) == profit_by(orders, ["Customer ID"])
    assert None not in {row["customer_id"] for row in shown(hostile, "customers")}


def test_accounting_adds_up_to_the_records_in_the_files(hostile: dict) -> None:
    delivery, cases = hostile["delivery"], hostile["cases"]
    bad = {
        table: sum(1 for case in cases if case.table == table and case.reason and not case.is_exact_duplicate)
        for table in ("orders", "products", "customers")
    }
    read = {
        "orders": len(hostile["lines"]),
        "products": len(pd.read_csv(delivery / "Products.csv", dtype=str)),
        "customers": openpyxl.load_workbook(delivery / CUSTOMERS_FILE, read_only=True).active.max_row - 1,
    }
    duplicates = {"orders": 1, "products": 0, "customers": 0}
    expected = {table: (read[table], read[table] - bad[table] - duplicates[table], bad[table], duplicates[table]) for table in read}
    accounting = {
        row["source_table"]: (row["rows_read"], row["rows_loaded"], row["rows_quarantined"], row["rows_duplicate"])
        for row in shown(hostile, "accounting")
    }
    assert accounting == expected
    for rows_read, rows_loaded, rows_quarantined, rows_duplicate in accounting.values():
        assert rows_read == rows_loaded + rows_quarantined + rows_duplicate


def test_landing_lands_every_line_the_malformed_one_included(hostile: dict) -> None:
    # Python only checks files; what is wrong with a record is for the SQL rules to say
    out = hostile["landed"].stdout + hostile["landed"].stderr
    assert ORDERS_FILE in out and CUSTOMERS_FILE in out
    assert shown(hostile, "bronze_orders") == [{"records": len(hostile["lines"])}]

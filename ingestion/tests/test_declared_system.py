"""A source system declared in a fixture, not in the package, lands like sales: chunked CSV with a
delimiter of its own and two header layouts, every sheet of a workbook, JSON lines, parquet.

The fixture writes the system's sources YAML into a temporary project; landing reads it through
``load_systems(project)``. Every expected value is written by hand from the files written here.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion.declaration import load_systems
from ingestion.find import DeliveryError, find_delivery
from ingestion.land import bronze_locations, land_delivery
from ingestion.tests.deliveries import LOAD_ID, LOADED_AT, LOADED_AT_TEXT, landed_rows, load_dirs, load_log, write_csv, write_orders

SHOP = """
version: 2
sources:
  - name: shop
    schema: bronze
    tables:
      - name: shop_users
        config:
          meta:
            landing:
              files: [{pattern: 'chunk\\d+\\.csv', format: csv, delimiter: ';'}]
              key: [user_id]
        columns:
          - {name: user_id, data_type: string, config: {meta: {field: identifierHash, aliases: [userId], type: bigint, required: true}}}
          - {name: country, data_type: string, config: {meta: {field: country}}}
          - {name: products_sold, data_type: string, config: {meta: {field: productsSold, aliases: [soldCount], type: int}}}
          - &source_file {name: _source_file, data_type: string}
          - &source_position {name: _source_position, data_type: bigint}
          - &raw_record {name: _raw_record, data_type: string}
          - &read_problem {name: _read_problem, data_type: string}
          - &loaded_at {name: _loaded_at, data_type: timestamp}
          - &load_id {name: _load_id, data_type: string}
      - name: shop_invoices
        config:
          meta:
            landing:
              files: [{pattern: 'invoices_\\d{4}\\.xlsx', format: excel, sheets: all}]
        columns:
          - {name: invoice_no, data_type: string, config: {meta: {field: InvoiceNo, aliases: [Invoice], required: true}}}
          - {name: unit_price, data_type: string, config: {meta: {field: UnitPrice, aliases: [Price], type: 'decimal(10,2)'}}}
          - *source_file
          - *source_position
          - *raw_record
          - *read_problem
          - *loaded_at
          - *load_id
      - name: shop_events
        config:
          meta:
            landing:
              files: ['events\\.jsonl']
              format: json
        columns:
          - {name: event_id, data_type: string, config: {meta: {field: id, type: int}}}
          - {name: action, data_type: string, config: {meta: {field: action, aliases: [type]}}}
          - *source_file
          - *source_position
          - *raw_record
          - *read_problem
          - *loaded_at
          - *load_id
      - name: shop_catalog
        config:
          meta:
            landing:
              files: ['catalog\\.parquet']
              format: parquet
        columns:
          - {name: product_id, data_type: string, config: {meta: {field: product_id, type: int}}}
          - {name: price, data_type: string, config: {meta: {field: price, type: 'decimal(10,2)'}}}
          - {name: added_at, data_type: string, config: {meta: {field: added, type: timestamp, format: 'yyyy-MM-dd HH:mm:ss'}}}
          - {name: in_stock, data_type: string, config: {meta: {field: in_stock, type: boolean}}}
          - {name: tags, data_type: string, config: {meta: {field: tags}}}
          - *source_file
          - *source_position
          - *raw_record
          - *read_problem
          - *loaded_at
          - *load_id
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose models declare the shop system, and nothing of the package's."""
    folder = tmp_path / "project/models/staging/shop"
    folder.mkdir(parents=True)
    (folder / "_shop__sources.yml").write_text(SHOP, encoding="utf-8")
    return tmp_path / "project"


@pytest.fixture
def shop_delivery(tmp_path: Path) -> Path:
    import openpyxl

    folder = tmp_path / "shop-2026-11-01"
    folder.mkdir()
    write_csv(folder / "chunk1.csv", ["identifierHash", "country", "productsSold"], [["-7279641312655250028", "Etats-Unis ", "3"]], delimiter=";")
    write_csv(folder / "chunk2.csv", ["identifierHash", "country", "productsSold"], [["11", "Allemagne", "0"], ["12", "Fr;ance", ""]], delimiter=";")
    write_csv(folder / "chunk3.csv", ["userId", "soldCount", "country", "websiteLongevity"], [["13", "7", "Royaume-Uni", "4"]], delimiter=";")

    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "2010"
    for row in (["InvoiceNo", "StockCode", "UnitPrice"], ["536365", "85123A", 2.55], ["C536379", "D", 27.5]):
        first.append(row)
    second = workbook.create_sheet("2011")
    for row in (["Invoice", "Price"], ["A563185", -11062.06]):
        second.append(row)
    workbook.save(folder / "invoices_2011.xlsx")

    (folder / "events.jsonl").write_text('{"id": 1, "action": "view"}\n{"id": 2, "type": "purchase"}\nnot json\n', encoding="utf-8")
    table = pa.table({
        "product_id": pa.array([7, None], pa.int64()),
        "price": pa.array([decimal.Decimal("19.90"), decimal.Decimal("-0.05")], pa.decimal128(10, 2)),
        "added": pa.array([dt.datetime(2010, 12, 1, 8, 26), None], pa.timestamp("us")),
        "in_stock": pa.array([True, False]),
        "tags": pa.array([["a", "b"], []], pa.list_(pa.string())),
        "supplier": pa.array(["Acme", "Acme"]),
    })  # fmt: skip
    pq.write_table(table, folder / "catalog.parquet")
    (folder / "README.txt").write_text("about this delivery")
    return folder


def rows(landing: Path, table: str) -> list[dict]:
    return landed_rows(landing, table, system="shop")


def test_a_system_declared_outside_the_package_lands_every_table(project: Path, shop_delivery: Path, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    systems = load_systems(project)
    found = find_delivery(shop_delivery, systems=systems)
    assert {t.table.qualified_name: [f.name for f in t.files] for t in found.tables} == {
        "shop.shop_users": ["chunk1.csv", "chunk2.csv", "chunk3.csv"],
        "shop.shop_invoices": ["invoices_2011.xlsx"],
        "shop.shop_events": ["events.jsonl"],
        "shop.shop_catalog": ["catalog.parquet"],
    }
    assert found.ignored == ("README.txt",)

    landed = {t.table: t for t in land_delivery(shop_delivery, landing.as_uri(), systems=systems, loaded_at=LOADED_AT)}
    lineage = {"_loaded_at": LOADED_AT_TEXT}
    assert rows(landing, "shop_users") == [
        {"user_id": "-7279641312655250028", "country": "Etats-Unis ", "products_sold": "3", "_source_file": "chunk1.csv", "_source_position": 2, **lineage},
        {"user_id": "11", "country": "Allemagne", "products_sold": "0", "_source_file": "chunk2.csv", "_source_position": 2, **lineage},
        {"user_id": "12", "country": "Fr;ance", "products_sold": "", "_source_file": "chunk2.csv", "_source_position": 3, **lineage},
        {"user_id": "13", "country": "Royaume-Uni", "products_sold": "7", "_source_file": "chunk3.csv", "_source_position": 2, **lineage},
    ]  # fmt: skip
    users = landed["shop_users"]
    assert [(f.name, f.rows_read, f.extra_fields) for f in users.files] == [
        ("chunk1.csv", 1, ()), ("chunk2.csv", 2, ()), ("chunk3.csv", 1, ("websiteLongevity",))
    ]  # fmt: skip
    assert (users.rows_read, users.load_id, users.status) == (4, LOAD_ID, "new")

    assert rows(landing, "shop_invoices") == [
        {"invoice_no": "536365", "unit_price": "2.55", "_source_file": "invoices_2011.xlsx[2010]", "_source_position": 2, **lineage},
        {"invoice_no": "C536379", "unit_price": "27.5", "_source_file": "invoices_2011.xlsx[2010]", "_source_position": 3, **lineage},
        {"invoice_no": "A563185", "unit_price": "-11062.06", "_source_file": "invoices_2011.xlsx[2011]", "_source_position": 2, **lineage},
    ]  # fmt: skip
    (workbook,) = landed["shop_invoices"].files
    assert (workbook.rows_read, workbook.sheets, workbook.extra_fields) == (
        3,
        (("invoices_2011.xlsx[2010]", 2), ("invoices_2011.xlsx[2011]", 1)),
        ("StockCode",),
    )

    assert rows(landing, "shop_events") == [
        {"event_id": "1", "action": "view", "_source_file": "events.jsonl", "_source_position": 1, **lineage},
        {"event_id": "2", "action": "purchase", "_source_file": "events.jsonl", "_source_position": 2, **lineage},
        {"event_id": None, "action": None, "_source_file": "events.jsonl", "_source_position": 3, "_raw_record": "not json",
         "_read_problem": "malformed JSON (Expecting value at column 1)", **lineage},
    ]  # fmt: skip

    assert rows(landing, "shop_catalog") == [
        {"product_id": "7", "price": "19.90", "added_at": "2010-12-01 08:26:00.000000", "in_stock": "true", "tags": '["a", "b"]',
         "_source_file": "catalog.parquet", "_source_position": 0, **lineage},
        {"product_id": None, "price": "-0.05", "added_at": None, "in_stock": "false", "tags": "[]",
         "_source_file": "catalog.parquet", "_source_position": 1, **lineage},
    ]  # fmt: skip
    assert landed["shop_catalog"].files[0].extra_fields == ("supplier",)

    invoice_lines = [line for line in load_log(landing) if line["source_table"] == "shop_invoices"]
    assert [(line["source_system"], line["source_file"], line["rows_read"]) for line in invoice_lines] == [
        ("shop", "invoices_2011.xlsx[2010]", 2), ("shop", "invoices_2011.xlsx[2011]", 1)
    ]  # fmt: skip
    assert {line["delivery"] for line in load_log(landing)} == {"shop-2026-11-01"}
    assert len(load_log(landing)) == 3 + 2 + 1 + 1  # one line per file, per sheet of the workbook
    (users_load,) = load_dirs(landing, "shop_users", system="shop")
    assert sorted(path.name for path in (users_load / "source").iterdir()) == ["chunk1.csv", "chunk2.csv", "chunk3.csv"]


def test_system_restricts_a_folder_that_holds_the_files_of_several_systems(project: Path, shop_delivery: Path, tmp_path: Path) -> None:
    systems = {**load_systems(), **load_systems(project)}
    write_orders(shop_delivery)
    with pytest.raises(DeliveryError, match=r"no file matches the pattern /products\?\\.csv/ \(case-insensitive\) of table 'sales.products'"):
        find_delivery(shop_delivery, systems=systems)
    found = find_delivery(shop_delivery, systems=systems, system="shop")
    assert [t.table.system for t in found.tables] == ["shop"] * 4
    assert found.ignored == ("Orders.json", "README.txt")

    landing = tmp_path / "landing"
    land_delivery(shop_delivery, landing.as_uri(), systems=systems, system="shop", loaded_at=LOADED_AT)
    assert sorted(bronze_locations(landing.as_uri(), systems)) == [
        "landing.loads", "shop.shop_catalog", "shop.shop_events", "shop.shop_invoices", "shop.shop_users"
    ]  # fmt: skip


def test_a_sheet_without_the_table_is_refused_when_every_sheet_must_hold_it(project: Path, shop_delivery: Path, tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.load_workbook(shop_delivery / "invoices_2011.xlsx")
    workbook.create_sheet("Notes").append(["exported by", "finance"])
    workbook.save(shop_delivery / "invoices_2011.xlsx")
    with pytest.raises(DeliveryError) as error:
        land_delivery(shop_delivery, (tmp_path / "landing").as_uri(), systems=load_systems(project))
    assert str(error.value) == (
        "invoices_2011.xlsx[Notes] (every sheet must hold the table: sheets: all): missing columns ['InvoiceNo (or Invoice)', "
        "'UnitPrice (or Price)'] of table 'shop.shop_invoices'; expected ['InvoiceNo (or Invoice)', 'UnitPrice (or Price)'], "
        "found ['exported by', 'finance']"
    )
    assert not any((tmp_path / "landing").rglob("_manifest.json"))


def test_a_pattern_override_names_a_table_by_system_and_table(project: Path, shop_delivery: Path, tmp_path: Path) -> None:
    (shop_delivery / "events.jsonl").rename(shop_delivery / "events-2026-11-01.json")
    found = find_delivery(shop_delivery, systems=load_systems(project), patterns={"shop.shop_events": r"events-.*\.json"})
    (events,) = [t for t in found.tables if t.table.name == "shop_events"]
    assert [(f.name, f.spec.format) for f in events.files] == [("events-2026-11-01.json", "json")]
    land_delivery(shop_delivery, (tmp_path / "landing").as_uri(), systems=load_systems(project), patterns={"shop_events": r"events-.*\.json"})
    assert [json.loads(json.dumps(row))["event_id"] for row in rows(tmp_path / "landing", "shop_events")] == ["1", "2", None]


BOOKS = """
version: 2
sources:
  - name: books
    tables:
      - name: ledger
        config: {meta: {landing: {files: [{pattern: 'ledger\\.xlsx', format: excel, sheet: Data}]}}}
        columns:
          - {name: entry, data_type: string, config: {meta: {field: Entry}}}
          - {name: _source_file, data_type: string}
          - {name: _source_position, data_type: bigint}
          - {name: _raw_record, data_type: string}
          - {name: _read_problem, data_type: string}
          - {name: _loaded_at, data_type: timestamp}
          - {name: _load_id, data_type: string}
      - name: notes
        config: {meta: {landing: {files: ['notes\\.csv'], format: csv, csv: {encoding: latin-1, quotechar: "'", delimiter: "|"}}}}
        columns:
          - {name: note, data_type: string, config: {meta: {field: Note}}}
          - {name: _source_file, data_type: string}
          - {name: _source_position, data_type: bigint}
          - {name: _raw_record, data_type: string}
          - {name: _read_problem, data_type: string}
          - {name: _loaded_at, data_type: timestamp}
          - {name: _load_id, data_type: string}
"""


def test_a_named_sheet_and_a_declared_csv_dialect_and_encoding(tmp_path: Path) -> None:
    import openpyxl

    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "models/_books__sources.yml").write_text(BOOKS, encoding="utf-8")
    folder = tmp_path / "books"
    folder.mkdir()
    workbook = openpyxl.Workbook()
    workbook.active.append(["Entry"])  # the first sheet has the field too, but the declaration names another
    workbook.active.append(["not this one"])
    data = workbook.create_sheet("Data")
    for row in (["Entry"], ["rent"], ["tea"]):
        data.append(row)
    workbook.save(folder / "ledger.xlsx")
    (folder / "notes.csv").write_bytes("Note\n'Café | crème'\nthé\n".encode("latin-1"))

    landing = tmp_path / "landing"
    land_delivery(folder, landing.as_uri(), systems=load_systems(project), loaded_at=LOADED_AT)
    ledger = [(row["entry"], row["_source_file"], row["_source_position"]) for row in landed_rows(landing, "ledger", system="books")]
    assert ledger == [("rent", "ledger.xlsx", 2), ("tea", "ledger.xlsx", 3)]
    assert [(row["note"], row["_source_position"]) for row in landed_rows(landing, "notes", system="books")] == [("Café | crème", 2), ("thé", 3)]

    workbook.remove(data)
    workbook.save(folder / "ledger.xlsx")
    with pytest.raises(DeliveryError, match=r"^ledger.xlsx: no sheet named 'Data' \(declared for table 'books.ledger'\); sheets: \['Sheet'\]$"):
        land_delivery(folder, landing.as_uri(), systems=load_systems(project))

"""Landing without Spark: file matching, reading each format exactly, atomic loads, clear refusals.

Every input is written here by hand, so each expected value is known without running the code.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from ingestion.cli import main
from ingestion.contract import CUSTOMERS, LINEAGE_COLUMNS, ORDERS, PRODUCTS, SOURCE_TABLES
from ingestion.land import find_delivery_files, land_delivery
from ingestion.readers import DeliveryError
from ingestion.settings import PROJECT_DIR

LOADED_AT = dt.datetime(2026, 11, 1, 8, 30, tzinfo=dt.timezone.utc)

ORDER = {
    "Row ID": 7,
    "Order ID": "CA-2016-122581",
    "Order Date": "21/8/2016",
    "Ship Date": "25/8/2016",
    "Ship Mode": "Standard Class",
    "Customer ID": "JK-15370",
    "Product ID": "FUR-CH-10002961",
    "Quantity": 3,
    "Price": 573.174,
    "Discount": 0.3,
    "Profit": 41.9136,
}
PRODUCT_ROW = ["FUR-CH-10002961", "Furniture", "Chairs", 'Chair, "big" 8-1/2" x 11"', "Texas", "81.88"]
CUSTOMER_ROW = ["JK-15370", "Peter Bühler", "p@example.com", "(830)775-6431", "1 Main St\nAustin", "Consumer",
                "United States", "Austin", "Texas", "73301", "Central"]  # fmt: skip


def write_orders(folder: Path, name: str = "Orders.json", rows: list[dict] | None = None) -> Path:
    path = folder / name
    path.write_text(json.dumps(rows if rows is not None else [ORDER], indent=2), encoding="utf-8")
    return path


def write_csv(path: Path, header: list[str], rows: list[list[object]], *, bom: bool = False) -> Path:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    sheet.append([None] * len(header))  # a blank row left by formatting: not a record
    workbook.save(path)
    return path


@pytest.fixture
def delivery(tmp_path: Path) -> Path:
    folder = tmp_path / "delivery"
    folder.mkdir()
    write_orders(folder)
    write_csv(folder / "Products.csv", list(PRODUCTS.source_names), [PRODUCT_ROW])
    write_xlsx(folder / "Customer.xlsx", list(CUSTOMERS.source_names), [CUSTOMER_ROW])
    return folder


def landed_rows(landing: Path, table: str) -> list[dict]:
    (load,) = (landing / "sales" / table).iterdir()
    return [json.loads(line) for line in (load / "data/part-00000.jsonl").read_text(encoding="utf-8").splitlines()]


def test_files_are_matched_case_insensitively_with_singular_and_plural_names(tmp_path: Path) -> None:
    for name in ("order.JSON", "PRODUCT.csv", "customers.Csv", "notes.txt"):
        (tmp_path / name).write_text("x")
    assert {table: path.name for table, path in find_delivery_files(tmp_path).items()} == {
        "orders": "order.JSON",
        "products": "PRODUCT.csv",
        "customers": "customers.Csv",
    }


def test_a_configured_pattern_replaces_the_default(tmp_path: Path) -> None:
    for name in ("Orders.json", "Products.csv", "clients_2026.xlsx"):
        (tmp_path / name).write_text("x")
    files = find_delivery_files(tmp_path, {"customers": r"clients_\d{4}\.xlsx"})
    assert files["customers"].name == "clients_2026.xlsx"


def test_a_missing_or_ambiguous_file_is_refused_with_the_pattern_and_the_files(tmp_path: Path) -> None:
    for name in ("Orders.json", "Order.json", "Products.csv"):
        (tmp_path / name).write_text("x")
    with pytest.raises(DeliveryError, match=r"several files match \(\['Order.json', 'Orders.json'\]\)"):
        find_delivery_files(tmp_path)
    (tmp_path / "Order.json").unlink()
    with pytest.raises(DeliveryError, match=r"no file matches the pattern /customers\?\\\.\(xlsx\|csv\)/.*'customers'"):
        find_delivery_files(tmp_path)


def test_json_numbers_land_with_their_exact_digits(delivery: Path, tmp_path: Path) -> None:
    write_orders(delivery, rows=[ORDER, {**ORDER, "Row ID": 8, "Profit": -0.00001, "Price": 1e21}])
    land_delivery(delivery, (tmp_path / "landing").as_uri(), loaded_at=LOADED_AT)
    first, second = landed_rows(tmp_path / "landing", "orders")
    assert first["row_id"] == "7" and first["profit"] == "41.9136" and first["price"] == "573.174"
    assert second["profit"] == "-1e-05" and second["price"] == "1e+21"
    assert [row["_source_position"] for row in (first, second)] == [0, 1]


def test_csv_quoting_and_positions_survive_landing(delivery: Path, tmp_path: Path) -> None:
    multi_line = ["OFF-PA-10000001", "Office Supplies", "Paper", "Pad\nruled", "Ohio", "2.5"]
    write_csv(delivery / "Products.csv", list(PRODUCTS.source_names), [multi_line, PRODUCT_ROW], bom=True)
    land_delivery(delivery, (tmp_path / "landing").as_uri(), loaded_at=LOADED_AT)
    first, second = landed_rows(tmp_path / "landing", "products")
    assert first["product_id"] == "OFF-PA-10000001"  # the byte-order mark is not part of the first header
    assert first["product_name"] == "Pad\nruled"
    assert second["product_name"] == 'Chair, "big" 8-1/2" x 11"'
    assert [first["_source_position"], second["_source_position"]] == [2, 4]  # record 1 spans lines 2-3


def test_excel_cells_land_as_the_text_a_reader_sees(delivery: Path, tmp_path: Path) -> None:
    bare = [*CUSTOMER_ROW[:3], 8307756431, *CUSTOMER_ROW[4:9], 2134, CUSTOMER_ROW[10]]
    negative = ["AB-10001", None, "x", -692810, "", "Corporate", "United States", "Reno", "Nevada", 89501.0, "West"]
    write_xlsx(delivery / "Customer.xlsx", list(CUSTOMERS.source_names), [bare, negative])
    land_delivery(delivery, (tmp_path / "landing").as_uri(), loaded_at=LOADED_AT)
    first, second = landed_rows(tmp_path / "landing", "customers")
    assert (first["phone"], first["postal_code"], first["customer_name"]) == ("8307756431", "2134", "Peter Bühler")
    assert first["address"] == "1 Main St\nAustin"
    assert (second["phone"], second["postal_code"], second["customer_name"]) == ("-692810", "89501", None)
    assert [first["_source_position"], second["_source_position"]] == [2, 3]  # sheet rows; blank row skipped


def test_a_load_keeps_the_original_adds_lineage_and_leaves_no_temporary_folder(delivery: Path, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landed = land_delivery(delivery, landing.as_uri(), loaded_at=LOADED_AT)
    assert [table.table for table in landed] == [table.name for table in SOURCE_TABLES]
    for table in landed:
        (load,) = (landing / "sales" / table.table).iterdir()
        assert load.name == "20261101T083000000000Z"
        assert table.location == load.as_uri() + "/data"
        assert (load / "source" / table.source_file.name).read_bytes() == table.source_file.read_bytes()
        assert table.rows_read == table.rows_landed == 1
    (row,) = landed_rows(landing, "orders")
    assert list(row) == [*ORDERS.columns, *LINEAGE_COLUMNS]
    assert (row["_source_file"], row["_loaded_at"]) == ("Orders.json", "2026-11-01T08:30:00.000000+00:00")


def test_each_delivery_is_archived_in_its_own_load(delivery: Path, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    land_delivery(delivery, landing.as_uri(), loaded_at=LOADED_AT)
    land_delivery(delivery, landing.as_uri(), loaded_at=LOADED_AT + dt.timedelta(days=1))
    assert sorted(load.name for load in (landing / "sales/orders").iterdir()) == [
        "20261101T083000000000Z",
        "20261102T083000000000Z",
    ]


def test_missing_columns_stop_the_load_and_nothing_is_landed(delivery: Path, tmp_path: Path) -> None:
    header = [name for name in PRODUCTS.source_names if name not in ("State", "Price per product")]
    write_csv(delivery / "Products.csv", header, [PRODUCT_ROW[:4]])
    with pytest.raises(DeliveryError) as error:
        land_delivery(delivery, (tmp_path / "landing").as_uri())
    message = str(error.value)
    assert "Products.csv: missing required columns ['State', 'Price per product']" in message
    assert f"expected {list(PRODUCTS.source_names)}" in message
    assert not (tmp_path / "landing").exists() or not any((tmp_path / "landing").rglob("*.jsonl"))


def test_a_bad_record_late_in_a_delivery_leaves_no_table_landed(delivery: Path, tmp_path: Path) -> None:
    write_csv(delivery / "Products.csv", list(PRODUCTS.source_names), [PRODUCT_ROW, PRODUCT_ROW[:3]])
    with pytest.raises(DeliveryError, match="record starting on line 3 has 3 fields, the header has 6"):
        land_delivery(delivery, (tmp_path / "landing").as_uri())
    assert [path for path in (tmp_path / "landing").rglob("*") if path.is_file()] == []


def test_extra_columns_are_reported_not_fatal(delivery: Path, tmp_path: Path) -> None:
    write_csv(delivery / "Products.csv", [*PRODUCTS.source_names, "Supplier"], [[*PRODUCT_ROW, "Acme"]])
    landed = {table.table: table for table in land_delivery(delivery, (tmp_path / "landing").as_uri())}
    assert landed["products"].extra_fields == ("Supplier",)
    assert "Supplier" not in landed_rows(tmp_path / "landing", "products")[0]


def test_a_file_that_is_not_utf8_is_refused_with_advice(delivery: Path, tmp_path: Path) -> None:
    header = ",".join(PRODUCTS.source_names)
    (delivery / "Products.csv").write_bytes(f"{header}\nFUR-CH-1,Furniture,Chairs,Café,Texas,1\n".encode("latin-1"))
    with pytest.raises(DeliveryError, match="Products.csv: not UTF-8 text.*re-export the file as UTF-8"):
        land_delivery(delivery, (tmp_path / "landing").as_uri())


def test_the_cli_reports_a_refused_delivery_and_exits_non_zero(tmp_path: Path) -> None:
    (tmp_path / "Orders.json").write_text("[]")
    result = CliRunner().invoke(main, ["load", "--source", str(tmp_path)])
    assert result.exit_code == 1
    assert "error:" in result.output and "'products'" in result.output


def test_bronze_columns_in_the_dbt_source_follow_the_contract() -> None:
    sources = yaml.safe_load((PROJECT_DIR / "models/staging/sales/_sales__sources.yml").read_text())
    (sales,) = sources["sources"]
    declared = {table["name"]: [column["name"] for column in table["columns"]] for table in sales["tables"]}
    assert declared == {table.name: [*table.columns, *LINEAGE_COLUMNS] for table in SOURCE_TABLES}

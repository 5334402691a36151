"""Landing without Spark: file matching, reading each format exactly, atomic loads, clear refusals.

Every input is written here by hand, so each expected value is known without running the code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ingestion.cli import main
from ingestion.contract import CUSTOMERS, LINEAGE_COLUMNS, ORDERS, PRODUCTS, QUARANTINE_COLUMNS, SOURCE_TABLES
from ingestion.land import find_delivery_files, land_delivery
from ingestion.readers import DeliveryError
from ingestion.settings import PROJECT_DIR
from ingestion.tests.deliveries import (
    CUSTOMER_ROW,
    LOADED_AT,
    ORDER,
    PRODUCT_ROW,
    landed_rows,
    write_csv,
    write_orders,
    write_xlsx,
)

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
        assert (load / "source" / table.source_file).read_bytes() == (delivery / table.source_file).read_bytes()
        assert (table.rows_read, table.rows_loaded, table.rows_quarantined, table.rows_duplicate) == (1, 1, 0, 0)
        assert json.loads((load / "_manifest.json").read_text())["sha256"] == table.sha256
    (row,) = landed_rows(landing, "orders")
    assert list(row) == [*ORDERS.columns, *LINEAGE_COLUMNS]
    assert (row["_source_file"], row["_loaded_at"]) == ("Orders.json", "2026-11-01T08:30:00.000000+00:00")


def test_the_cli_reports_a_refused_delivery_and_exits_non_zero(tmp_path: Path) -> None:
    (tmp_path / "Orders.json").write_text("[]")
    result = CliRunner().invoke(main, ["load", "--source", str(tmp_path)])
    assert result.exit_code == 1
    assert "error:" in result.output and "'products'" in result.output


def test_bronze_columns_in_the_dbt_source_follow_the_contract() -> None:
    sources = yaml.safe_load((PROJECT_DIR / "models/staging/sales/_sales__sources.yml").read_text())
    (sales,) = sources["sources"]
    declared = {table["name"]: [column["name"] for column in table["columns"]] for table in sales["tables"]}
    assert declared == {
        **{table.name: [*table.columns, *LINEAGE_COLUMNS] for table in SOURCE_TABLES},
        **{f"{table.name}_quarantine": list(QUARANTINE_COLUMNS) for table in SOURCE_TABLES},
    }


def test_the_cli_refuses_a_landing_zone_the_local_engine_cannot_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SALES_LANDING_URL", "s3://bucket/landing")
    result = CliRunner().invoke(main, ["load", "--source", str(tmp_path), "--target", "local"])
    assert result.exit_code == 1
    assert "the local target's embedded Spark cannot read s3://bucket/landing" in result.output

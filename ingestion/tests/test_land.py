"""Landing without Spark: file matching, reading each format exactly, the load layout, the CLI.

Every input is written here by hand, so each expected value is known without running the code.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingestion.cli import main
from ingestion.find import DeliveryError, find_delivery
from ingestion.land import bronze_locations, land_delivery
from ingestion.settings import PROJECT_DIR
from ingestion.tests.deliveries import (
    CUSTOMER_COLUMNS,
    CUSTOMER_HEADER,
    CUSTOMER_ROW,
    LOAD_ID,
    LOADED_AT,
    LOADED_AT_TEXT,
    ORDER,
    ORDER_COLUMNS,
    PRODUCT_COLUMNS,
    PRODUCT_HEADER,
    PRODUCT_ROW,
    landed_rows,
    load_dirs,
    load_log,
    write_csv,
    write_delivery,
    write_excel_saved_xlsx,
    write_orders,
    write_xlsx,
)

LINEAGE = ["_source_file", "_source_position", "_loaded_at"]


def matched(folder: Path, **options) -> dict[str, list[str]]:
    found = find_delivery(folder, **options)
    return {t.table.qualified_name: [file.name for file in t.files] for t in found.tables}


def test_files_are_matched_case_insensitively_with_singular_and_plural_names(tmp_path: Path) -> None:
    for name in ("order.JSON", "PRODUCT.csv", "customers.Csv", "notes.txt"):
        (tmp_path / name).write_text("x")
    found = find_delivery(tmp_path)
    assert matched(tmp_path) == {"sales.orders": ["order.JSON"], "sales.products": ["PRODUCT.csv"], "sales.customers": ["customers.Csv"]}
    assert found.ignored == ("notes.txt",)
    assert [file.spec.format for t in found.tables for file in t.files] == ["json", "csv", "csv"]


def test_a_configured_pattern_replaces_the_default_and_takes_the_format_from_the_suffix(tmp_path: Path) -> None:
    for name in ("Orders.json", "Products.csv", "clients_2026.xlsx", "Customer.xlsx"):
        (tmp_path / name).write_text("x")
    found = find_delivery(tmp_path, patterns={"customers": r"clients_\d{4}\.xlsx"})
    (customers,) = [t for t in found.tables if t.table.name == "customers"]
    assert [(file.name, file.spec.format) for file in customers.files] == [("clients_2026.xlsx", "excel")]
    assert found.ignored == ("Customer.xlsx",)
    assert matched(tmp_path, patterns={"sales.orders": r"orders\.json"})["sales.orders"] == ["Orders.json"]


def test_several_files_of_a_table_are_one_load_in_name_order(tmp_path: Path) -> None:
    for name in ("Products.csv", "Customer.xlsx", "orders_2.json", "orders_10.json", "orders_1.json"):
        (tmp_path / name).write_text("x")
    assert matched(tmp_path, patterns={"orders": r"orders_\d+\.json"})["sales.orders"] == ["orders_1.json", "orders_10.json", "orders_2.json"]


def test_a_missing_table_of_a_delivered_system_is_refused_with_its_pattern_and_the_files(tmp_path: Path) -> None:
    for name in ("Orders.json", "Products.csv"):
        (tmp_path / name).write_text("x")
    with pytest.raises(DeliveryError) as error:
        find_delivery(tmp_path)
    assert str(error.value) == (
        f"{tmp_path}: no file matches the pattern /customers?\\.xlsx/ or /customers?\\.csv/ (case-insensitive) of table "
        "'sales.customers'; files present: ['Orders.json', 'Products.csv']. Every table of a delivered system must be "
        "delivered: rename the file or pass --pattern sales.customers=REGEX (or land it as an increment: --increment)."
    )


def test_a_file_matching_two_tables_and_a_folder_matching_none_are_refused(tmp_path: Path) -> None:
    for name in ("Orders.json", "Products.csv", "Customer.xlsx"):
        (tmp_path / name).write_text("x")
    with pytest.raises(
        DeliveryError, match=r"file 'Orders.json' matches the patterns of several tables: 'sales.orders' .*'sales.products' \(/.\*\\.json/\)"
    ):
        find_delivery(tmp_path, patterns={"products": r".*\.json"})
    for name in ("Orders.json", "Products.csv", "Customer.xlsx"):
        (tmp_path / name).rename(tmp_path / f"{name}.bak")
    with pytest.raises(
        DeliveryError, match=r"no file matches a declared table; files present: \['Customer.xlsx.bak', 'Orders.json.bak', 'Products.csv.bak'\]"
    ):
        find_delivery(tmp_path)


def test_an_unknown_system_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeliveryError, match=r"^--system 'shop' is not a declared source system; declared: \['sales'\]$"):
        find_delivery(tmp_path, system="shop")


def test_json_numbers_land_with_their_exact_digits(delivery: Path, tmp_path: Path) -> None:
    write_orders(delivery, rows=[ORDER, {**ORDER, "Row ID": 8, "Profit": -0.00001, "Price": 1e21, "Discount": 0.10}])
    (delivery / "Orders.json").write_text((delivery / "Orders.json").read_text().replace('"Discount": 0.1', '"Discount": 0.10'))
    land_delivery(delivery, (tmp_path / "landing").as_uri(), loaded_at=LOADED_AT)
    first, second = landed_rows(tmp_path / "landing", "orders")
    assert (first["row_id"], first["profit"], first["price"], first["discount"]) == ("7", "41.9136", "573.174", "0.3")
    # json.dumps wrote -1e-05 and 1e+21: the same numbers, exactly, as Decimal writes them
    assert (second["profit"], second["price"], second["discount"]) == ("-0.00001", "1E+21", "0.10")
    assert [row["_source_position"] for row in (first, second)] == [0, 1]


def test_json_lines_keep_the_text_of_each_number(delivery: Path, tmp_path: Path) -> None:
    (delivery / "Orders.json").unlink()
    text_fields = json.dumps({key: ORDER[key] for key in ("Order ID", "Order Date", "Ship Date", "Ship Mode", "Customer ID", "Product ID")})
    lines = [
        '{"Row ID": 1, ' + text_fields[1:-1] + ', "Price": 1.50, "Profit": -2.005, "Discount": 1e3, "Quantity": true}',
        "",
        '{"Row ID": 2, "Price": NaN, "Profit": 12345678901234567890.123456789}',
    ]
    (delivery / "Orders.jsonl").write_text("\n".join(lines) + "\n")
    land_delivery(delivery, (tmp_path / "landing").as_uri(), loaded_at=LOADED_AT)
    first, second = landed_rows(tmp_path / "landing", "orders")
    assert (first["row_id"], first["price"], first["profit"], first["discount"], first["quantity"]) == ("1", "1.50", "-2.005", "1e3", "true")
    assert (first["order_id"], first["_source_file"], first["_source_position"]) == ("CA-2016-122581", "Orders.jsonl", 1)
    assert (second["price"], second["profit"], second["_source_position"]) == ("NaN", "12345678901234567890.123456789", 3)  # line 2 is blank
    assert second["order_id"] is None  # a key absent from the object


def test_csv_quoting_and_positions_survive_landing(delivery: Path, tmp_path: Path) -> None:
    multi_line = ["OFF-PA-10000001", "Office Supplies", "Paper", "Pad\nruled", "Ohio", "2.5"]
    write_csv(delivery / "Products.csv", PRODUCT_HEADER, [multi_line, PRODUCT_ROW, [""] * 6], bom=True)
    land_delivery(delivery, (tmp_path / "landing").as_uri(), loaded_at=LOADED_AT)
    first, second, third = landed_rows(tmp_path / "landing", "products")
    assert first["product_id"] == "OFF-PA-10000001"  # the byte-order mark is not part of the first header
    assert first["product_name"] == "Pad\nruled"
    assert second["product_name"] == 'Chair, "big" 8-1/2" x 11"'
    assert third["product_id"] == ""  # an empty field is empty text, as delivered
    assert [row["_source_position"] for row in (first, second, third)] == [2, 4, 5]  # record 1 spans lines 2-3


def test_excel_cells_land_as_the_text_a_reader_sees(delivery: Path, tmp_path: Path) -> None:
    bare = [*CUSTOMER_ROW[:3], 8307756431, *CUSTOMER_ROW[4:9], 2134, CUSTOMER_ROW[10]]
    negative = ["AB-10001", None, "x", -692810, "", "Corporate", "United States", "Reno", "Nevada", 89501.0, "West"]
    write_xlsx(delivery / "Customer.xlsx", CUSTOMER_HEADER, [bare, [None] * 11, negative])
    land_delivery(delivery, (tmp_path / "landing").as_uri(), loaded_at=LOADED_AT)
    first, second = landed_rows(tmp_path / "landing", "customers")
    assert (first["phone"], first["postal_code"], first["customer_name"]) == ("8307756431", "2134", "Peter Bühler")
    assert first["address"] == "1 Main St\nAustin"
    assert (second["phone"], second["postal_code"], second["customer_name"]) == ("-692810", "89501", None)
    assert [first["_source_position"], second["_source_position"]] == [2, 4]  # sheet rows; blank rows hold no record


def test_a_workbook_saved_by_excel_lands_its_shared_strings_rich_text_and_dates(delivery: Path, tmp_path: Path) -> None:
    header = "".join(f'<c r="{chr(65 + index)}1" t="s"><v>{index}</v></c>' for index in range(11))  # shared strings 0-10: the header
    shared = (
        [f"<t>{name}</t>" for name in CUSTOMER_HEADER]
        + [
            "<t>JK-15370</t>",  # 11
            '<r><t xml:space="preserve">Peter </t></r><r><rPr><b/></rPr><t>Bühler</t></r><rPh sb="0" eb="5"><t>ピーター</t></rPh>',  # 12: rich text, phonetic hint
        ]
    )
    row = (
        '<c r="A2" t="s"><v>11</v></c><c r="B2" t="s"><v>12</v></c><c r="C2" t="inlineStr"><is><t>p@example.com</t></is></c>'
        '<c r="D2"><v>8307756431</v></c><c r="F2" t="b"><v>1</v></c><c r="G2" s="1"><v>42370</v></c><c r="K2" t="e"><v>#N/A</v></c>'
    )
    write_excel_saved_xlsx(delivery / "Customer.xlsx", shared, [f'<row r="1">{header}</row>', f'<row r="2">{row}</row>'])
    land_delivery(delivery, (tmp_path / "landing").as_uri(), loaded_at=LOADED_AT)
    (landed,) = landed_rows(tmp_path / "landing", "customers")
    assert {column: landed[column] for column in CUSTOMER_COLUMNS} == {
        "customer_id": "JK-15370", "customer_name": "Peter Bühler", "email": "p@example.com", "phone": "8307756431", "address": None,
        "segment": "true", "country": "2016-01-01T00:00:00", "city": None, "state": None, "postal_code": None, "region": "#N/A",
    }  # fmt: skip
    assert landed["_source_position"] == 2


def test_the_sheet_is_the_first_whose_header_has_the_fields(delivery: Path, tmp_path: Path) -> None:
    workbook = delivery / "Customer.xlsx"
    write_xlsx(workbook, ["Notes"], [["exported 2026-11-01"]], sheets={"Customers": [CUSTOMER_HEADER, CUSTOMER_ROW]})
    land_delivery(delivery, (tmp_path / "landing").as_uri(), loaded_at=LOADED_AT)
    (row,) = landed_rows(tmp_path / "landing", "customers")
    assert (row["customer_id"], row["_source_file"], row["_source_position"]) == ("JK-15370", "Customer.xlsx", 2)


def test_a_load_keeps_the_originals_adds_lineage_and_leaves_no_temporary_folder(delivery: Path, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landed = land_delivery(delivery, landing.as_uri(), loaded_at=LOADED_AT)
    files = {"orders": "Orders.json", "products": "Products.csv", "customers": "Customer.xlsx"}
    assert [(table.system, table.table, table.status) for table in landed] == [("sales", name, "new") for name in files]
    for table in landed:
        (load,) = (landing / "sales" / table.table).iterdir()
        assert load.name == LOAD_ID == table.load_id
        assert sorted(path.relative_to(load).as_posix() for path in load.rglob("*") if path.is_file()) == [
            "_manifest.json", "data/part-00000.jsonl", f"source/{files[table.table]}"
        ]  # fmt: skip
        delivered = (delivery / files[table.table]).read_bytes()
        assert (load / "source" / files[table.table]).read_bytes() == delivered
        assert json.loads((load / "_manifest.json").read_text()) == {
            "system": "sales", "table": table.table, "delivery": "delivery", "load_id": LOAD_ID, "loaded_at": LOADED_AT_TEXT,
            "files": [{"name": files[table.table], "sha256": hashlib.sha256(delivered).hexdigest(), "bytes": len(delivered),
                       "rows_read": 1, "extra_fields": [], "sheets": []}],
            "rows_read": 1, "location": load.as_uri() + "/data", "load_kind": "full",
            "parts": [{"name": "part-00000.jsonl", "bytes": len(part := (load / "data/part-00000.jsonl").read_bytes()),
                       "sha256": hashlib.sha256(part).hexdigest()}],
        }  # fmt: skip
    (row,) = landed_rows(landing, "orders")
    assert list(row) == [*ORDER_COLUMNS, *LINEAGE]
    assert (row["_source_file"], row["_source_position"], row["_loaded_at"]) == ("Orders.json", 0, LOADED_AT_TEXT)
    assert list(landed_rows(landing, "products")[0]) == [*PRODUCT_COLUMNS, *LINEAGE]
    assert list(landed_rows(landing, "customers")[0]) == [*CUSTOMER_COLUMNS, *LINEAGE]
    assert load_log(landing) == [
        {"source_system": "sales", "source_table": table, "load_id": LOAD_ID, "delivery": "delivery", "source_file": name,
         "file_sha256": hashlib.sha256((delivery / name).read_bytes()).hexdigest(), "rows_read": 1, "loaded_at": LOADED_AT_TEXT, "load_kind": "full"}
        for table, name in sorted(files.items())
    ]  # fmt: skip
    assert sorted(path.name for path in (landing / "load_log").iterdir()) == [f"sales__{t}__{LOAD_ID}.jsonl" for t in sorted(files)]


def test_bronze_is_pointed_at_the_newest_load_of_every_table_and_the_load_log(delivery: Path, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    assert bronze_locations(landing.as_uri()) == {}
    first = {t.table: t for t in land_delivery(delivery, landing.as_uri(), loaded_at=LOADED_AT)}
    write_orders(delivery, rows=[{**ORDER, "Profit": 1.5}])
    second = {t.table: t for t in land_delivery(delivery, landing.as_uri())}
    assert second["orders"].load_id != first["orders"].load_id
    assert bronze_locations(landing.as_uri()) == {
        "sales.orders": [f"{landing.as_uri()}/sales/orders/{second['orders'].load_id}/data"],
        "sales.products": [f"{landing.as_uri()}/sales/products/{LOAD_ID}/data"],
        "sales.customers": [f"{landing.as_uri()}/sales/customers/{LOAD_ID}/data"],
        "landing.loads": [f"{landing.as_uri()}/load_log"],
    }


def test_bronze_reads_the_newest_full_load_and_the_increments_after_it(delivery: Path, tmp_path: Path) -> None:
    landing = tmp_path / "landing"

    def land_orders(name: str, profit: float, *, increment: bool) -> str:
        write_orders(delivery, rows=[{**ORDER, "Profit": profit}])
        landed = {table.table: table for table in land_delivery(delivery, landing.as_uri(), delivery=name, increment=increment)}
        return landed["orders"].load_id

    def orders_read() -> list[str]:
        return [location.rsplit("/", 2)[1] for location in bronze_locations(landing.as_uri())["sales.orders"]]

    monday = land_orders("monday", 1.0, increment=False)
    assert orders_read() == [monday]
    # an increment of the order lines alone: products and customers keep their full load
    for name in ("Products.csv", "Customer.xlsx"):
        (delivery / name).unlink()
    tuesday = land_orders("tuesday", 2.0, increment=True)
    wednesday = land_orders("wednesday", 3.0, increment=True)
    assert orders_read() == [monday, tuesday, wednesday]
    # tuesday's increment delivered again with a change: its new load replaces the old one, in landing order
    tuesday_again = land_orders("tuesday", 2.5, increment=True)
    assert orders_read() == [monday, wednesday, tuesday_again]
    assert [line["load_kind"] for line in load_log(landing) if line["source_table"] == "orders"] == ["full", "increment", "increment", "increment"]
    # a full extract starts over: the loads before it stay archived, unread
    write_delivery(delivery)
    thursday = land_orders("thursday", 4.0, increment=False)
    assert orders_read() == [thursday]
    assert len(load_dirs(landing, "orders")) == 5


def test_the_cli_says_which_file_feeds_which_table_and_what_it_landed(delivery: Path, own_lake: Path) -> None:
    (delivery / "notes.txt").write_text("not data")
    write_csv(delivery / "Products.csv", [*PRODUCT_HEADER, "Supplier"], [[*PRODUCT_ROW, "Acme"], [*PRODUCT_ROW, "Acme"]])
    result = CliRunner().invoke(main, ["load", "--source", str(delivery), "--no-register"])
    assert result.exit_code == 0, result.output
    (load,) = load_dirs(own_lake / "landing", "orders")
    lines = result.output.splitlines()
    assert lines[:5] == [
        f"Delivery 'delivery' from {delivery}:",
        "  sales.orders    <- Orders.json",
        "  sales.products  <- Products.csv",
        "  sales.customers <- Customer.xlsx",
        "  ignored (no declared table matches): notes.txt",
    ]
    assert [line.split() for line in lines[6:10]] == [
        ["system", "table", "files", "rows", "read", "load", "status"],
        ["sales", "orders", "1", "1", load.name, "new"],
        ["sales", "products", "1", "2", load.name, "new"],
        ["sales", "customers", "1", "1", load.name, "new"],
    ]
    assert lines[10] == (
        "  sales.products: schema drift: Products.csv has columns outside the declaration ['Supplier']; "
        "landed without them (kept in the archived original)"
    )
    again = CliRunner().invoke(main, ["load", "--source", str(delivery), "--no-register"])
    assert f"unchanged: already landed as load {load.name}" in again.output and "schema drift" not in again.output


def test_the_cli_reports_a_refused_delivery_in_one_line_and_exits_non_zero(tmp_path: Path) -> None:
    (tmp_path / "Orders.json").write_text("[]")
    result = CliRunner().invoke(main, ["load", "--source", str(tmp_path), "--no-register"])
    assert result.exit_code == 1
    (line,) = result.output.splitlines()
    assert line.startswith("error: ") and "'sales.products'" in line and "'sales.customers'" in line


def test_the_selector_names_the_systems_that_have_a_committed_load(delivery: Path) -> None:
    empty = CliRunner().invoke(main, ["selector"])
    assert empty.exit_code == 1
    assert empty.output.startswith("error: no source system has a committed load in file://")
    assert CliRunner().invoke(main, ["load", "--source", str(delivery), "--no-register"]).exit_code == 0
    result = CliRunner().invoke(main, ["selector"])
    assert (result.exit_code, result.output) == (0, "@source:sales\n")


def profiles(folder: Path, outputs: str) -> Path:
    folder.mkdir()
    (folder / "profiles.yml").write_text(f"ecommerce_sales:\n  target: prod\n  outputs:\n{outputs}", encoding="utf-8")
    return folder


def test_the_target_s_type_not_its_name_decides_whether_it_reads_the_landing_zone(tmp_path: Path, monkeypatch, delivery: Path) -> None:
    folder = profiles(
        tmp_path / "profiles",
        "    prod: {type: databricks, host: h, http_path: p, token: t, schema: silver}\n"
        "    databricks: {type: spark, method: session, host: localhost, schema: silver}\n",
    )
    monkeypatch.setenv("DBT_PROFILES_DIR", str(folder))
    refused = CliRunner().invoke(main, ["load", "--source", str(delivery), "--target", "prod"])
    assert refused.exit_code == 1
    assert refused.output.startswith("error: target 'prod' (type databricks) cannot read the local landing zone file://")
    assert "set SALES_LANDING_URL to a Unity Catalog volume (/Volumes/<catalog>/<schema>/<volume>/landing)" in refused.output
    monkeypatch.setenv("DBT_TARGET", "prod")  # the default target: $DBT_TARGET
    assert "target 'prod' (type databricks)" in CliRunner().invoke(main, ["load", "--source", str(delivery)]).output

    monkeypatch.setenv("SALES_LANDING_URL", "s3://bucket/landing")
    spark = CliRunner().invoke(main, ["load", "--source", str(delivery), "--target", "databricks"])
    assert spark.exit_code == 1
    assert spark.output.startswith("error: target 'databricks' (type spark) cannot read s3://bucket/landing: ")
    unknown = CliRunner().invoke(main, ["load", "--source", str(delivery), "--target", "staging"])
    assert (
        unknown.output
        == f"error: target 'staging' is not an output of profile 'ecommerce_sales' in {folder}/profiles.yml; outputs: ['databricks', 'prod']\n"
    )


def test_a_spark_target_lands_locally_whatever_its_name(tmp_path: Path, monkeypatch, delivery: Path, own_lake: Path) -> None:
    monkeypatch.setenv("DBT_PROFILES_DIR", str(profiles(tmp_path / "profiles", "    databricks: {type: spark, method: session, host: localhost}\n")))
    registered = []
    monkeypatch.setattr("ingestion.cli.register_bronze_tables", lambda locations, target: registered.append((target, sorted(locations))))
    result = CliRunner().invoke(main, ["load", "--source", str(delivery), "--target", "databricks"])
    assert result.exit_code == 0, result.output
    assert registered == [("databricks", ["landing.loads", "sales.customers", "sales.orders", "sales.products"])]


def test_bronze_parts_are_bounded_and_hold_every_row_once(delivery: Path, tmp_path: Path) -> None:
    write_orders(delivery, rows=[{**ORDER, "Row ID": row_id} for row_id in range(100, 140)])
    landing = tmp_path / "landing"
    (orders, *_) = land_delivery(delivery, landing.as_uri(), loaded_at=LOADED_AT, part_bytes=1000)
    (load,) = load_dirs(landing, "orders")
    parts = sorted((load / "data").iterdir())
    first_row = (
        '{"row_id":"100","order_id":"CA-2016-122581","order_date":"21/8/2016","ship_date":"25/8/2016","ship_mode":"Standard Class",'
        '"customer_id":"JK-15370","product_id":"FUR-CH-10002961","quantity":"3","price":"573.174","discount":"0.3","profit":"41.9136",'
        '"_source_file":"Orders.json","_source_position":0,"_loaded_at":"2026-11-01T08:30:00.000000+00:00"}\n'
    )
    assert parts[0].read_text().startswith(first_row) and len(first_row) == 346  # 347 from position 10 on: 2 rows fit in 1000 bytes
    assert [part.name for part in parts] == [f"part-{index:05d}.jsonl" for index in range(20)]
    # the manifest names each part with its size and SHA-256, as read from the disk here
    assert json.loads((load / "_manifest.json").read_text())["parts"] == [
        {"name": part.name, "bytes": part.stat().st_size, "sha256": hashlib.sha256(part.read_bytes()).hexdigest()} for part in parts
    ]
    assert len(orders.parts) == 20
    assert [part.stat().st_size for part in parts] == [692] * 5 + [694] * 15
    assert [(row["row_id"], row["_source_position"]) for row in landed_rows(landing, "orders")] == [(str(100 + n), n) for n in range(40)]


def test_tables_landed_in_two_processes_land_as_in_one(delivery: Path, tmp_path: Path) -> None:
    write_orders(delivery, rows=[{**ORDER, "Row ID": row_id} for row_id in range(500)])
    one, two = tmp_path / "one", tmp_path / "two"
    land_delivery(delivery, one.as_uri(), loaded_at=LOADED_AT, workers=1)
    land_delivery(delivery, two.as_uri(), loaded_at=LOADED_AT, workers=2, part_bytes=50_000)
    for table in ("orders", "products", "customers"):
        (first,), (second,) = load_dirs(one, table), load_dirs(two, table)
        assert landed_rows(one, table) == landed_rows(two, table)
        assert (first / "source").iterdir().__next__().read_bytes() == (second / "source").iterdir().__next__().read_bytes()
    assert len(list((load_dirs(two, "orders")[0] / "data").iterdir())) == 4  # 500 rows of 346 to 348 bytes, 143 to a part of 50 kB


def test_a_second_run_on_the_same_lake_stops_at_once_naming_the_lock_and_its_holder(delivery: Path, own_lake: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom ingestion.land import lake_lock\nwith lake_lock():\n    print('held', flush=True)\n    time.sleep(120)\n"],
        cwd=PROJECT_DIR, env=os.environ.copy(), stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == "held\n"
        started = time.monotonic()
        second = subprocess.run(
            [sys.executable, "-m", "ingestion", "load", "--source", str(delivery), "--no-register"],
            cwd=PROJECT_DIR, env=os.environ.copy(), capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert time.monotonic() - started < 60  # it does not wait for the lock (the holder sleeps for 120 s)
    finally:
        holder.kill()
        holder.wait()
    assert (second.returncode, second.stdout) == (1, "")
    assert second.stderr.splitlines() == [
        (
            f"error: another ingestion run holds the lock {own_lake / 'ingestion.lock'} (pid {holder.pid}); "
            "one run per lake at a time: wait for it to finish"
        )
    ]
    assert not (own_lake / "landing").exists()
    assert CliRunner().invoke(main, ["load", "--source", str(delivery), "--no-register"]).exit_code == 0  # the lock died with its holder

"""The bad-input corpus: each case builds its input here, lands it, and asserts the exact outcome
(the message, or the quarantine row and its reason) and that the good records of the same file
still arrive. docs/bad_input.md lists the cases, one line each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingestion.contract import CUSTOMERS, PRODUCTS
from ingestion.land import land_delivery
from ingestion.readers import DeliveryError
from ingestion.tests.deliveries import CUSTOMER_ROW, LOADED_AT, ORDER, PRODUCT_ROW, landed_rows, write_csv, write_orders, write_xlsx

GOOD_ORDERS = [{**ORDER, "Row ID": row_id} for row_id in range(1, 40)]  # 39 good lines: one bad line is < 5%


def land(delivery: Path, tmp_path: Path, **options):
    landing = tmp_path / "landing"
    landed = land_delivery(delivery, landing.as_uri(), loaded_at=LOADED_AT, **options)
    return {table.table: table for table in landed}, landing


def quarantine(landing: Path, table: str) -> list[tuple[int, str]]:
    return [(row["_source_position"], row["reason"]) for row in landed_rows(landing, table, "quarantine")]


def loaded_keys(landing: Path, table: str, column: str) -> list[str]:
    return [row[column] for row in landed_rows(landing, table)]


def assert_nothing_landed(tmp_path: Path) -> None:
    assert not any((tmp_path / "landing").rglob("*.jsonl"))


# --- file-level problems: a clear error, nothing landed ------------------------------------------


def test_missing_file(delivery: Path, tmp_path: Path) -> None:
    (delivery / "Orders.json").unlink()
    with pytest.raises(DeliveryError, match=r"no file matches the pattern /orders\?\\\.json/ .* of table 'orders'"):
        land(delivery, tmp_path)
    assert_nothing_landed(tmp_path)


def test_empty_file(delivery: Path, tmp_path: Path) -> None:
    (delivery / "Products.csv").write_bytes(b"")
    with pytest.raises(DeliveryError, match=r"^Products.csv: the file is empty$"):
        land(delivery, tmp_path)
    assert_nothing_landed(tmp_path)


def test_json_that_is_neither_an_array_nor_json_lines(delivery: Path, tmp_path: Path) -> None:
    (delivery / "Orders.json").write_text('"just a string"')
    with pytest.raises(DeliveryError, match=r"^Orders.json: expected a JSON array of objects or JSON lines"):
        land(delivery, tmp_path)
    assert_nothing_landed(tmp_path)


def test_broken_json_array(delivery: Path, tmp_path: Path) -> None:
    (delivery / "Orders.json").write_text('[\n  {"Row ID": 1,\n  "Order ID": }\n]')
    with pytest.raises(DeliveryError, match=r"^Orders.json: not valid JSON at line 3, column 15 \(Expecting value\)"):
        land(delivery, tmp_path)
    assert_nothing_landed(tmp_path)


def test_csv_missing_required_columns(delivery: Path, tmp_path: Path) -> None:
    header = [name for name in PRODUCTS.source_names if name not in ("State", "Price per product")]
    write_csv(delivery / "Products.csv", header, [PRODUCT_ROW[:4]])
    with pytest.raises(DeliveryError) as error:
        land(delivery, tmp_path)
    assert str(error.value) == (
        "Products.csv: missing required columns ['State', 'Price per product'] for table 'products'; "
        f"expected {list(PRODUCTS.source_names)}, found {header}"
    )
    assert_nothing_landed(tmp_path)


def test_workbook_without_the_expected_sheet_header(delivery: Path, tmp_path: Path) -> None:
    write_xlsx(delivery / "Customer.xlsx", ["Customer ID", "Name"], [["JK-1", "Jo"]])
    with pytest.raises(DeliveryError, match=r"^Customer.xlsx: no sheet has the columns of table 'customers'"):
        land(delivery, tmp_path)
    assert_nothing_landed(tmp_path)


def test_file_named_xlsx_that_is_not_a_workbook(delivery: Path, tmp_path: Path) -> None:
    (delivery / "Customer.xlsx").write_text("Customer ID,Customer Name\n")
    with pytest.raises(DeliveryError, match=r"^Customer.xlsx: not a readable .xlsx workbook \(BadZipFile"):
        land(delivery, tmp_path)
    assert_nothing_landed(tmp_path)


def test_latin1_file_is_detected_and_refused(delivery: Path, tmp_path: Path) -> None:
    header = ",".join(PRODUCTS.source_names)
    (delivery / "Products.csv").write_bytes(f"{header}\nFUR-CH-1,Furniture,Chairs,Café,Texas,1\n".encode("latin-1"))
    with pytest.raises(DeliveryError) as error:
        land(delivery, tmp_path)
    assert str(error.value) == (
        "Products.csv: not UTF-8 text: byte 0xE9 at offset 99 is invalid in UTF-8 (in Latin-1 it would be 'é', "
        "so the file looks Latin-1 / Windows-1252 encoded). Re-export it as UTF-8; nothing of it was landed."
    )
    assert_nothing_landed(tmp_path)


def test_too_many_bad_records_refuse_the_file_unless_the_limit_is_raised(delivery: Path, tmp_path: Path) -> None:
    write_orders(delivery, rows=[*GOOD_ORDERS[:9], {**ORDER, "Row ID": 99, "Quantity": "three"}])  # 1 of 10 = 10%
    with pytest.raises(DeliveryError) as error:
        land(delivery, tmp_path)
    assert str(error.value) == (
        "Orders.json: 1 of 10 records (10.0%) fail their checks, above the limit of 5%; nothing of the delivery was "
        "landed. First reasons: array index 9: Quantity 'three' is not a whole number. Fix the file, or raise the "
        "limit with --max-quarantine-share."
    )
    assert_nothing_landed(tmp_path)
    landed, landing = land(delivery, tmp_path, max_quarantine_share=0.2)
    assert (landed["orders"].rows_loaded, landed["orders"].rows_quarantined) == (9, 1)


# --- record-level problems: quarantined with the reason, the good records load ------------------


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        ({"Order Date": "2016-08-21"}, "Order Date '2016-08-21' is not a d/M/yyyy date"),
        ({"Ship Date": "31/2/2016"}, "Ship Date '31/2/2016' is not a d/M/yyyy date"),
        ({"Quantity": 2.5}, "Quantity '2.5' is not a whole number"),
        ({"Price": "n/a", "Profit": "12,5"}, "Price 'n/a' is not a number; Profit '12,5' is not a number"),
        ({"Row ID": None}, "missing Row ID"),
        ({"Customer ID": "  "}, "missing Customer ID"),
    ],
    ids=["iso-date", "impossible-date", "fractional-quantity", "non-numeric-amounts", "null-key", "blank-customer"],
)
def test_untypeable_or_incomplete_order_line(delivery: Path, tmp_path: Path, bad_line: dict, reason: str) -> None:
    write_orders(delivery, rows=[*GOOD_ORDERS, {**ORDER, "Row ID": 100, **bad_line}])
    landed, landing = land(delivery, tmp_path)
    assert quarantine(landing, "orders") == [(39, reason)]
    assert loaded_keys(landing, "orders", "row_id") == [str(row["Row ID"]) for row in GOOD_ORDERS]
    assert (landed["orders"].rows_read, landed["orders"].rows_loaded, landed["orders"].rows_quarantined) == (40, 39, 1)


def test_missing_key_in_the_customer_sheet(delivery: Path, tmp_path: Path) -> None:
    rows = [[f"C-{n}", *CUSTOMER_ROW[1:]] for n in range(30)] + [[None, *CUSTOMER_ROW[1:]]]
    write_xlsx(delivery / "Customer.xlsx", list(CUSTOMERS.source_names), rows)
    landed, landing = land(delivery, tmp_path)
    assert quarantine(landing, "customers") == [(32, "missing Customer ID")]  # header row 1, data from row 2
    assert len(loaded_keys(landing, "customers", "customer_id")) == 30


def test_malformed_json_line_and_non_object_in_json_lines(delivery: Path, tmp_path: Path) -> None:
    lines = [json.dumps(row) for row in GOOD_ORDERS] + ['{"Row ID": 200, "Order ID": ', "[1, 2]"]
    (delivery / "Orders.json").unlink()
    (delivery / "Orders.jsonl").write_text("\n".join(lines) + "\n")
    landed, landing = land(delivery, tmp_path, patterns={"orders": r"orders\.jsonl"}, max_quarantine_share=0.1)
    assert quarantine(landing, "orders") == [
        (40, "malformed JSON (Expecting value at column 29)"),
        (41, "a JSON list, not an object"),
    ]
    assert landed["orders"].rows_loaded == 39


def test_array_element_that_is_not_an_object(delivery: Path, tmp_path: Path) -> None:
    write_orders(delivery, rows=[*GOOD_ORDERS, "CA-2016-1"])
    landed, landing = land(delivery, tmp_path)
    assert quarantine(landing, "orders") == [(39, "a JSON str, not an object")]
    assert landed["orders"].rows_loaded == 39


def test_csv_record_with_the_wrong_number_of_fields(delivery: Path, tmp_path: Path) -> None:
    rows = [[f"FUR-CH-{n}", *PRODUCT_ROW[1:]] for n in range(30)] + [["FUR-CH-99", "Furniture", "Chairs"]]
    write_csv(delivery / "Products.csv", list(PRODUCTS.source_names), rows)
    landed, landing = land(delivery, tmp_path)
    assert quarantine(landing, "products") == [(32, "3 fields where the header has 6")]
    (row,) = landed_rows(landing, "products", "quarantine")
    assert json.loads(row["raw_record"]) == ["FUR-CH-99", "Furniture", "Chairs"]
    assert landed["products"].rows_loaded == 30


def test_same_row_id_with_different_content_quarantines_every_copy(delivery: Path, tmp_path: Path) -> None:
    conflicting = [{**ORDER, "Row ID": 500, "Quantity": quantity} for quantity in (1, 2)]
    write_orders(delivery, rows=[*GOOD_ORDERS, *conflicting, *[{**ORDER, "Row ID": n} for n in range(40, 60)]])
    landed, landing = land(delivery, tmp_path)
    reason = "Row ID 500 appears on 2 records with different content (array index 39, 40)"
    assert quarantine(landing, "orders") == [(39, reason), (40, reason)]
    assert "500" not in loaded_keys(landing, "orders", "row_id")
    assert landed["orders"].rows_loaded == 59


def test_exact_duplicate_loads_once_and_is_counted(delivery: Path, tmp_path: Path) -> None:
    write_orders(delivery, rows=[*GOOD_ORDERS, GOOD_ORDERS[3]])
    landed, landing = land(delivery, tmp_path)
    assert quarantine(landing, "orders") == [(39, "exact duplicate of array index 3")]
    orders = landed["orders"]
    assert (orders.rows_read, orders.rows_loaded, orders.rows_quarantined, orders.rows_duplicate) == (40, 39, 0, 1)


def test_repeat_purchase_under_a_new_row_id_is_kept_and_reported(delivery: Path, tmp_path: Path) -> None:
    write_orders(delivery, rows=[{**ORDER, "Row ID": 1}, {**ORDER, "Row ID": 2}, {**ORDER, "Row ID": 3, "Quantity": 9}])
    landed, landing = land(delivery, tmp_path)
    assert loaded_keys(landing, "orders", "row_id") == ["1", "2", "3"]
    assert landed["orders"].repeat_lines == 2


def test_extra_columns_are_landed_and_reported_as_schema_drift(delivery: Path, tmp_path: Path) -> None:
    write_csv(delivery / "Products.csv", [*PRODUCTS.source_names, "Supplier"], [[*PRODUCT_ROW, "Acme"]])
    landed, landing = land(delivery, tmp_path)
    assert landed["products"].extra_fields == ("Supplier",)
    assert landed_rows(landing, "products")[0]["product_id"] == PRODUCT_ROW[0]
    (load,) = (landing / "sales/products").iterdir()
    assert "Supplier" in (load / "source/Products.csv").read_text()


def test_customer_csv_with_byte_order_mark(delivery: Path, tmp_path: Path) -> None:
    (delivery / "Customer.xlsx").unlink()
    write_csv(delivery / "Customer.csv", list(CUSTOMERS.source_names), [CUSTOMER_ROW], bom=True)
    landed, landing = land(delivery, tmp_path)
    assert loaded_keys(landing, "customers", "customer_id") == [CUSTOMER_ROW[0]]


# --- re-runs: idempotent, explicit replacement ---------------------------------------------------


def test_landing_the_same_files_again_lands_nothing_new(delivery: Path, tmp_path: Path) -> None:
    first, landing = land(delivery, tmp_path)
    again = {t.table: t for t in land_delivery(delivery, landing.as_uri())}
    for table in ("orders", "products", "customers"):
        assert again[table].load_id == first[table].load_id
        assert again[table].status == f"unchanged: already landed as load {first[table].load_id}"
        assert len(list((landing / "sales" / table).iterdir())) == 1


def test_a_corrected_file_for_the_same_delivery_replaces_the_earlier_load(delivery: Path, tmp_path: Path) -> None:
    first, landing = land(delivery, tmp_path)
    write_orders(delivery, rows=[{**ORDER, "Profit": 1.5}])
    again = {t.table: t for t in land_delivery(delivery, landing.as_uri())}
    assert again["orders"].status == f"replaces load {first['orders'].load_id} of delivery 'delivery' (content changed)"
    assert again["products"].status.startswith("unchanged")
    assert sorted(path.name for path in (landing / "sales/orders").iterdir()) == sorted(
        [first["orders"].load_id, again["orders"].load_id]
    )


def test_an_interrupted_load_is_cleared_and_never_read(delivery: Path, tmp_path: Path) -> None:
    leftover = tmp_path / "landing/sales/orders/_tmp_20261101T000000000000Z/data"
    leftover.mkdir(parents=True)
    (leftover / "part-00000.jsonl").write_text('{"row_id": "half a rec')
    landed, landing = land(delivery, tmp_path)
    assert not leftover.parent.exists()
    assert landed["orders"].location.endswith(f"/{landed['orders'].load_id}/data")


# --- hostile names -------------------------------------------------------------------------------


def test_hostile_file_name_is_refused(delivery: Path, tmp_path: Path) -> None:
    (delivery / "Orders.json").rename(delivery / "Orders';drop table x;--.json")
    with pytest.raises(DeliveryError, match=r"refusing file name \"Orders';drop table x;--.json\" for table 'orders'"):
        land(delivery, tmp_path, patterns={"orders": r"orders.*\.json"})
    assert_nothing_landed(tmp_path)


def test_hostile_landing_url_and_delivery_name_are_refused(delivery: Path, tmp_path: Path) -> None:
    with pytest.raises(DeliveryError, match=r"^refusing landing URL \"file:///tmp/x'; drop table y"):
        land_delivery(delivery, "file:///tmp/x'; drop table y")
    with pytest.raises(DeliveryError, match=r"^refusing landing URL 'file:///tmp/lake/../../etc'"):
        land_delivery(delivery, "file:///tmp/lake/../../etc")
    with pytest.raises(DeliveryError, match=r"^refusing delivery name '../up'"):
        land_delivery(delivery, (tmp_path / "landing").as_uri(), delivery="../up")


def test_unknown_table_in_a_pattern_is_refused(delivery: Path, tmp_path: Path) -> None:
    with pytest.raises(DeliveryError, match=r"--pattern names unknown tables \['orders; drop'\]"):
        land(delivery, tmp_path, patterns={"orders; drop": ".*"})


def test_every_record_read_is_loaded_or_quarantined(delivery: Path, tmp_path: Path) -> None:
    rows = [*GOOD_ORDERS, GOOD_ORDERS[0], {**ORDER, "Row ID": 300, "Order Date": "x"}, *GOOD_ORDERS[5:8]]
    write_orders(delivery, rows=[*rows, *[{**ORDER, "Row ID": n} for n in range(400, 460)]])
    landed, landing = land(delivery, tmp_path)
    orders = landed["orders"]
    read = len(json.loads((delivery / "Orders.json").read_text()))
    assert read == orders.rows_read == orders.rows_loaded + orders.rows_quarantined + orders.rows_duplicate
    assert read == len(landed_rows(landing, "orders")) + len(landed_rows(landing, "orders", "quarantine"))

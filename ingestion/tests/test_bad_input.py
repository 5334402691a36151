"""The bad-input corpus, landing's part: each case builds its input here, lands it and asserts the
exact outcome. A problem with a file refuses the whole delivery with a one-line message (nothing
committed); a record Python cannot read lands as a bronze row with its raw text and read problem,
beside the good records. Typing, required values and key conflicts are dbt's (pipeline_tests).
docs/bad_input.md lists the cases, one line each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingestion.find import DeliveryError
from ingestion.land import land_delivery
from ingestion.tests.deliveries import (
    CUSTOMER_HEADER,
    CUSTOMER_ROW,
    LOADED_AT,
    ORDER,
    PRODUCT_HEADER,
    PRODUCT_ROW,
    landed_rows,
    load_dirs,
    load_log,
    write_csv,
    write_orders,
    write_xlsx,
)

GOOD_ORDERS = [{**ORDER, "Row ID": row_id} for row_id in range(1, 40)]


def land(delivery: Path, tmp_path: Path, **options):
    landing = tmp_path / "landing"
    landed = land_delivery(delivery, landing.as_uri(), loaded_at=LOADED_AT, **options)
    return {table.table: table for table in landed}, landing


def refused(delivery: Path, tmp_path: Path, **options) -> str:
    """The one-line message a refused delivery gets; and nothing of it was committed."""
    with pytest.raises(DeliveryError) as error:
        land(delivery, tmp_path, **options)
    message = str(error.value)
    assert "\n" not in message
    landing = tmp_path / "landing"
    assert not any(landing.rglob("*.jsonl")) and not any(landing.rglob("_manifest.json"))
    assert not [path for path in landing.glob("*/*/*") if path.is_dir()]  # no load folder, not even a temporary one
    return message


def read_problems(landing: Path, table: str) -> list[tuple[int, str, str]]:
    return [(row["_source_position"], row["_read_problem"], row["_raw_record"]) for row in landed_rows(landing, table) if "_read_problem" in row]


# --- file-level problems: a one-line error, nothing committed ------------------------------------


def test_missing_file(delivery: Path, tmp_path: Path) -> None:
    (delivery / "Orders.json").unlink()
    assert refused(delivery, tmp_path).startswith(
        f"{delivery}: no file matches the pattern /orders?\\.jsonl?/ (case-insensitive) of table 'sales.orders'"
    )


def test_empty_file(delivery: Path, tmp_path: Path) -> None:
    (delivery / "Products.csv").write_bytes(b"")
    assert refused(delivery, tmp_path) == "Products.csv: the file is empty"


def test_json_that_is_neither_an_array_nor_json_lines(delivery: Path, tmp_path: Path) -> None:
    (delivery / "Orders.json").write_text('  "just a string"')
    assert refused(delivery, tmp_path) == "Orders.json: expected a JSON array of objects or JSON lines (one object per line)"


def test_broken_json_array(delivery: Path, tmp_path: Path) -> None:
    # the "}" on line 3 is byte 32: "[\n" is 2 bytes, '  {"Row ID": 1,\n' 16, then 14 before it
    (delivery / "Orders.json").write_text('[\n  {"Row ID": 1,\n  "Order ID": }\n]')
    assert refused(delivery, tmp_path) == (
        "Orders.json: not valid JSON at line 3, column 15 (byte offset 32) (parse error: unallowed token at this point in JSON text). "
        "One broken object makes a JSON array unreadable; fix the file, or deliver JSON lines, where a broken line is quarantined"
    )


def test_json_array_cut_short(delivery: Path, tmp_path: Path) -> None:
    text = json.dumps(GOOD_ORDERS, indent=2)[:-40]
    (delivery / "Orders.json").write_text(text)
    message = refused(delivery, tmp_path)
    assert message.startswith(f"Orders.json: not valid JSON at the end of the file (byte offset {len(text)}) (parse error: premature EOF)")


def test_csv_missing_declared_columns(delivery: Path, tmp_path: Path) -> None:
    header = [name for name in PRODUCT_HEADER if name not in ("State", "Price per product")]
    write_csv(delivery / "Products.csv", header, [PRODUCT_ROW[:4]])
    assert refused(delivery, tmp_path) == (
        f"Products.csv: missing columns ['State', 'Price per product'] of table 'sales.products'; expected {PRODUCT_HEADER}, found {header}"
    )


def test_json_without_a_declared_field_on_any_record(delivery: Path, tmp_path: Path) -> None:
    write_orders(delivery, rows=[{key: value for key, value in row.items() if key != "Ship Mode"} for row in GOOD_ORDERS])
    message = refused(delivery, tmp_path)
    assert message.startswith("Orders.json: no record has the fields ['Ship Mode'] of table 'sales.orders'; expected ['Row ID', 'Order ID',")


def test_workbook_without_the_expected_sheet_header(delivery: Path, tmp_path: Path) -> None:
    write_xlsx(delivery / "Customer.xlsx", ["Customer ID", "Name"], [["JK-1", "Jo"]])
    assert refused(delivery, tmp_path).startswith(
        "Customer.xlsx: no sheet has the columns of table 'sales.customers' ['Customer ID', 'Customer Name', 'email', "
    )


def test_file_named_xlsx_that_is_not_a_workbook(delivery: Path, tmp_path: Path) -> None:
    (delivery / "Customer.xlsx").write_text("Customer ID,Customer Name\n")
    assert refused(delivery, tmp_path).startswith("Customer.xlsx: not a readable .xlsx workbook (BadZipFile")


def test_latin1_file_is_detected_and_refused(delivery: Path, tmp_path: Path) -> None:
    header = ",".join(PRODUCT_HEADER)
    (delivery / "Products.csv").write_bytes(f"{header}\nFUR-CH-1,Furniture,Chairs,Café,Texas,1\n".encode("latin-1"))
    assert refused(delivery, tmp_path) == (
        "Products.csv: not UTF-8 text: byte 0xE9 at offset 99 is invalid in UTF-8 (in Latin-1 it would be 'é', "
        "so the file looks Latin-1 / Windows-1252 encoded). Re-export it as UTF-8; nothing of it was landed."
    )


def test_latin1_byte_deep_in_a_json_array_is_named_by_its_offset_in_the_file(delivery: Path, tmp_path: Path) -> None:
    good = json.dumps(GOOD_ORDERS * 200, indent=2).encode()  # about 2.5 MB: the bad byte lies in a later chunk than the first
    # the "]" at the end of good is replaced: é is 20 bytes after its offset, len(good) - 1
    (delivery / "Orders.json").write_bytes(good[:-1] + b', {"Ship Mode": "Caf\xe9"}]')
    assert refused(delivery, tmp_path) == (
        f"Orders.json: not UTF-8 text: byte 0xE9 at offset {len(good) + 19} is invalid in UTF-8 (in Latin-1 it would be 'é', "
        "so the file looks Latin-1 / Windows-1252 encoded). Re-export it as UTF-8; nothing of it was landed."
    )


def test_latin1_json_line_is_named_by_its_offset_in_the_file(delivery: Path, tmp_path: Path) -> None:
    (delivery / "Orders.json").write_bytes(b'{"Row ID": 1}\n{"Ship Mode": "Caf\xe9"}\n')
    assert refused(delivery, tmp_path).startswith("Orders.json: not UTF-8 text: byte 0xE9 at offset 32 is invalid in UTF-8")


def test_one_refused_file_keeps_the_other_tables_of_the_delivery_out(delivery: Path, tmp_path: Path) -> None:
    write_orders(delivery, rows=GOOD_ORDERS)  # a good, larger orders file: landed in its temporary folder, then removed
    (delivery / "Customer.xlsx").write_text("not a workbook")
    assert refused(delivery, tmp_path, workers=1).startswith("Customer.xlsx: not a readable .xlsx workbook")
    assert refused(delivery, tmp_path, workers=2).startswith("Customer.xlsx: not a readable .xlsx workbook")


# --- records Python cannot read: bronze rows with their raw text and read problem -----------------


def test_malformed_json_line_and_non_object_in_json_lines(delivery: Path, tmp_path: Path) -> None:
    lines = [json.dumps(row) for row in GOOD_ORDERS] + ['{"Row ID": 200, "Order ID": ', "[1, 2]", '"CA-1"']
    (delivery / "Orders.json").unlink()
    (delivery / "Orders.jsonl").write_text("\n".join(lines) + "\n")
    landed, landing = land(delivery, tmp_path)
    assert read_problems(landing, "orders") == [
        (40, "malformed JSON (Expecting value at column 29)", '{"Row ID": 200, "Order ID": '),
        (41, "a JSON list, not an object", "[1, 2]"),
        (42, "a JSON str, not an object", '"CA-1"'),
    ]
    rows = landed_rows(landing, "orders")
    assert [row["row_id"] for row in rows] == [*(str(n) for n in range(1, 40)), None, None, None]
    assert landed["orders"].rows_read == 42 == len(rows)
    broken = rows[39]
    assert all(broken[column] is None for column in ("row_id", "order_id", "profit"))
    assert list(broken)[-5:] == ["_source_file", "_source_position", "_raw_record", "_read_problem", "_loaded_at"]


def test_array_element_that_is_not_an_object(delivery: Path, tmp_path: Path) -> None:
    write_orders(delivery, rows=[*GOOD_ORDERS, "CA-2016-1", [1, 2.5], None])
    landed, landing = land(delivery, tmp_path)
    assert read_problems(landing, "orders") == [
        (39, "a JSON str, not an object", '"CA-2016-1"'),
        (40, "a JSON list, not an object", "[1, 2.5]"),
        (41, "a JSON null, not an object", "null"),
    ]
    assert landed["orders"].rows_read == 42


def test_csv_record_with_the_wrong_number_of_fields(delivery: Path, tmp_path: Path) -> None:
    rows = [[f"FUR-CH-{n}", *PRODUCT_ROW[1:]] for n in range(30)] + [["FUR-CH-99", "Furniture", "Chairs"]]
    write_csv(delivery / "Products.csv", PRODUCT_HEADER, rows)
    landed, landing = land(delivery, tmp_path)
    ((position, problem, raw),) = read_problems(landing, "products")
    assert (position, problem) == (32, "3 fields where the header has 6")
    assert json.loads(raw) == ["FUR-CH-99", "Furniture", "Chairs"]
    assert landed["products"].rows_read == 31


def test_extra_columns_are_left_out_and_reported_as_schema_drift(delivery: Path, tmp_path: Path) -> None:
    write_csv(delivery / "Products.csv", [*PRODUCT_HEADER, "Supplier"], [[*PRODUCT_ROW, "Acme"]])
    write_orders(delivery, rows=[{**ORDER, "Coupon": "X1"}, ORDER])
    landed, landing = land(delivery, tmp_path)
    assert [file.extra_fields for file in landed["products"].files] == [("Supplier",)]
    assert [file.extra_fields for file in landed["orders"].files] == [("Coupon",)]
    assert "supplier" not in landed_rows(landing, "products")[0] and "Coupon" not in landed_rows(landing, "orders")[0]
    (load,) = load_dirs(landing, "products")
    assert "Supplier" in (load / "source/Products.csv").read_text()
    assert json.loads((load / "_manifest.json").read_text())["files"][0]["extra_fields"] == ["Supplier"]


def test_a_header_only_file_is_a_load_of_zero_rows(delivery: Path, tmp_path: Path) -> None:
    write_csv(delivery / "Products.csv", PRODUCT_HEADER, [])
    write_orders(delivery, rows=[])
    landed, landing = land(delivery, tmp_path)
    assert (landed["products"].rows_read, landed["orders"].rows_read, len(landed["products"].parts)) == (0, 0, 1)
    (load,) = load_dirs(landing, "products")
    assert (load / "data/part-00000.jsonl").read_bytes() == b""
    assert [line["rows_read"] for line in load_log(landing) if line["source_table"] in ("orders", "products")] == [0, 0]


def test_customer_csv_with_byte_order_mark(delivery: Path, tmp_path: Path) -> None:
    (delivery / "Customer.xlsx").unlink()
    write_csv(delivery / "Customer.csv", CUSTOMER_HEADER, [CUSTOMER_ROW], bom=True)
    _, landing = land(delivery, tmp_path)
    assert [row["customer_id"] for row in landed_rows(landing, "customers")] == [CUSTOMER_ROW[0]]


# --- re-runs: idempotent, explicit replacement ---------------------------------------------------


def test_landing_the_same_files_again_lands_nothing_new(delivery: Path, tmp_path: Path) -> None:
    first, landing = land(delivery, tmp_path)
    again = {t.table: t for t in land_delivery(delivery, landing.as_uri())}
    for table in ("orders", "products", "customers"):
        assert again[table].load_id == first[table].load_id
        assert again[table].status == f"unchanged: already landed as load {first[table].load_id}"
        assert len(list((landing / "sales" / table).iterdir())) == 1
    assert len(load_log(landing)) == 3


def test_a_corrected_file_for_the_same_delivery_replaces_the_earlier_load(delivery: Path, tmp_path: Path) -> None:
    first, landing = land(delivery, tmp_path)
    write_orders(delivery, rows=[{**ORDER, "Profit": 1.5}])
    again = {t.table: t for t in land_delivery(delivery, landing.as_uri())}
    assert again["orders"].status == f"replaces load {first['orders'].load_id} of delivery 'delivery' (content changed)"
    assert again["products"].status.startswith("unchanged")
    assert [path.name for path in load_dirs(landing, "orders")] == [first["orders"].load_id, again["orders"].load_id]
    assert landed_rows(landing, "orders")[0]["profit"] == "1.5"


def test_going_back_to_earlier_content_is_a_new_load(delivery: Path, tmp_path: Path) -> None:
    _, landing = land(delivery, tmp_path)
    original = (delivery / "Orders.json").read_bytes()
    write_orders(delivery, rows=[{**ORDER, "Profit": 1.5}])
    land_delivery(delivery, landing.as_uri(), delivery="second")
    (delivery / "Orders.json").write_bytes(original)
    third = {t.table: t for t in land_delivery(delivery, landing.as_uri(), delivery="third")}
    assert third["orders"].status == "new"  # the current load is the second one: the first content is new again
    assert len(load_dirs(landing, "orders")) == 3


def test_an_interrupted_load_is_cleared_and_never_read(delivery: Path, tmp_path: Path) -> None:
    leftover = tmp_path / "landing/sales/orders/_tmp_20261101T000000000000Z/data"
    leftover.mkdir(parents=True)
    (leftover / "part-00000.jsonl").write_text('{"row_id": "half a rec')
    unmarked = tmp_path / "landing/sales/orders/20261031T000000000000Z/data"
    unmarked.mkdir(parents=True)
    landed, _ = land(delivery, tmp_path)
    assert not leftover.parent.exists() and not unmarked.parent.exists()
    assert landed["orders"].location.endswith(f"/{landed['orders'].load_id}/data")


def test_a_missing_load_log_file_is_written_by_the_next_run(delivery: Path, tmp_path: Path) -> None:
    first, landing = land(delivery, tmp_path)
    log_file = landing / f"load_log/sales__orders__{first['orders'].load_id}.jsonl"
    expected = log_file.read_bytes()
    log_file.unlink()  # as when a run is killed between the manifest and the load-log file
    again = {t.table: t for t in land_delivery(delivery, landing.as_uri())}
    assert again["orders"].status.startswith("unchanged")
    assert log_file.read_bytes() == expected


# --- hostile names -------------------------------------------------------------------------------


def test_hostile_file_name_is_refused(delivery: Path, tmp_path: Path) -> None:
    (delivery / "Orders.json").rename(delivery / "Orders';drop table x;--.json")
    assert "refusing file name \"Orders';drop table x;--.json\" for table 'sales.orders'" in refused(
        delivery, tmp_path, patterns={"orders": r"orders.*\.json"}
    )


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

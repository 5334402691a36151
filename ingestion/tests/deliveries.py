"""Small hand-written deliveries for the landing tests: every expected value is known in advance."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl

from ingestion.contract import CUSTOMERS, PRODUCTS

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


def write_delivery(folder: Path) -> Path:
    """A valid delivery of one record per table."""
    folder.mkdir(parents=True, exist_ok=True)
    write_orders(folder)
    write_csv(folder / "Products.csv", list(PRODUCTS.source_names), [PRODUCT_ROW])
    write_xlsx(folder / "Customer.xlsx", list(CUSTOMERS.source_names), [CUSTOMER_ROW])
    return folder


def landed_rows(landing: Path, table: str, part: str = "data") -> list[dict]:
    """The rows of a table's only load: ``part`` is data (loaded) or quarantine."""
    (load,) = (path for path in (landing / "sales" / table).iterdir() if not path.name.startswith("_"))
    return [json.loads(line) for line in (load / part / "part-00000.jsonl").read_text(encoding="utf-8").splitlines()]

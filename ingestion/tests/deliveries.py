"""Small hand-written deliveries for the landing tests: every expected value is known in advance.

The headers and bronze columns are written out here, not read from the declaration, so a test
fails when the declaration and the files delivered in its name drift apart.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import zipfile
from pathlib import Path

import openpyxl

LOADED_AT = dt.datetime(2026, 11, 1, 8, 30, tzinfo=dt.UTC)
LOAD_ID = "20261101T083000000000Z"
LOADED_AT_TEXT = "2026-11-01T08:30:00.000000+00:00"

ORDER_COLUMNS = ["row_id", "order_id", "order_date", "ship_date", "ship_mode", "customer_id", "product_id", "quantity", "price", "discount", "profit"]
PRODUCT_HEADER = ["Product ID", "Category", "Sub-Category", "Product Name", "State", "Price per product"]
PRODUCT_COLUMNS = ["product_id", "category", "sub_category", "product_name", "state", "price_per_product"]
CUSTOMER_HEADER = ["Customer ID", "Customer Name", "email", "phone", "address", "Segment", "Country", "City", "State", "Postal Code", "Region"]
CUSTOMER_COLUMNS = ["customer_id", "customer_name", "email", "phone", "address", "segment", "country", "city", "state", "postal_code", "region"]

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


def write_orders(folder: Path, name: str = "Orders.json", rows: list | None = None) -> Path:
    path = folder / name
    path.write_text(json.dumps(rows if rows is not None else [ORDER], indent=2), encoding="utf-8")
    return path


def write_csv(path: Path, header: list[str], rows: list[list[object]], *, bom: bool = False, delimiter: str = ",") -> Path:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]], *, sheets: dict[str, list[list[object]]] | None = None) -> Path:
    """A workbook whose first sheet holds ``header`` and ``rows``; ``sheets``: more sheets by title, with their header."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    sheet.append([None] * len(header))  # a blank row left by formatting: not a record
    for title, sheet_rows in (sheets or {}).items():
        extra = workbook.create_sheet(title)
        for row in sheet_rows:
            extra.append(row)
    workbook.save(path)
    return path


def write_delivery(folder: Path) -> Path:
    """A valid delivery of one record per table."""
    folder.mkdir(parents=True, exist_ok=True)
    write_orders(folder)
    write_csv(folder / "Products.csv", PRODUCT_HEADER, [PRODUCT_ROW])
    write_xlsx(folder / "Customer.xlsx", CUSTOMER_HEADER, [CUSTOMER_ROW])
    return folder


def load_dirs(landing: Path, table: str, system: str = "sales") -> list[Path]:
    """The committed loads of a table, oldest first."""
    return sorted(path for path in (landing / system / table).iterdir() if (path / "_manifest.json").is_file())


def landed_rows(landing: Path, table: str, system: str = "sales") -> list[dict]:
    """The bronze rows of a table's newest load, every part in order."""
    load = load_dirs(landing, table, system)[-1]
    return [json.loads(line) for part in sorted((load / "data").glob("part-*.jsonl")) for line in part.read_text(encoding="utf-8").splitlines()]


def load_log(landing: Path) -> list[dict]:
    """Every line of the load log, by file name."""
    return [json.loads(line) for path in sorted((landing / "load_log").glob("*.jsonl")) for line in path.read_text(encoding="utf-8").splitlines()]


def write_excel_saved_xlsx(path: Path, shared: list[str], rows: list[str]) -> Path:
    """A workbook laid out as Excel saves it, unlike openpyxl: a ``<dimension>``, shared strings, a date style.

    ``shared``: the ``<si>`` elements' inner XML; ``rows``: the ``<row>`` elements of the one sheet.
    Style 1 is the date format 14 (m/d/yyyy).
    """
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{package}"><Relationship Id="rId1" Target="xl/workbook.xml" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{relationships}"><sheets><sheet name="Customers" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{package}">'
            f'<Relationship Id="rId1" Type="{relationships}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{relationships}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{relationships}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": (
            f'<styleSheet xmlns="{main}"><fonts count="1"><font/></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2">'
            '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
            '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
        ),
        "xl/sharedStrings.xml": f'<sst xmlns="{main}">' + "".join(f"<si>{item}</si>" for item in shared) + "</sst>",
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><dimension ref="A1:K{len(rows)}"/><sheetData>{"".join(rows)}</sheetData></worksheet>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path

"""Read delivered source files into raw text records, checking them against the file contract.

Every value comes out as the text the file holds (numbers keep their exact digits) or ``None``:
typing is the staging models' job, so nothing is lost or rounded here.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from ingestion.contract import SourceTable

Record = dict[str, str | None]  # source field name -> raw text


class DeliveryError(Exception):
    """A delivered file that cannot be landed; the message names the file and what to fix."""


@dataclass
class SourceFile:
    """A delivered file, opened and checked against its table's contract."""

    table: SourceTable
    path: Path
    records: Iterator[tuple[int, Record]]  # (position in the file, record)
    position_kind: str  # what the position counts: "array index", "line", "sheet row"
    extra_fields: list[str] = field(default_factory=list)


def open_source_file(table: SourceTable, path: Path) -> SourceFile:
    """Open ``path`` for ``table``; raise DeliveryError when its fields break the contract."""
    readers = {".json": _read_json_array, ".csv": _read_csv, ".xlsx": _read_xlsx}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise DeliveryError(f"{path.name}: unsupported file type '{path.suffix}' (expected .json, .csv or .xlsx)")
    try:
        header, records, kind = reader(path)
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from exc
    missing = [name for name in table.source_names if name not in header]
    if missing:
        raise DeliveryError(
            f"{path.name}: missing required columns {missing} for table '{table.name}'; "
            f"expected {list(table.source_names)}, found {header}"
        )
    extra = [name for name in header if name not in table.source_names]
    return SourceFile(table, path, _utf8_checked(path, records), kind, extra)


def as_text(value: object) -> str | None:
    """The text of one cell or JSON value, exactly as a person reading the file would see it."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores whole numbers as floats: 8307756431.0 is 8307756431
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _read_json_array(path: Path) -> tuple[list[str], Iterator[tuple[int, Record]], str]:
    # parse_float/parse_int=str keep numbers as written: 41.9136 stays "41.9136", never a binary float
    with _open_text(path) as handle:
        try:
            document = json.load(handle, parse_float=str, parse_int=str)
        except json.JSONDecodeError as exc:
            raise DeliveryError(f"{path.name}: not valid JSON ({exc})") from exc
    if not isinstance(document, list):
        raise DeliveryError(f"{path.name}: expected one JSON array of objects, found a {type(document).__name__}")
    header: list[str] = []
    for index, element in enumerate(document):
        if not isinstance(element, dict):
            raise DeliveryError(f"{path.name}: array element {index} is a {type(element).__name__}, not an object")
        header.extend(key for key in element if key not in header)
    records = ((index, {key: as_text(value) for key, value in element.items()}) for index, element in enumerate(document))
    return header, records, "array index"


def _read_csv(path: Path) -> tuple[list[str], Iterator[tuple[int, Record]], str]:
    with _open_text(path) as handle:
        header = [name.strip() for name in next(csv.reader(handle), [])]
    if not header:
        raise DeliveryError(f"{path.name}: the file is empty (no header line)")

    def records() -> Iterator[tuple[int, Record]]:
        with _open_text(path) as handle:
            reader = csv.reader(handle)  # RFC 4180: quoted fields may hold commas, "" and line breaks
            next(reader)
            start_line = reader.line_num + 1
            for row in reader:
                if len(row) != len(header):
                    raise DeliveryError(
                        f"{path.name}: the record starting on line {start_line} has {len(row)} fields, "
                        f"the header has {len(header)}"
                    )
                yield start_line, dict(zip(header, row, strict=True))
                start_line = reader.line_num + 1

    return header, records(), "line"


def _read_xlsx(path: Path) -> tuple[list[str], Iterator[tuple[int, Record]], str]:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a damaged workbook
        raise DeliveryError(f"{path.name}: not a readable .xlsx workbook ({exc})") from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(cell).strip() if cell is not None else "" for cell in next(rows, ())]
    if not any(header):
        raise DeliveryError(f"{path.name}: sheet '{sheet.title}' is empty (no header row)")

    def records() -> Iterator[tuple[int, Record]]:
        for row_number, row in enumerate(rows, start=2):
            if all(cell is None for cell in row):
                continue  # formatting can leave blank rows at the end of a sheet; they hold no record
            yield row_number, {name: as_text(cell) for name, cell in zip(header, row) if name}
        workbook.close()

    return header, records(), "sheet row"


def _utf8_checked(path: Path, records: Iterator[tuple[int, Record]]) -> Iterator[tuple[int, Record]]:
    try:
        yield from records
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from exc


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> DeliveryError:
    return DeliveryError(f"{path.name}: not UTF-8 text ({exc}); re-export the file as UTF-8")


def _open_text(path: Path):
    """Open a delivered text file; utf-8-sig accepts UTF-8 with or without a byte-order mark."""
    if path.stat().st_size == 0:
        raise DeliveryError(f"{path.name}: the file is empty")
    return open(path, encoding="utf-8-sig", newline="")

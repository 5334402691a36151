"""Read delivered source files into raw text records, checking the file against its contract.

A problem with the whole file (missing, empty, wrong format or encoding, required columns
missing) raises DeliveryError with a message naming the file and what to fix. A problem with
one record (a malformed JSON line, a CSV row with the wrong number of fields) is carried on the
record, for the quarantine. Every value comes out as the text the file holds (numbers keep their
exact digits) or ``None``: typing is the staging models' job.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from ingestion.contract import SourceTable


class DeliveryError(Exception):
    """A delivery that cannot be landed; the message names the file and what to fix."""


@dataclass
class RawRecord:
    position: int  # array index (JSON array), line (JSON lines, CSV) or sheet row (Excel)
    raw: str  # the record as read, kept for the quarantine
    values: dict[str, str | None] = field(default_factory=dict)  # source field name -> raw text
    problem: str | None = None  # why the record could not be read, if it could not


@dataclass
class SourceFile:
    """A delivered file, opened and checked against its table's contract."""

    table: SourceTable
    path: Path
    records: list[RawRecord]
    position_kind: str  # what a position counts: "array index", "line" or "sheet row"
    extra_fields: list[str]


def open_source_file(table: SourceTable, path: Path) -> SourceFile:
    """Read ``path`` for ``table``; raise DeliveryError when the file as a whole is unusable."""
    readers = {".json": _read_json, ".jsonl": _read_json, ".csv": _read_csv, ".xlsx": _read_xlsx}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise DeliveryError(f"{path.name}: unsupported file type '{path.suffix}' (expected .json, .jsonl, .csv or .xlsx)")
    if not path.is_file():
        raise DeliveryError(f"{path.name}: no such file")
    if path.stat().st_size == 0:
        raise DeliveryError(f"{path.name}: the file is empty")
    header, records, kind = reader(table, path)
    missing = [name for name in table.source_names if name not in header]
    if missing:
        raise DeliveryError(
            f"{path.name}: missing required columns {missing} for table '{table.name}'; "
            f"expected {list(table.source_names)}, found {header}"
        )
    extra = [name for name in header if name not in table.source_names]
    return SourceFile(table, path, records, kind, extra)


def as_text(value: object) -> str | None:
    """The text of one cell or JSON value, as a person reading the file would see it."""
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


def _read_text(path: Path) -> str:
    """Decode a delivered text file as UTF-8, with or without a byte-order mark."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1]
        raise DeliveryError(
            f"{path.name}: not UTF-8 text: byte 0x{bad.hex().upper()} at offset {exc.start} is invalid in UTF-8 "
            f"(in Latin-1 it would be {bad.decode('latin-1')!r}, so the file looks Latin-1 / Windows-1252 encoded). "
            "Re-export it as UTF-8; nothing of it was landed."
        ) from exc


def _read_json(table: SourceTable, path: Path) -> tuple[list[str], list[RawRecord], str]:
    text = _read_text(path)
    start = text.lstrip()[:1]
    if start == "[":
        records, kind = _json_array_records(path, text), "array index"
    elif start == "{":
        records, kind = _json_lines_records(text), "line"
    else:
        raise DeliveryError(f"{path.name}: expected a JSON array of objects or JSON lines (one object per line)")
    header: dict[str, None] = {}
    for record in records:
        header.update(dict.fromkeys(record.values))
    return list(header), records, kind


def _json_array_records(path: Path, text: str) -> list[RawRecord]:
    # parse_float/parse_int=str keep numbers as written: 41.9136 stays "41.9136", never a binary float
    try:
        document = json.loads(text, parse_float=str, parse_int=str)
    except json.JSONDecodeError as exc:
        raise DeliveryError(
            f"{path.name}: not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg}). One broken object "
            "makes a JSON array unreadable; fix the file, or deliver JSON lines, where a broken line is quarantined"
        ) from exc
    if not isinstance(document, list):
        raise DeliveryError(f"{path.name}: expected one JSON array of objects, found a {type(document).__name__}")
    return [_json_record(index, element) for index, element in enumerate(document)]


def _json_lines_records(text: str) -> list[RawRecord]:
    records = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            element = json.loads(line, parse_float=str, parse_int=str)
        except json.JSONDecodeError as exc:
            records.append(RawRecord(line_number, line, problem=f"malformed JSON ({exc.msg} at column {exc.colno})"))
            continue
        records.append(_json_record(line_number, element))
    return records


def _json_record(position: int, element: object) -> RawRecord:
    raw = json.dumps(element, ensure_ascii=False)
    if not isinstance(element, dict):
        return RawRecord(position, raw, problem=f"a JSON {type(element).__name__}, not an object")
    return RawRecord(position, raw, {key: as_text(value) for key, value in element.items()})


def _read_csv(table: SourceTable, path: Path) -> tuple[list[str], list[RawRecord], str]:
    reader = csv.reader(io.StringIO(_read_text(path), newline=""))  # RFC 4180: quoted fields keep , "" and line breaks
    header = [name.strip() for name in next(reader, [])]
    if not any(header):
        raise DeliveryError(f"{path.name}: no header line")
    records = []
    start_line = reader.line_num + 1
    for row in reader:
        raw = json.dumps(row, ensure_ascii=False)
        if not row:
            pass  # a blank line holds no record
        elif len(row) != len(header):
            records.append(RawRecord(start_line, raw, problem=f"{len(row)} fields where the header has {len(header)}"))
        else:
            records.append(RawRecord(start_line, raw, dict(zip(header, row, strict=True))))
        start_line = reader.line_num + 1
    return header, records, "line"


def _read_xlsx(table: SourceTable, path: Path) -> tuple[list[str], list[RawRecord], str]:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a file that is not a workbook
        raise DeliveryError(f"{path.name}: not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from exc
    try:
        headers = {}
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header = [str(cell).strip() if cell is not None else "" for cell in next(rows, ())]
            headers[sheet.title] = header
            if set(table.source_names) <= set(header):
                return header, list(_sheet_records(header, rows)), "sheet row"
    finally:
        workbook.close()
    missing = {title: [name for name in table.source_names if name not in header] for title, header in headers.items()}
    raise DeliveryError(
        f"{path.name}: no sheet has the columns of table '{table.name}' {list(table.source_names)}; "
        f"missing per sheet: {missing}"
    )


def _sheet_records(header: list[str], rows: Iterator[tuple]) -> Iterator[RawRecord]:
    for row_number, row in enumerate(rows, start=2):
        if all(cell is None for cell in row):
            continue  # formatting can leave blank rows at the end of a sheet; they hold no record
        values = {name: as_text(cell) for name, cell in zip(header, row) if name}
        yield RawRecord(row_number, json.dumps(values, ensure_ascii=False), values)

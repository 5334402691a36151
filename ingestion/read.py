"""Read: one streaming reader per format, yielding each record of a delivered file as raw text.

A record comes out as its position in the file and its declared fields (bronze column -> the text
the file holds, numbers with their exact digits, or None), or, when it cannot be read at all (a
malformed JSON line, a JSON value that is not an object, a CSV row with the wrong number of
fields), as its raw text and the read problem. Nothing is typed or checked here beyond the file
itself: that is the dbt models' job.

No file is held in memory whole: JSON arrays are parsed by ijson (yajl, C), JSON lines line by
line, CSV through the csv module over an incrementally decoded stream, Excel with openpyxl in
read-only mode, parquet batch by batch. A problem with the file as a whole (empty, wrong format,
not in its declared encoding, a declared field missing from its header, a broken JSON array)
raises DeliveryError naming the file; a reader may only find it at the end of the file (a field
that no object of a JSON file has), so the caller must not commit anything before a file is read
to its end.

Positions: JSON array: 0-based element index; JSON lines and CSV: the line the record starts on
(header = line 1); Excel: the sheet row (header = row 1); parquet: 0-based row.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import functools
import io
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from ingestion.declaration import Table
from ingestion.find import DeliveredFile, DeliveryError

log = logging.getLogger(__name__)

CHUNK = 1 << 20  # bytes read at a time
MAX_LINE = 16 << 20  # a JSON line longer than this is not a record but a file that is not JSON lines
UTF8_BOM = codecs.BOM_UTF8
BLANK = b" \t\r\n"
CONTINUATION_BYTES = bytes(range(0x80, 0xC0))  # UTF-8 bytes that do not start a character

Progress = Callable[[int], None]  # called with the number of bytes of the file read since the last call


class RawRecord(NamedTuple):
    position: int
    values: dict[str, str | None] | None  # bronze column -> raw text; None when the record could not be read
    raw: str | None = None  # the record as delivered, when it could not be read
    problem: str | None = None  # why it could not be read


@dataclass
class SourceStream:
    """The records of one delivered file, or of one sheet of a workbook read with ``sheets: all``."""

    name: str  # the rows' _source_file: the file name, or ``Book.xlsx[Sheet]``
    records: Iterator[RawRecord]
    extra_fields: list[str] = field(default_factory=list)  # columns outside the declaration; complete once records are read


def read_file(table: Table, file: DeliveredFile, *, progress: Progress | None = None) -> Iterator[SourceStream]:
    """The record streams of one delivered file (one, or one per sheet); read each to its end before the next."""
    path = file.path
    if not path.is_file():
        raise DeliveryError(f"{file.name}: no such file")
    if path.stat().st_size == 0:
        raise DeliveryError(f"{file.name}: the file is empty")
    reader = {"json": _read_json, "csv": _read_csv, "excel": _read_excel, "parquet": _read_parquet}[file.spec.format]
    with _ProgressFile(path, progress) as binary:
        yield from reader(table, file, binary)


def as_text(value: object) -> str | None:
    """The text of one cell or JSON value, as a person reading the file would see it."""
    if value is None or type(value) is str:
        return value
    convert = _TEXT_OF_TYPE.get(type(value))
    if convert is not None:
        return convert(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, int | Decimal):
        return str(value)  # JSON numbers come as int or Decimal: their exact digits
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict | list | tuple):
        return json_text(value)
    return str(value)


def _float_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)  # Excel stores 8307756431 as 8307756431.0


_TEXT_OF_TYPE: dict[type, Callable[[object], str]] = {
    int: str,  # JSON numbers come as int or Decimal: their exact digits
    Decimal: str,
    bool: lambda value: "true" if value else "false",
    float: _float_text,
    dt.datetime: dt.datetime.isoformat,
    dt.date: dt.date.isoformat,
}


def json_text(value: object) -> str:
    """JSON text of a parsed value whose numbers are int or Decimal (kept as the digits they were)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(key), ensure_ascii=False)}: {json_text(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(json_text(item) for item in value) + "]"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | Decimal):
        return str(value)
    return json.dumps(as_text(value), ensure_ascii=False)


class _ProgressFile(io.FileIO):
    """A file opened for reading that reports how many of its bytes the reader has read.

    Bytes read, not the position: a workbook's or a parquet file's index lies at its end, and is
    read first.
    """

    def __init__(self, path: Path, progress: Progress | None) -> None:
        super().__init__(path, "rb")
        self._progress = progress
        self._left = os.fstat(self.fileno()).st_size  # what may still be reported: never more than the file

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        self._report(len(data))
        return data

    def readinto(self, buffer) -> int | None:
        count = super().readinto(buffer)
        self._report(count or 0)
        return count

    def _report(self, count: int) -> None:
        if self._progress is not None and self._left > 0 and count:
            count = min(count, self._left)
            self._left -= count
            self._progress(count)


# --- text: decoding with the byte offset of a bad byte -------------------------------------------


class _Decoder:
    """Decodes a file chunk by chunk; an undecodable byte raises DeliveryError naming its offset in the file."""

    def __init__(self, file_name: str, encoding: str, offset: int = 0) -> None:
        self.file_name = file_name
        self.encoding = codecs.lookup(encoding).name  # utf-8, cp1252, ...
        if self.encoding == "utf-8-sig":
            self.encoding = "utf-8"  # the byte-order mark is stripped before decoding
        self.decoder = codecs.getincrementaldecoder(self.encoding)()
        self.offset = offset  # file offset of the next byte to decode

    def decode(self, data: bytes, final: bool = False) -> str:
        buffered = len(self.decoder.getstate()[0])  # bytes of an incomplete character kept from the last chunk
        try:
            text = self.decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            raise self.error(exc.object[exc.start : exc.start + 1], self.offset - buffered + exc.start, exc.reason) from exc
        self.offset += len(data)
        return text

    def error(self, bad: bytes, offset: int, reason: str) -> DeliveryError:
        if self.encoding == "utf-8":
            return DeliveryError(
                f"{self.file_name}: not UTF-8 text: byte 0x{bad.hex().upper()} at offset {offset} is invalid in UTF-8 "
                f"(in Latin-1 it would be {bad.decode('latin-1')!r}, so the file looks Latin-1 / Windows-1252 encoded). "
                "Re-export it as UTF-8; nothing of it was landed."
            )
        return DeliveryError(
            f"{self.file_name}: not {self.encoding} text: byte 0x{bad.hex().upper()} at offset {offset} is invalid ({reason}). "
            "Re-export it in the encoding its declaration names, or correct the declared encoding; nothing of it was landed."
        )


def _skip_bom(binary: io.FileIO) -> int:
    """Skip a UTF-8 byte-order mark at the start of ``binary``; the offset of the first byte after it."""
    binary.seek(0)
    if binary.read(len(UTF8_BOM)) == UTF8_BOM:
        return len(UTF8_BOM)
    binary.seek(0)
    return 0


# --- JSON: an array (ijson) or JSON lines, told apart by the first byte ------------------------


def _read_json(table: Table, file: DeliveredFile, binary: io.FileIO) -> Iterator[SourceStream]:
    start = _skip_bom(binary)
    first = b""
    while chunk := binary.read(CHUNK):
        if first := chunk.lstrip(BLANK)[:1]:
            break
    binary.seek(start)
    if first not in (b"[", b"{"):
        raise DeliveryError(f"{file.name}: expected a JSON array of objects or JSON lines (one object per line)")
    stream = SourceStream(file.name, iter(()))
    fields = _JsonFields(table, file.name, stream)
    read = _json_array_records if first == b"[" else _json_lines_records
    stream.records = read(fields, file, binary, start)
    yield stream


class _JsonFields:
    """Turns parsed JSON objects into bronze values, and checks the declared fields against the keys seen."""

    def __init__(self, table: Table, file_name: str, stream: SourceStream) -> None:
        self.table, self.file_name, self.stream = table, file_name, stream
        self.lookup = [(f.column, f.names) for f in table.fields]
        self.simple = all(len(names) == 1 for _, names in self.lookup)
        self.columns = [column for column, _ in self.lookup]
        self.names = [names[0] for _, names in self.lookup]
        self.known = frozenset(name for _, names in self.lookup for name in names)
        self.unseen = set(self.known)  # declared names no object had yet
        self.extra: dict[str, None] = {}
        self.objects = 0  # objects counted while some declared name was still unseen: 0 only when there was none

    def values(self, element: dict) -> dict[str, str | None]:
        """The bronze values of one parsed object."""
        if self.unseen:  # until every declared name was seen: so also when no object came at all
            self.objects += 1
            self.unseen.difference_update(element)
        if not self.known.issuperset(element) and len(self.extra) < 1000:
            self.extra.update(dict.fromkeys(str(key) for key in element if key not in self.known))
        if self.simple:
            values = dict(zip(self.columns, map(element.get, self.names), strict=True))
        else:
            values = {column: next((element[name] for name in names if name in element), None) for column, names in self.lookup}
        for column, value in values.items():
            if type(value) is not str and value is not None:
                values[column] = _TEXT_OF_TYPE.get(type(value), as_text)(value)  # numbers (int, Decimal), booleans, nested values
        return values

    def finish(self) -> None:
        """After the last record: name the extra fields, refuse a declared field that no object had."""
        self.stream.extra_fields[:] = list(self.extra)
        missing = [f for f in self.table.fields if all(name in self.unseen for name in f.names)]
        if self.objects and missing:  # no object at all (an empty array): a load of zero rows, nothing to compare
            raise DeliveryError(
                f"{self.file_name}: no record has the fields {[_field_label(f.names) for f in missing]} of table "
                f"'{self.table.qualified_name}'; expected {[_field_label(f.names) for f in self.table.fields]}"
            )


_JSON_KINDS = {list: "list", str: "str", bool: "bool", type(None): "null"}
_record = functools.partial(tuple.__new__, RawRecord)  # RawRecord((position, values, raw, problem)) at C speed, for the hot loops


def _not_an_object(position: int, element: object, raw: str) -> RawRecord:
    return RawRecord(position, None, raw, f"a JSON {_JSON_KINDS.get(type(element), 'number')}, not an object")


def _json_array_records(fields: _JsonFields, file: DeliveredFile, binary: io.FileIO, start: int) -> Iterator[RawRecord]:
    import ijson  # imported late: only JSON arrays need it

    checked = _CheckedBytes(binary, _Decoder(file.name, "utf-8", start))
    values = fields.values
    try:
        # use_float=False: numbers come as int / Decimal, with the digits the file has
        for index, element in enumerate(ijson.items(checked, "item", use_float=False, buf_size=CHUNK)):
            if type(element) is dict:
                yield _record((index, values(element), None, None))
            else:
                yield _not_an_object(index, element, json_text(element))
    except ijson.JSONError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DeliveryError(
            f"{file.name}: not valid JSON {_json_error_place(file.path, start, checked.read_bytes)} ({reason}). One broken object "
            "makes a JSON array unreadable; fix the file, or deliver JSON lines, where a broken line is quarantined"
        ) from None
    except ValueError as exc:  # a number Python cannot hold (more than 4300 digits)
        raise DeliveryError(f"{file.name}: not readable as JSON ({exc}); deliver JSON lines, where a broken line is quarantined") from None
    fields.finish()


class _CheckedBytes:
    """Bytes of a file for ijson, validated as UTF-8 on the way (yajl's own check does not say where)."""

    def __init__(self, binary: io.FileIO, decoder: _Decoder) -> None:
        self.binary, self.decoder = binary, decoder
        self.read_bytes = decoder.offset  # offset in the file of the next byte to read

    def read(self, size: int = -1) -> bytes:
        data = self.binary.read(size)
        self.decoder.decode(data, final=not data and size != 0)  # ijson first reads 0 bytes, to tell bytes from text
        self.read_bytes += len(data)
        return data


def _json_error_place(path: Path, start: int, failed_after: int) -> str:
    """Where yajl stopped on a broken JSON array: 'at line L, column C (byte offset N)'.

    yajl does not say; it failed within the last chunk it was given, ending at ``failed_after``. A
    second parse feeds it the file again, in chunks up to that chunk and then byte by byte.
    """
    import ijson

    careful_from = max(start, failed_after - CHUNK - 1)

    class Feed:
        def __init__(self, binary: io.BufferedReader) -> None:
            self.binary, self.offset, self.line, self.column = binary, start, 1, 1
            self.last = (start, 1, 1)  # place of the last byte given to the parser
            self.eof = False

        def read(self, size: int = -1) -> bytes:
            if size == 0:
                return b""  # ijson first reads 0 bytes, to tell bytes from text
            data = self.binary.read(1 if self.offset >= careful_from else careful_from - self.offset)
            self.eof = not data
            if data:
                self.last = (self.offset, self.line, self.column)
                self.offset += len(data)
                newline = data.rfind(b"\n")
                if newline >= 0:
                    self.line += data.count(b"\n")
                    self.column = 1 + len(data[newline + 1 :].translate(None, CONTINUATION_BYTES))
                else:
                    self.column += len(data.translate(None, CONTINUATION_BYTES))
            return data

    with open(path, "rb") as binary:
        binary.seek(start)
        feed = Feed(io.BufferedReader(binary, CHUNK))
        try:
            for _ in ijson.items(feed, "\x00 nothing", buf_size=CHUNK):  # a prefix no element has: parse only
                pass
        except ijson.JSONError:
            pass
        else:
            return f"before byte offset {failed_after}"
        if feed.eof:
            return f"at the end of the file (byte offset {feed.offset})"
        offset, line, column = feed.last
        return f"at line {line}, column {column} (byte offset {offset})"


def _json_lines_records(fields: _JsonFields, file: DeliveredFile, binary: io.FileIO, start: int) -> Iterator[RawRecord]:
    # numbers as the text they are (41.9136 stays "41.9136", never a binary float), NaN / Infinity too
    decode = json.JSONDecoder(parse_float=str, parse_int=str, parse_constant=str).decode
    values = fields.values
    lines = io.BufferedReader(binary, CHUNK)
    offset, number = start, 0
    while line := lines.readline(MAX_LINE + 1):
        number += 1
        if len(line) > MAX_LINE:
            raise DeliveryError(f"{file.name}: line {number} is longer than {MAX_LINE >> 20} MiB: not JSON lines (one object per line)")
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Decoder(file.name, "utf-8").error(line[exc.start : exc.start + 1], offset + exc.start, exc.reason) from None
        offset += len(line)
        text = text.rstrip("\r\n")
        if not text or text.isspace():
            continue  # a blank line holds no record
        try:
            element = decode(text)
        except json.JSONDecodeError as exc:
            yield RawRecord(number, None, text, f"malformed JSON ({exc.msg} at column {exc.colno})")
            continue
        except ValueError as exc:  # a number Python cannot hold (more than 4300 digits)
            yield RawRecord(number, None, text, f"malformed JSON ({exc})")
            continue
        if type(element) is dict:
            yield _record((number, values(element), None, None))
        else:
            yield _not_an_object(number, element, text)
    fields.finish()


# --- CSV -----------------------------------------------------------------------------------------


def _read_csv(table: Table, file: DeliveredFile, binary: io.FileIO) -> Iterator[SourceStream]:
    options = file.spec.options
    encoding = str(options.get("encoding") or "utf-8")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise DeliveryError(f"{file.name}: the declared encoding {encoding!r} is not one Python knows") from None
    start = _skip_bom(binary) if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig") else 0
    lines = _text_lines(binary, _Decoder(file.name, encoding, start))
    try:
        # RFC 4180: quoted fields keep the delimiter, "" and line breaks
        reader = csv.reader(lines, delimiter=str(options.get("delimiter", ",")), quotechar=str(options.get("quotechar", '"')))
    except TypeError as exc:
        raise DeliveryError(f"{file.name}: the declared CSV dialect is not usable ({exc})") from None
    try:
        header = [name.strip() for name in next(reader, [])]
    except csv.Error as exc:
        raise DeliveryError(f"{file.name}: not readable as CSV at line {reader.line_num} ({exc})") from None
    if not any(header):
        raise DeliveryError(f"{file.name}: no header line")
    columns, extra = _match_header(table, header, file.name)
    yield SourceStream(file.name, _csv_records(file.name, reader, columns, len(header)), extra)


def _text_lines(binary: io.FileIO, decoder: _Decoder) -> Iterator[str]:
    """The decoded lines of ``binary``, each with its line break: what csv.reader wants, one chunk at a time."""
    pending = ""
    while chunk := binary.read(CHUNK):
        lines = (pending + decoder.decode(chunk)).split("\n")
        pending = lines.pop()
        for line in lines:
            yield line + "\n"
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def _csv_records(file_name: str, reader, columns: list[tuple[str, int]], width: int) -> Iterator[RawRecord]:
    start_line = reader.line_num + 1
    try:
        for row in reader:
            if len(row) == width:
                yield RawRecord(start_line, {column: row[index] for column, index in columns})
            elif row:  # a blank line holds no record
                yield RawRecord(start_line, None, json.dumps(row, ensure_ascii=False), f"{len(row)} fields where the header has {width}")
            start_line = reader.line_num + 1
    except csv.Error as exc:
        raise DeliveryError(f"{file_name}: not readable as CSV at line {reader.line_num} ({exc})") from None


def _match_header(table: Table, header: list[str], where: str) -> tuple[list[tuple[str, int]], list[str]]:
    """(bronze column, index in the header) per declared field, and the header's other columns; refuse a missing field."""
    columns, missing = _header_columns(table, header)
    if missing:
        raise DeliveryError(
            f"{where}: missing columns {missing} of table '{table.qualified_name}'; "
            f"expected {[_field_label(f.names) for f in table.fields]}, found {header}"
        )
    used = {index for _, index in columns}
    return columns, [name for index, name in enumerate(header) if name and index not in used]


def _header_columns(table: Table, header: list[str]) -> tuple[list[tuple[str, int]], list[str]]:
    index_of: dict[str, int] = {}
    for index, name in enumerate(header):
        index_of.setdefault(name, index)
    columns, missing = [], []
    for f in table.fields:
        index = next((index_of[name] for name in f.names if name in index_of), None)
        if index is None:
            missing.append(_field_label(f.names))
        else:
            columns.append((f.column, index))
    return columns, missing


def _field_label(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{names[0]} (or {' / '.join(names[1:])})"


# --- Excel ---------------------------------------------------------------------------------------


def _read_excel(table: Table, file: DeliveredFile, binary: io.FileIO) -> Iterator[SourceStream]:
    with _read_only_shortcuts():
        yield from _read_workbook(table, file, binary)


def _read_workbook(table: Table, file: DeliveredFile, binary: io.FileIO) -> Iterator[SourceStream]:
    import openpyxl  # imported late: only workbooks need it

    try:
        workbook = openpyxl.load_workbook(binary, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises several unrelated types for a file that is not a workbook
        raise DeliveryError(f"{file.name}: not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from None
    try:
        options = file.spec.options
        if str(options.get("sheets", "")).lower() == "all":
            for sheet in workbook.worksheets:
                rows = enumerate(sheet.iter_rows(values_only=True), start=1)
                header = _sheet_header(rows)
                if header is None:
                    log.info("%s: sheet %r is empty, no records", file.name, sheet.title)
                    continue
                label = f"{file.name}[{sheet.title}]"
                columns, extra = _match_header(table, header, f"{label} (every sheet must hold the table: sheets: all)")
                yield SourceStream(label, _sheet_records(rows, columns), extra)
            return
        if "sheet" in options:
            wanted = str(options["sheet"])
            if wanted not in workbook.sheetnames:
                raise DeliveryError(
                    f"{file.name}: no sheet named {wanted!r} (declared for table '{table.qualified_name}'); sheets: {workbook.sheetnames}"
                )
            sheets = [workbook[wanted]]
        else:
            sheets = workbook.worksheets
        missing_per_sheet = {}
        for sheet in sheets:
            rows = enumerate(sheet.iter_rows(values_only=True), start=1)
            header = _sheet_header(rows) or []
            columns, missing = _header_columns(table, header)
            if not missing or "sheet" in options:
                columns, extra = _match_header(table, header, f"{file.name}[{sheet.title}]")
                yield SourceStream(file.name, _sheet_records(rows, columns), extra)
                return
            missing_per_sheet[sheet.title] = missing
        raise DeliveryError(
            f"{file.name}: no sheet has the columns of table '{table.qualified_name}' "
            f"{[_field_label(f.names) for f in table.fields]}; missing per sheet: {missing_per_sheet}"
        )
    finally:
        workbook.close()


@contextlib.contextmanager
def _read_only_shortcuts() -> Iterator[None]:
    """openpyxl in read-only mode, without two costs that buy nothing here.

    - When a workbook is opened, openpyxl looks for each sheet's ``<dimension>``; a sheet without
      one (openpyxl's own write-only files) is parsed in full just for its size. Rows are read here
      without a size (what ``reset_dimensions()`` does; it also reads sheets whose recorded size is
      wrong), so that scan is skipped.
    - An inline string cell (``t="inlineStr"``, as write-only files have them) is parsed into a
      full ``Text`` object only for its ``.content``, about half the time of reading such a sheet;
      ``_InlineText`` gives the same ``.content`` directly.
    """
    from openpyxl.worksheet import _reader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    scan, text = ReadOnlyWorksheet._get_size, _reader.Text
    ReadOnlyWorksheet._get_size = lambda self: None
    _reader.Text = _InlineText
    try:
        yield
    finally:
        ReadOnlyWorksheet._get_size, _reader.Text = scan, text


class _InlineText:
    """``openpyxl.cell.text.Text.from_tree(node).content`` of an ``<is>`` element: its ``<t>`` and the ``<t>`` of its runs."""

    __slots__ = ("content",)
    T = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}t"
    RUN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}r"

    def __init__(self, content: str) -> None:
        self.content = content

    @classmethod
    def from_tree(cls, node) -> _InlineText:
        parts = []
        for child in node:
            if child.tag == cls.T:
                parts.append(child.text or "")
            elif child.tag == cls.RUN and (run_text := child.find(cls.T)) is not None:
                parts.append(run_text.text or "")
        return cls("".join(parts))


def _sheet_header(rows: Iterator[tuple[int, tuple]]) -> list[str] | None:
    for _, row in rows:
        return [(as_text(cell) or "").strip() for cell in row]
    return None


def _sheet_records(rows: Iterator[tuple[int, tuple]], columns: list[tuple[str, int]]) -> Iterator[RawRecord]:
    for row_number, row in rows:
        if all(cell is None for cell in row):
            continue  # formatting can leave blank rows at the end of a sheet; they hold no record
        width = len(row)  # rows are as long as their last cell
        yield RawRecord(row_number, {column: as_text(row[index]) if index < width else None for column, index in columns})


# --- parquet -------------------------------------------------------------------------------------


def _read_parquet(table: Table, file: DeliveredFile, binary: io.FileIO) -> Iterator[SourceStream]:
    import pyarrow as pa  # imported late: only parquet files need it
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(binary)
    except (pa.ArrowException, OSError) as exc:
        raise DeliveryError(f"{file.name}: not a readable parquet file ({type(exc).__name__}: {exc})") from None
    header = list(parquet.schema_arrow.names)
    columns, extra = _match_header(table, header, file.name)
    yield SourceStream(file.name, _parquet_records(file.name, parquet, header, columns), extra)


def _parquet_records(file_name: str, parquet, header: list[str], columns: list[tuple[str, int]]) -> Iterator[RawRecord]:
    import pyarrow as pa
    import pyarrow.compute as pc

    def texts(array) -> list[str | None]:
        try:
            return pc.cast(array, pa.string()).to_pylist()  # numbers, decimals, dates, times as Arrow writes them
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
            return [as_text(value) for value in array.to_pylist()]  # lists, structs, binary

    names = sorted({header[index] for _, index in columns})
    position = 0
    try:
        for batch in parquet.iter_batches(batch_size=65536, columns=names):
            values = {name: texts(batch.column(name)) for name in names}
            by_column = [(column, values[header[index]]) for column, index in columns]
            for row in range(batch.num_rows):
                yield RawRecord(position + row, {column: cells[row] for column, cells in by_column})
            position += batch.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise DeliveryError(f"{file_name}: not readable as parquet after row {position} ({type(exc).__name__}: {exc})") from None

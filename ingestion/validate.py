"""Record-level checks: which records load, which go to the quarantine and why.

A record is quarantined when it could not be read, lacks a required value, or holds text that
cannot be typed as its field requires (see ``ingestion.contract``), or when its key appears on
records with different content (no way to tell which is right). An exact copy of a record
(same key, same content) loads once; the copies are quarantined as duplicates, so every record
read is either loaded or in the quarantine with its reason.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from ingestion.contract import Field, SourceTable
from ingestion.readers import RawRecord, SourceFile

WHOLE_NUMBER = re.compile(r"[+-]?\d+")
DAY_MONTH_YEAR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@dataclass
class CheckedFile:
    source: SourceFile
    loaded: list[RawRecord] = field(default_factory=list)
    rejected: list[tuple[RawRecord, str]] = field(default_factory=list)  # (record, reason)
    duplicates: list[tuple[RawRecord, str]] = field(default_factory=list)  # (copy, reason naming the kept one)
    repeat_lines: int = 0  # records sharing every business field with another one, under a distinct key

    @property
    def rows_read(self) -> int:
        return len(self.source.records)


def check_file(source: SourceFile) -> CheckedFile:
    checked = CheckedFile(source)
    readable = []
    for record in source.records:
        reason = record.problem or field_problems(source.table, record.values)
        if reason:
            checked.rejected.append((record, reason))
        else:
            readable.append(record)
    _split_duplicates(checked, readable)
    return checked


def field_problems(table: SourceTable, values: dict[str, str | None]) -> str | None:
    problems = [problem for spec in table.fields if (problem := _field_problem(spec, values.get(spec.source_name)))]
    return "; ".join(problems) or None


def _field_problem(spec: Field, value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return f"missing {spec.source_name}" if spec.required else None
    if spec.kind == "int" and not WHOLE_NUMBER.fullmatch(text):
        return f"{spec.source_name} {value!r} is not a whole number"
    if spec.kind == "decimal" and not _is_number(text):
        return f"{spec.source_name} {value!r} is not a number"
    if spec.kind == "date" and not _is_day_month_year(text):
        return f"{spec.source_name} {value!r} is not a d/M/yyyy date"
    return None


def _is_number(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def _is_day_month_year(text: str) -> bool:
    match = DAY_MONTH_YEAR.fullmatch(text)
    if not match:
        return False
    day, month, year = map(int, match.groups())
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _split_duplicates(checked: CheckedFile, records: list[RawRecord]) -> None:
    table, kind = checked.source.table, checked.source.position_kind

    def content(record: RawRecord) -> tuple:
        return tuple(record.values.get(name) for name in table.source_names)

    # without a key (products), a record's identity is its whole content
    groups: dict[object, list[RawRecord]] = defaultdict(list)
    for record in records:
        # keys compare as staging will see them: trimmed and upper-cased
        groups[record.values[table.key].strip().upper() if table.key else content(record)].append(record)
    for key, group in groups.items():
        kept = group[0]
        if any(content(record) != content(kept) for record in group):
            positions = ", ".join(str(record.position) for record in group)
            reason = f"{table.key} {key} appears on {len(group)} records with different content ({kind} {positions})"
            checked.rejected.extend((record, reason) for record in group)
            continue
        checked.loaded.append(kept)
        checked.duplicates.extend((copy, f"exact duplicate of {kind} {kept.position}") for copy in group[1:])
    checked.loaded.sort(key=lambda record: record.position)
    if table.key:
        business = [name for name in table.source_names if name != table.key]
        repeats = defaultdict(int)
        for record in checked.loaded:
            repeats[tuple(record.values.get(name) for name in business)] += 1
        checked.repeat_lines = sum(count for count in repeats.values() if count > 1)

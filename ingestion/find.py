"""Find: which files of a delivery folder belong to which declared table.

Every landed source system is declared in the dbt sources YAML (ingestion/declaration.py); each
table names the file name patterns it is delivered under. A delivery folder may hold the files of
any system: a system is *recognised* when one of its tables matches a file, and then every table
of that system must be present. Several files of one table (``chunk1.csv`` … ``chunkN.csv``) are
one load of it, read in file name order. A file that matches two tables is refused (rename it, or
narrow a pattern with ``--pattern``); files matching no table are ignored and listed.

Names that end up in paths and SQL string literals (delivered file names, the delivery name, the
landing URL) are checked against a conservative alphabet here, before anything is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ingestion.declaration import FileSpec, System, Table, load_systems

# No quotes, semicolons, backslashes or path separators in a file or delivery name, no parent
# references in a URL: these names end up in paths and SQL string literals.
SAFE_FILE_NAME = re.compile(r"[\w][\w .()+-]*", flags=re.UNICODE)
SAFE_URL = re.compile(r"[A-Za-z0-9_:/.=+@%~-]+")
# The format of a file matched by a --pattern override, when its table is declared in several formats.
FORMAT_BY_SUFFIX = {".json": "json", ".jsonl": "json", ".ndjson": "json", ".csv": "csv", ".tsv": "csv", ".txt": "csv",
                    ".xlsx": "excel", ".xlsm": "excel", ".parquet": "parquet", ".pq": "parquet"}  # fmt: skip


class DeliveryError(Exception):
    """A delivery that cannot be landed; the message names the file and what to fix."""


@dataclass(frozen=True)
class DeliveredFile:
    path: Path
    spec: FileSpec  # the format (and its options) the file is read in

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class TableFiles:
    """The files of one delivery that feed one declared table: one load of it."""

    table: Table
    files: tuple[DeliveredFile, ...]  # sorted by name


@dataclass(frozen=True)
class Delivery:
    folder: Path
    name: str  # a changed file for the same delivery name replaces the earlier load
    tables: tuple[TableFiles, ...]  # in declaration order
    ignored: tuple[str, ...]  # files of the folder that match no declared table


def find_delivery(
    folder: Path,
    *,
    systems: Mapping[str, System] | None = None,
    system: str | None = None,
    patterns: Mapping[str, str] | None = None,
    name: str | None = None,
    increment: bool = False,
) -> Delivery:
    """Match the files of ``folder`` to the declared tables; raise DeliveryError when that is not clear-cut.

    ``systems``: the declared source systems (default: the project's); ``system`` restricts the
    match to one of them. ``patterns`` replaces tables' file name patterns (``system.table`` or
    ``table`` -> case-insensitive regex over the whole name). ``name`` names the delivery (default:
    the folder's name). A full delivery holds every table of each system it delivers; an
    ``increment`` holds the tables that changed (order lines, say), the others keep their loads.
    """
    systems = load_systems() if systems is None else systems
    if system is not None:
        if system not in systems:
            raise DeliveryError(f"--system {system!r} is not a declared source system; declared: {sorted(systems)}")
        systems = {system: systems[system]}
    tables = [table for declared in systems.values() for table in declared.tables]
    overrides = _resolve_patterns(tables, patterns or {})
    name = name or folder.name
    check_safe_name("delivery name", name)
    if not folder.is_dir():
        raise DeliveryError(f"{folder}: no such folder")

    present = sorted(path.name for path in folder.iterdir() if path.is_file())
    matched: dict[str, list[DeliveredFile]] = {table.qualified_name: [] for table in tables}
    ignored = []
    for file_name in present:
        hits = [(table, spec) for table in tables if (spec := _spec_for(table, file_name, overrides.get(table.qualified_name)))]
        if not hits:
            ignored.append(file_name)
            continue
        if len(hits) > 1:
            claims = ", ".join(f"'{table.qualified_name}' ({_patterns_text(table, overrides)})" for table, _ in hits)
            raise DeliveryError(
                f"{folder}: file {file_name!r} matches the patterns of several tables: {claims}. "
                "Rename the file, or narrow a pattern with --pattern TABLE=REGEX."
            )
        ((table, spec),) = hits
        if not SAFE_FILE_NAME.fullmatch(file_name):
            raise DeliveryError(
                f"{folder}: refusing file name {file_name!r} for table '{table.qualified_name}': only letters, digits, "
                "spaces and ._()+- are allowed in a delivered file name. Rename the file."
            )
        matched[table.qualified_name].append(DeliveredFile(folder / file_name, spec))

    recognised = [declared for declared in systems.values() if system or any(matched[t.qualified_name] for t in declared.tables)]
    if not recognised:
        declared = "; ".join(f"'{table.qualified_name}' ({_patterns_text(table, overrides)})" for table in tables)
        raise DeliveryError(
            f"{folder}: no file matches a declared table; files present: {present}. Declared tables: {declared}. "
            "Rename the files, or pass --pattern TABLE=REGEX."
        )
    missing = [table for declared in recognised for table in declared.tables if not matched[table.qualified_name]]
    if missing and not increment:
        what = "; ".join(
            f"no file matches the pattern {_patterns_text(table, overrides)} (case-insensitive) of table '{table.qualified_name}'"
            for table in missing
        )
        raise DeliveryError(
            f"{folder}: {what}; files present: {present}. Every table of a delivered system must be delivered: "
            f"rename the file or pass --pattern {missing[0].qualified_name}=REGEX (or land it as an increment: --increment)."
        )
    found = tuple(
        TableFiles(table, tuple(matched[table.qualified_name]))
        for declared in recognised
        for table in declared.tables
        if matched[table.qualified_name]
    )
    return Delivery(folder, name, found, tuple(ignored))


def check_safe_name(kind: str, name: str) -> None:
    if not SAFE_FILE_NAME.fullmatch(name):
        raise DeliveryError(f"refusing {kind} {name!r}: only letters, digits, spaces and ._()+- are allowed")


def check_landing_url(url: str) -> None:
    if not SAFE_URL.fullmatch(url) or "/../" in url + "/":
        raise DeliveryError(f"refusing landing URL {url!r}: only letters, digits and _:/.=+@%~- are allowed, no '..'")


def parse_patterns(values: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["orders=orders_\\d+\\.json", ...]`` (the ``--pattern`` option) -> {"orders": "orders_\\d+\\.json"}."""
    patterns = {}
    for value in values:
        table, sep, regex = value.partition("=")
        if not sep or not regex or not table.strip():
            raise DeliveryError(f"--pattern {value!r} is not TABLE=REGEX")
        patterns[table.strip()] = regex
    return patterns


def _resolve_patterns(tables: list[Table], patterns: Mapping[str, str]) -> dict[str, re.Pattern]:
    """--pattern keys (``system.table`` or an unambiguous ``table``) -> compiled regex, by qualified name."""
    by_name: dict[str, list[Table]] = {}
    for table in tables:
        by_name.setdefault(table.qualified_name, []).append(table)
        by_name.setdefault(table.name, []).append(table)
    unknown = sorted(key for key in patterns if len(by_name.get(key, [])) != 1)
    if unknown:
        raise DeliveryError(f"--pattern names unknown tables {unknown}; the tables are {[table.qualified_name for table in tables]}")
    resolved = {}
    for key, regex in patterns.items():
        try:
            resolved[by_name[key][0].qualified_name] = re.compile(regex, flags=re.IGNORECASE)
        except re.error as exc:
            raise DeliveryError(f"--pattern {key}={regex}: not a valid regex ({exc})") from exc
    return resolved


def _spec_for(table: Table, file_name: str, override: re.Pattern | None) -> FileSpec | None:
    """The declared file spec ``file_name`` is read with for ``table``, or None when it is not the table's."""
    if override is None:
        return table.file_spec(file_name)
    if not override.fullmatch(file_name):
        return None
    if spec := table.file_spec(file_name):
        return spec  # the declared pattern matches too: its format and options
    formats = {spec.format: spec for spec in reversed(table.files)}  # the first spec of each format
    if len(formats) == 1:
        return table.files[0]
    fmt = FORMAT_BY_SUFFIX.get(Path(file_name).suffix.lower())
    if fmt not in formats:
        raise DeliveryError(
            f"{file_name}: matched by --pattern for table '{table.qualified_name}', which is declared in the formats "
            f"{sorted(formats)}; cannot tell which from the name. Give the file a {' / '.join(sorted(formats))} suffix."
        )
    return formats[fmt]


def _patterns_text(table: Table, overrides: Mapping[str, re.Pattern]) -> str:
    override = overrides.get(table.qualified_name)
    patterns = [override.pattern] if override else [spec.pattern for spec in table.files]
    return " or ".join(f"/{pattern}/" for pattern in patterns)

"""The source systems as declared in the dbt sources YAML: the one place that names tables, files and fields.

A dbt source whose tables carry a ``config.meta.landing`` block is a landed source system. For each
table the block says which delivered files belong to it and in which format; each column's
``config.meta`` says which field of the file it holds (``field``, ``aliases``), the type it must
cast to (``type``, ``format``) and whether it is ``required``. Columns starting with ``_`` are the
lineage columns that landing adds. Landing, bronze registration, the staging models and the sample
generators all read this; docs/declaring_a_source_system.md describes it with an example.

This module reads the YAML directly (no dbt parse, so landing starts in well under a second) and
refuses a declaration it cannot use with a message naming the file and the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ingestion.settings import PROJECT_DIR

# Lineage columns of every bronze row, after the declared fields: landing writes the first five;
# _load_id is the name of the load's folder, bronze's partition column (a build reads new loads alone).
LINEAGE_COLUMNS: tuple[str, ...] = ("_source_file", "_source_position", "_raw_record", "_read_problem", "_loaded_at", "_load_id")
FORMATS = ("json", "csv", "excel", "parquet")
TYPE = re.compile(r"string|int|bigint|boolean|date|timestamp|decimal\((\d+),\s*(\d+)\)")
NAME = re.compile(r"[a-z][a-z0-9_]*")  # system, table and column names: they end up in SQL and paths


class DeclarationError(Exception):
    """A source declaration that landing cannot use; the message names the YAML file and what to fix."""


@dataclass(frozen=True)
class Field:
    column: str  # bronze column (raw text)
    name: str  # the key or header in the delivered file
    aliases: tuple[str, ...] = ()  # other names the same field goes by in some exports
    type: str = "string"  # what staging casts the text to
    format: str | None = None  # date / timestamp pattern (Spark datetime pattern)
    required: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class FileSpec:
    pattern: str  # case-insensitive regex over the whole file name
    format: str  # json (array or JSON lines), csv, excel or parquet
    options: Mapping[str, object] = field(default_factory=dict)  # csv: delimiter, quotechar, encoding; excel: sheet

    def matches(self, file_name: str) -> bool:
        return re.fullmatch(self.pattern, file_name, flags=re.IGNORECASE) is not None


@dataclass(frozen=True)
class Table:
    system: str
    name: str
    files: tuple[FileSpec, ...]
    fields: tuple[Field, ...]
    key: tuple[str, ...] = ()  # bronze columns identifying a record; none: a record is its whole content

    @property
    def qualified_name(self) -> str:
        return f"{self.system}.{self.name}"

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.column for f in self.fields)

    def file_spec(self, file_name: str) -> FileSpec | None:
        return next((spec for spec in self.files if spec.matches(file_name)), None)


@dataclass(frozen=True)
class System:
    name: str
    tables: tuple[Table, ...]
    declared_in: Path


def load_systems(project_dir: Path = PROJECT_DIR) -> dict[str, System]:
    """Every landed source system declared in the YAML files under ``project_dir/models``, by name."""
    systems: dict[str, System] = {}
    for path in sorted((project_dir / "models").rglob("*.yml")):
        for system in _systems_in(path):
            if system.name in systems:
                raise DeclarationError(f"{path}: source system '{system.name}' is declared twice (also in {systems[system.name].declared_in})")
            systems[system.name] = system
    bronze: dict[str, str] = {}
    for system in systems.values():
        for table in system.tables:
            if table.name in bronze:  # bronze tables share one schema
                raise DeclarationError(
                    f"{system.declared_in}: table '{table.name}' of '{system.name}' clashes with '{bronze[table.name]}' in schema bronze"
                )
            bronze[table.name] = table.qualified_name
    return systems


def all_tables(systems: Mapping[str, System]) -> Iterator[Table]:
    for system in systems.values():
        yield from system.tables


def _systems_in(path: Path) -> Iterator[System]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DeclarationError(f"{path}: not valid YAML ({exc})") from exc
    for source in document.get("sources") or []:
        landed = [table for table in source.get("tables") or [] if _meta(table).get("landing") is not None]
        if not landed:
            continue
        name = _checked_name(path, "source", source.get("name"))
        yield System(name, tuple(_table(path, name, table) for table in landed), path)


def _table(path: Path, system: str, entry: dict) -> Table:
    name = _checked_name(path, "table", entry.get("name"))
    where = f"{path}: table '{system}.{name}'"
    landing = _meta(entry)["landing"] or {}
    files = landing.get("files")
    if not files:
        raise DeclarationError(f"{where}: landing.files must list at least one file name pattern")
    specs = tuple(_file_spec(where, item, landing) for item in files)
    columns = entry.get("columns") or []
    fields = tuple(_field(where, column) for column in columns if not str(column.get("name", "")).startswith("_"))
    lineage = tuple(column.get("name") for column in columns if str(column.get("name", "")).startswith("_"))
    if lineage != LINEAGE_COLUMNS:
        raise DeclarationError(f"{where}: must end with the lineage columns {list(LINEAGE_COLUMNS)}, found {list(lineage)}")
    key = tuple(landing.get("key") or ())
    unknown = [column for column in key if column not in {f.column for f in fields}]
    if unknown:
        raise DeclarationError(f"{where}: key names columns it does not declare: {unknown}")
    file_names = [name for f in fields for name in f.names]
    if len(set(file_names)) != len(file_names):
        raise DeclarationError(f"{where}: two columns claim the same field name in the file")
    return Table(system, name, specs, fields, key)


def _file_spec(where: str, item: object, landing: dict) -> FileSpec:
    entry = {"pattern": item} if isinstance(item, str) else dict(item)
    pattern, fmt = entry.pop("pattern", None), entry.pop("format", landing.get("format"))
    if not pattern:
        raise DeclarationError(f"{where}: a landing.files entry has no pattern")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise DeclarationError(f"{where}: file pattern /{pattern}/ is not a valid regex ({exc})") from exc
    if fmt not in FORMATS:
        raise DeclarationError(f"{where}: format {fmt!r} of /{pattern}/ is not one of {list(FORMATS)}")
    options = {**(landing.get(fmt) or {}), **entry}  # table-level options per format, overridden per file
    return FileSpec(pattern, fmt, options)


def _field(where: str, column: dict) -> Field:
    column_name = _checked_name(where, "column", column.get("name"))
    meta = _meta(column)
    if "field" not in meta:
        raise DeclarationError(f"{where}: column '{column_name}' has no meta.field (its name in the delivered file)")
    if column.get("data_type", "string") != "string":
        raise DeclarationError(f"{where}: column '{column_name}' must be data_type string in bronze (raw text); put the type in meta.type")
    type_ = str(meta.get("type", "string")).replace(" ", "")
    if not TYPE.fullmatch(type_):
        raise DeclarationError(
            f"{where}: column '{column_name}' has type {type_!r}; expected string, int, bigint, boolean, date, timestamp or decimal(p,s)"
        )
    if type_ in ("date", "timestamp") and not meta.get("format"):
        raise DeclarationError(f"{where}: column '{column_name}' is a {type_} and needs meta.format (e.g. d/M/yyyy)")
    return Field(
        column=column_name,
        name=str(meta["field"]),
        aliases=tuple(str(alias) for alias in meta.get("aliases") or ()),
        type=type_,
        format=meta.get("format"),
        required=bool(meta.get("required", False)),
    )


def _meta(node: dict) -> dict:
    """``config.meta`` (dbt 1.10+), falling back to a top-level ``meta``."""
    return (node.get("config") or {}).get("meta") or node.get("meta") or {}


def _checked_name(where: object, kind: str, name: object) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise DeclarationError(f"{where}: {kind} name {name!r} must be lower-case letters, digits and _ (it becomes a table or column name)")
    return name

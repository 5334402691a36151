"""Land one delivery of source files in the landing zone, one folder per table and load.

Layout under the landing root (a URL: ``file://`` by default)::

    sales/<table>/<load_id>/source/<file as delivered>     the original, byte for byte
    sales/<table>/<load_id>/data/part-00000.jsonl          what the bronze table reads

``data/`` holds every record as JSON lines of raw text, with lineage columns (source file, position
in it, load time). One format for every table means one kind of bronze table and no CSV quoting or
Excel types to get wrong in Spark. A load is written under a temporary name and renamed into place,
so a folder that exists is complete; earlier loads stay as they were, archived by load time.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import fsspec
from fsspec.core import url_to_fs

from ingestion.contract import SOURCE_TABLES
from ingestion.readers import DeliveryError, SourceFile, open_source_file

log = logging.getLogger(__name__)

SOURCE_SYSTEM = "sales"


@dataclass(frozen=True)
class LandedTable:
    table: str
    source_file: Path
    location: str  # URL of the data folder the bronze table reads
    rows_read: int
    rows_landed: int
    extra_fields: tuple[str, ...]


def find_delivery_files(source_dir: Path, patterns: Mapping[str, str] | None = None) -> dict[str, Path]:
    """Pick, for each source table, the one file of ``source_dir`` whose name matches its pattern."""
    patterns = dict(patterns or {})
    unknown = sorted(set(patterns) - {table.name for table in SOURCE_TABLES})
    if unknown:
        raise DeliveryError(f"--pattern names unknown tables {unknown}; the tables are {[t.name for t in SOURCE_TABLES]}")
    if not source_dir.is_dir():
        raise DeliveryError(f"{source_dir}: no such folder")
    names = sorted(path.name for path in source_dir.iterdir() if path.is_file())
    chosen: dict[str, Path] = {}
    for table in SOURCE_TABLES:
        pattern = patterns.get(table.name, table.default_pattern)
        matches = [name for name in names if table.matches(name, pattern)]
        if len(matches) != 1:
            problem = "no file matches" if not matches else f"several files match ({matches})"
            raise DeliveryError(
                f"{source_dir}: {problem} the pattern /{pattern}/ (case-insensitive) of table '{table.name}'; "
                f"files present: {names}. Rename the file or pass --pattern {table.name}=REGEX."
            )
        chosen[table.name] = source_dir / matches[0]
    return chosen


def land_delivery(
    source_dir: Path,
    landing_url: str,
    *,
    patterns: Mapping[str, str] | None = None,
    loaded_at: dt.datetime | None = None,
) -> list[LandedTable]:
    """Check and land every file of a delivery; if any file is refused, nothing is landed."""
    files = find_delivery_files(source_dir, patterns)
    for table_name, path in files.items():
        log.info("table %-9s <- %s", table_name, path)
    sources = [open_source_file(table, files[table.name]) for table in SOURCE_TABLES]
    loaded_at = (loaded_at or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    load_id = loaded_at.strftime("%Y%m%dT%H%M%S%fZ")
    fs, root = url_to_fs(landing_url)
    staged: list[tuple[str, str]] = []
    landed: list[LandedTable] = []
    try:
        for source in sources:
            tmp_dir = f"{root}/{SOURCE_SYSTEM}/{source.table.name}/_tmp_{load_id}"
            staged.append((tmp_dir, f"{root}/{SOURCE_SYSTEM}/{source.table.name}/{load_id}"))
            rows = _write_load(fs, tmp_dir, source, loaded_at)
            landed.append(
                LandedTable(
                    table=source.table.name,
                    source_file=source.path,
                    location=_url(fs, staged[-1][1]) + "/data",
                    rows_read=rows,
                    rows_landed=rows,
                    extra_fields=tuple(source.extra_fields),
                )
            )
    except BaseException:
        for tmp_dir, _ in staged:
            if fs.exists(tmp_dir):
                fs.rm(tmp_dir, recursive=True)
        raise
    for tmp_dir, final_dir in staged:
        fs.mv(tmp_dir, final_dir, recursive=True)
    return landed


def _write_load(fs: fsspec.AbstractFileSystem, load_dir: str, source: SourceFile, loaded_at: dt.datetime) -> int:
    fs.makedirs(f"{load_dir}/source", exist_ok=True)
    fs.put_file(str(source.path), f"{load_dir}/source/{source.path.name}")
    loaded_at_text = loaded_at.isoformat(timespec="microseconds")
    rows = 0
    fs.makedirs(f"{load_dir}/data", exist_ok=True)
    with fs.open(f"{load_dir}/data/part-00000.jsonl", "w", encoding="utf-8") as out:
        for position, record in source.records:
            row = {f.column: record.get(f.source_name) for f in source.table.fields}
            row.update(_source_file=source.path.name, _source_position=position, _loaded_at=loaded_at_text)
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            rows += 1
    return rows


def _url(fs: fsspec.AbstractFileSystem, path: str) -> str:
    """The URL Spark reads a landed path by (``file:///...`` for the local file system)."""
    return fs.unstrip_protocol(path)


"""Land one delivery of source files in the landing zone, one folder per table and load.

Layout under the landing root (a URL: ``file://`` by default; ``s3://``, ``abfs://`` / ``az://`` and
Unity Catalog volume paths ``/Volumes/...`` work alike, see ingestion/storage.py)::

    sales/<table>/<load_id>/source/<file as delivered>        the original, byte for byte
    sales/<table>/<load_id>/data/part-00000.jsonl             loaded records: what bronze.<table> reads
    sales/<table>/<load_id>/quarantine/part-00000.jsonl       the other records, with the reason
    sales/<table>/<load_id>/_manifest.json                    content hash, delivery, row counts

``data/`` holds every loaded record as JSON lines of raw text with lineage columns (source file,
position in it, load time): one format for every table, so no CSV quoting or Excel types to get
wrong in Spark. The per-load ``_manifest.json`` files are the landing manifest: the same file
(by SHA-256) is never landed twice, and a changed file for the same delivery replaces the earlier
load, which stays archived. A load is written under ``_tmp_<load_id>`` and moved into place only
when every file of the delivery has passed its checks; its ``_manifest.json`` is written last and is
the commit marker. Locally the move is an atomic rename, but on object stores and volumes it is a
copy and a delete, so a load folder without a manifest may be partial: it is never read, and the
next run removes it, as it does ``_tmp_`` folders left by a killed run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import fsspec

from ingestion.contract import SOURCE_TABLES, SourceTable
from ingestion.readers import DeliveryError, RawRecord, open_source_file
from ingestion.storage import landing_filesystem, move_folder, write_whole
from ingestion.validate import CheckedFile, check_file

log = logging.getLogger(__name__)

SOURCE_SYSTEM = "sales"
DEFAULT_MAX_QUARANTINE_SHARE = 0.05
TMP_PREFIX = "_tmp_"
MANIFEST = "_manifest.json"
# Names that end up in paths and SQL string literals: a conservative alphabet, no quotes,
# semicolons, backslashes or path separators (a file name) / parent references (a URL).
SAFE_FILE_NAME = re.compile(r"[\w][\w .()+-]*", flags=re.UNICODE)
SAFE_URL = re.compile(r"[A-Za-z0-9_:/.=+@%~-]+")


@dataclass(frozen=True)
class LandedTable:
    """What one run did for one table; the fields of ``_manifest.json`` plus where bronze reads."""

    table: str
    source_file: str
    delivery: str
    load_id: str
    sha256: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_duplicate: int
    repeat_lines: int
    extra_fields: tuple[str, ...]
    location: str  # URL of the data folder bronze.<table> reads
    quarantine_location: str  # URL of the quarantine folder bronze.<table>_quarantine reads
    status: str = "new"  # new / unchanged / replaces <load_id>


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
        if not SAFE_FILE_NAME.fullmatch(matches[0]):
            raise DeliveryError(
                f"{source_dir}: refusing file name {matches[0]!r} for table '{table.name}': only letters, digits, "
                "spaces and ._()+- are allowed in a delivered file name. Rename the file."
            )
        chosen[table.name] = source_dir / matches[0]
    return chosen


def land_delivery(
    source_dir: Path,
    landing_url: str,
    *,
    patterns: Mapping[str, str] | None = None,
    delivery: str | None = None,
    max_quarantine_share: float = DEFAULT_MAX_QUARANTINE_SHARE,
    loaded_at: dt.datetime | None = None,
) -> list[LandedTable]:
    """Check and land every file of a delivery; if any file is refused, nothing is landed.

    ``delivery`` names the delivery (default: the folder's name): landing a different file for a
    delivery that was landed before replaces it. Raises DeliveryError, with a message for a person.
    """
    delivery = delivery or source_dir.name
    if not SAFE_FILE_NAME.fullmatch(delivery):
        raise DeliveryError(f"refusing delivery name {delivery!r}: only letters, digits, spaces and ._()+- are allowed")
    if not SAFE_URL.fullmatch(landing_url) or "/../" in landing_url + "/":
        raise DeliveryError(f"refusing landing URL {landing_url!r}: only letters, digits and _:/.=+@%~- are allowed, no '..'")
    fs, root = landing_filesystem(landing_url)
    _remove_unfinished_loads(fs, root)
    loaded_at = (loaded_at or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    load_id = loaded_at.strftime("%Y%m%dT%H%M%S%fZ")

    files = find_delivery_files(source_dir, patterns)
    plans: list[tuple[SourceTable, Path, str, list[LandedTable]]] = []  # table, file, sha256, its earlier loads
    for table in SOURCE_TABLES:
        path = files[table.name]
        log.info("table %-9s <- %s", table.name, path)
        sha256 = _sha256(path)
        plans.append((table, path, sha256, _earlier_loads(fs, root, table.name)))

    landed: list[LandedTable] = []
    staged: list[tuple[str, str, LandedTable]] = []  # tmp folder, final folder, manifest
    try:
        for table, path, sha256, earlier in plans:
            same = [load for load in earlier if load.sha256 == sha256]
            if same:
                unchanged = same[-1]
                landed.append(replace(unchanged, status=f"unchanged: already landed as load {unchanged.load_id}"))
                continue
            checked = check_file(open_source_file(table, path))
            _enforce_quarantine_limit(checked, max_quarantine_share)
            replaced = [load.load_id for load in earlier if load.delivery == delivery]
            final_dir = f"{root}/{SOURCE_SYSTEM}/{table.name}/{load_id}"
            result = LandedTable(
                table=table.name,
                source_file=path.name,
                delivery=delivery,
                load_id=load_id,
                sha256=sha256,
                rows_read=checked.rows_read,
                rows_loaded=len(checked.loaded),
                rows_quarantined=len(checked.rejected),
                rows_duplicate=len(checked.duplicates),
                repeat_lines=checked.repeat_lines,
                extra_fields=tuple(checked.source.extra_fields),
                location=fs.unstrip_protocol(f"{final_dir}/data"),
                quarantine_location=fs.unstrip_protocol(f"{final_dir}/quarantine"),
                status=f"replaces load {replaced[-1]} of delivery '{delivery}' (content changed)" if replaced else "new",
            )
            tmp_dir = f"{root}/{SOURCE_SYSTEM}/{table.name}/{TMP_PREFIX}{load_id}"
            staged.append((tmp_dir, final_dir, result))
            _write_load(fs, tmp_dir, checked, loaded_at)
            landed.append(result)
    except BaseException:
        for tmp_dir, _, _ in staged:
            if fs.exists(tmp_dir):
                fs.rm(tmp_dir, recursive=True)
        raise
    for tmp_dir, final_dir, result in staged:
        move_folder(fs, tmp_dir, final_dir)
        # The manifest is the commit marker: written last, once the load's files are all in place.
        write_whole(fs, f"{final_dir}/{MANIFEST}", json.dumps(asdict(result), indent=2).encode("utf-8"))
    return landed


def _enforce_quarantine_limit(checked: CheckedFile, max_share: float) -> None:
    rejected = len(checked.rejected)
    if checked.rows_read and rejected / checked.rows_read > max_share:
        reasons = "; ".join(f"{checked.source.position_kind} {record.position}: {reason}" for record, reason in checked.rejected[:3])
        raise DeliveryError(
            f"{checked.source.path.name}: {rejected} of {checked.rows_read} records "
            f"({rejected / checked.rows_read:.1%}) fail their checks, above the limit of {max_share:.0%}; "
            f"nothing of the delivery was landed. First reasons: {reasons}. "
            "Fix the file, or raise the limit with --max-quarantine-share."
        )


def _write_load(fs: fsspec.AbstractFileSystem, load_dir: str, checked: CheckedFile, loaded_at: dt.datetime) -> None:
    """Everything of a load but its manifest."""
    source = checked.source
    loaded_at_text = loaded_at.isoformat(timespec="microseconds")
    fs.makedirs(f"{load_dir}/source", exist_ok=True)
    fs.put_file(str(source.path), f"{load_dir}/source/{source.path.name}")

    def lineage(record: RawRecord) -> dict:
        return {"_source_file": source.path.name, "_source_position": record.position, "_loaded_at": loaded_at_text}

    loaded_rows = (
        {**{f.column: record.values.get(f.source_name) for f in source.table.fields}, **lineage(record)}
        for record in checked.loaded
    )
    quarantined_rows = (
        {**lineage(record), "raw_record": record.raw, "reason": reason}
        for record, reason in sorted([*checked.rejected, *checked.duplicates], key=lambda item: item[0].position)
    )
    _write_json_lines(fs, f"{load_dir}/data/part-00000.jsonl", loaded_rows)
    _write_json_lines(fs, f"{load_dir}/quarantine/part-00000.jsonl", quarantined_rows)


def _write_json_lines(fs: fsspec.AbstractFileSystem, path: str, rows) -> None:
    fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
    with fs.open(path, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def _earlier_loads(fs: fsspec.AbstractFileSystem, root: str, table: str) -> list[LandedTable]:
    """The finished loads of a table, oldest first, read from their manifests."""
    table_dir = f"{root}/{SOURCE_SYSTEM}/{table}"
    if not fs.exists(table_dir):
        return []
    loads = []
    for manifest in sorted(fs.glob(f"{table_dir}/*/{MANIFEST}")):
        if f"/{TMP_PREFIX}" in manifest:
            continue
        with fs.open(manifest, "r", encoding="utf-8") as handle:
            fields = json.load(handle)
        loads.append(LandedTable(**{**fields, "extra_fields": tuple(fields["extra_fields"])}))
    return loads


def _remove_unfinished_loads(fs: fsspec.AbstractFileSystem, root: str) -> None:
    """Load folders without a manifest, and ``_tmp_`` folders, were never visible; clear them."""
    finished = {manifest.rsplit("/", 1)[0] for manifest in fs.glob(f"{root}/{SOURCE_SYSTEM}/*/*/{MANIFEST}")}
    for load_dir, info in fs.glob(f"{root}/{SOURCE_SYSTEM}/*/*", detail=True).items():
        unfinished = load_dir.rsplit("/", 1)[1].startswith(TMP_PREFIX) or load_dir not in finished
        if info["type"] == "directory" and unfinished:
            log.warning("removing %s, left by an interrupted load", fs.unstrip_protocol(load_dir))
            fs.rm(load_dir, recursive=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


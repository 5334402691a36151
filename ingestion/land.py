"""Land one delivery in the landing zone: find its files, read them, write bronze parts, commit each load.

Layout under the landing root (a URL: ``file://`` by default; ``s3://``, ``abfs://`` / ``az://`` and
Unity Catalog volume paths ``/Volumes/...`` work alike, see ingestion/storage.py)::

    <system>/<table>/<load_id>/source/<file as delivered>     every delivered file of the load, byte for byte
    <system>/<table>/<load_id>/data/part-00000.jsonl ...      bronze rows (ingestion/write.py): what bronze.<table> reads
    <system>/<table>/<load_id>/_manifest.json                 the commit marker: files and parts with their size and SHA-256, rows
    load_log/<system>__<table>__<load_id>.jsonl               one line per delivered file (per sheet) of the load: landing.loads

The files of one table in one delivery are one load, of kind ``full`` (a whole extract, the
default) or ``increment`` (new and changed records since the previous delivery; ``load --increment``).
A table's current loads, which bronze reads, are its newest full load and every later increment
(``current_loads``); a record delivered again in a later load replaces the earlier version (the
record rules, macros/checked_source_records.sql). A table whose files have the same content
(SHA-256) as its newest load is not landed again; a changed file for a delivery that was landed
before gives a new load that replaces it (the earlier one stays archived). Each load is written
under ``_tmp_<load_id>`` and moved into place only when every file of the delivery has been read
to its end. Locally the move is an
atomic rename, but on object stores and volumes it is a copy and a delete, so each file is read
back at its final place and checked against the size and SHA-256 it was written with (on Azure
after its server-side copy has finished) before its original is deleted. Only when every load of
the delivery is proven in place are their ``_manifest.json`` written (the commit marker, itself
read back), then their load-log files. A load folder without a manifest may be partial: it is
never read, and the next run removes it, as it does ``_tmp_`` folders left by a killed run or a
failed check; a committed load whose load-log file is missing (a run killed between the two
writes) gets it written by the next run. ``ingestion.verify`` checks committed loads later.

One run per lake at a time: a run holds ``$SALES_LAKE_DIR/ingestion.lock`` (``flock``) while it lands.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import multiprocessing
import os
import pickle
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from queue import Empty

import fsspec

from ingestion.declaration import System, load_systems
from ingestion.find import Delivery, DeliveryError, TableFiles, check_landing_url, find_delivery
from ingestion.read import read_file
from ingestion.settings import copy_timeout, lake_dir
from ingestion.storage import Digest, IntegrityError, landing_filesystem, move_verified, write_whole
from ingestion.write import DEFAULT_PART_BYTES, BronzeWriter, LandedPart

log = logging.getLogger(__name__)

TMP_PREFIX = "_tmp_"
MANIFEST = "_manifest.json"
LOAD_LOG = "load_log"
LOCK_FILE = "ingestion.lock"
PARALLEL_FROM = 16 << 20  # a second landing process pays when the other tables than the largest cost this much (bytes)


class LandingLockedError(Exception):
    """Another run holds the lake's ingestion lock."""


@dataclass(frozen=True)
class LandedFile:
    name: str  # as delivered
    sha256: str
    bytes: int
    rows_read: int  # records read from it, each one a bronze row
    extra_fields: tuple[str, ...] = ()  # columns outside the declaration: schema drift, landed without them
    sheets: tuple[tuple[str, int], ...] = ()  # (``Book.xlsx[Sheet]``, rows) for a workbook read with ``sheets: all``


@dataclass(frozen=True)
class LandedTable:
    """One table's load: the fields of its ``_manifest.json``, and what this run did (``status``)."""

    system: str
    table: str
    delivery: str
    load_id: str
    loaded_at: str  # ISO UTC with microseconds; every bronze row's _loaded_at
    files: tuple[LandedFile, ...]
    rows_read: int
    parts: tuple[LandedPart, ...]
    location: str  # URL of the load's data folder, one of those bronze.<table> reads
    load_kind: str = "full"  # full: a whole extract; increment: new and changed records since the previous load
    status: str = "new"  # new / unchanged: already landed as load X / replaces load X of delivery 'd' (content changed)

    @property
    def qualified_name(self) -> str:
        return f"{self.system}.{self.table}"

    def stored_files(self) -> dict[str, Digest | None]:
        """What the load's folder must hold besides its manifest, by path relative to it (None: landed before parts had checksums)."""
        files: dict[str, Digest | None] = {f"source/{file.name}": Digest(file.bytes, file.sha256) for file in self.files}
        for part in self.parts:
            files[f"data/{part.name}"] = part.digest if part.sha256 else None
        return files

    def manifest(self) -> dict:
        fields = asdict(self)
        del fields["status"]
        return fields

    def load_log(self) -> bytes:
        """The load's file in the load log: one JSON line per row of ``load_log_lines``."""
        return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in self.load_log_lines()).encode("utf-8")

    def load_log_lines(self) -> list[dict]:
        """One landing.loads row per delivered file, or per sheet of a workbook read with ``sheets: all``."""
        lines = []
        for file in self.files:
            for source_file, rows in file.sheets or ((file.name, file.rows_read),):
                lines.append({
                    "source_system": self.system, "source_table": self.table, "load_id": self.load_id, "delivery": self.delivery,
                    "source_file": source_file, "file_sha256": file.sha256, "rows_read": rows, "loaded_at": self.loaded_at,
                    "load_kind": self.load_kind,
                })  # fmt: skip
        return lines


def land_delivery(
    source_dir: Path,
    landing_url: str,
    *,
    systems: Mapping[str, System] | None = None,
    system: str | None = None,
    patterns: Mapping[str, str] | None = None,
    delivery: str | None = None,
    loaded_at: dt.datetime | None = None,
    part_bytes: int = DEFAULT_PART_BYTES,
    progress: bool | None = None,
    workers: int | None = None,
    again: bool = False,
    increment: bool = False,
) -> list[LandedTable]:
    """Find the files of ``source_dir`` (see ingestion.find.find_delivery) and land them (see ``land``)."""
    found = find_delivery(source_dir, systems=systems, system=system, patterns=patterns, name=delivery, increment=increment)
    return land(
        found,
        landing_url,
        systems=systems,
        loaded_at=loaded_at,
        part_bytes=part_bytes,
        progress=progress,
        workers=workers,
        again=again,
        increment=increment,
    )


def land(
    delivery: Delivery,
    landing_url: str,
    *,
    systems: Mapping[str, System] | None = None,
    loaded_at: dt.datetime | None = None,
    part_bytes: int = DEFAULT_PART_BYTES,
    progress: bool | None = None,
    workers: int | None = None,
    again: bool = False,
    increment: bool = False,
) -> list[LandedTable]:
    """Land every table of ``delivery``; if any file is refused, or any landed file is not proven in
    place, nothing of it is committed.

    Raises DeliveryError or IntegrityError, with a message for a person. ``progress``: show a progress bar per table
    (default: when stderr is a terminal); one summary line per file is logged either way.
    ``workers``: tables are read in this many processes at once (default: one per core, at most
    two, which keeps the peak memory of a run within twice that of one reader; one when the
    tables besides the largest are too small for a second process to pay). ``again``: land a table
    even when its files are those of its newest load (after ``verify`` found that load drifted).
    ``increment``: the delivery holds new and changed records only; bronze reads it with the loads before it.
    """
    check_landing_url(landing_url)
    systems = load_systems() if systems is None else systems
    if LOAD_LOG in systems:
        raise DeliveryError(f"a source system may not be named '{LOAD_LOG}': the landing zone keeps its load log under that name")
    loaded_at = (loaded_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    load_id = loaded_at.strftime("%Y%m%dT%H%M%S%fZ")
    loaded_at_text = loaded_at.isoformat(timespec="microseconds")
    show_progress = sys.stderr.isatty() if progress is None else progress

    with lake_lock():
        fs, root = landing_filesystem(landing_url)
        _remove_unfinished_loads(fs, root, systems)
        committed = committed_loads(fs, root, systems)
        _complete_load_log(fs, root, committed)

        landed: dict[str, LandedTable] = {}
        stages: list[_Stage] = []
        for table_files in delivery.tables:
            table = table_files.table
            hashes = tuple((_sha256(file.path), file.path.stat().st_size) for file in table_files.files)
            earlier = committed.get(table.qualified_name, [])
            unchanged = earlier and sorted(sha for sha, _ in hashes) == sorted(file.sha256 for file in earlier[-1].files)
            if unchanged and not again:
                landed[table.qualified_name] = replace(earlier[-1], status=f"unchanged: already landed as load {earlier[-1].load_id}")
                continue
            replaced = [load.load_id for load in earlier if load.delivery == delivery.name]
            if unchanged:
                status = f"replaces load {earlier[-1].load_id} (same files, landed again)"
            else:
                status = f"replaces load {replaced[-1]} of delivery '{delivery.name}' (content changed)" if replaced else "new"
            if increment:
                status = f"{status}, increment"
            load_dir = f"{root}/{table.system}/{table.name}/{load_id}"
            stages.append(_Stage(table_files, hashes, load_dir, loaded_at_text, part_bytes, status))

        try:
            results = _stage_loads(fs, landing_url, stages, show_progress, workers)
        except BaseException:
            for stage in stages:
                with contextlib.suppress(FileNotFoundError):
                    if fs.exists(stage.tmp_dir):
                        fs.rm(stage.tmp_dir, recursive=True)
            raise
        for stage, (files, parts) in zip(stages, results, strict=True):
            table = stage.table_files.table
            landed[table.qualified_name] = LandedTable(
                system=table.system,
                table=table.name,
                delivery=delivery.name,
                load_id=load_id,
                loaded_at=loaded_at_text,
                files=files,
                rows_read=sum(file.rows_read for file in files),
                parts=parts,
                location=fs.unstrip_protocol(f"{stage.load_dir}/data"),
                load_kind="increment" if increment else "full",
                status=stage.status,
            )
        results = [landed[stage.table_files.table.qualified_name] for stage in stages]
        for stage, result in zip(stages, results, strict=True):
            try:
                move_verified(fs, stage.tmp_dir, stage.load_dir, result.stored_files(), copy_timeout=copy_timeout())
            except IntegrityError as exc:
                raise IntegrityError(f"{result.qualified_name}: {exc}; nothing of delivery '{delivery.name}' was committed: land it again") from None
        # The manifests are the commit markers: written last, once every load's files are proven in place.
        for stage, result in zip(stages, results, strict=True):
            write_whole(fs, f"{stage.load_dir}/{MANIFEST}", json.dumps(result.manifest(), indent=2).encode("utf-8"))
            _write_load_log(fs, root, result)
    return [landed[table_files.table.qualified_name] for table_files in delivery.tables]


def current_loads(loads: list[LandedTable]) -> list[LandedTable]:
    """The loads bronze reads, of one table's committed ``loads`` (oldest first): its newest full load
    and every increment after it (every increment when there is no full load), each delivery
    counted by its newest load only (a delivery landed again with changed files replaces its
    earlier load). stg_landing__loads applies the same rule to the load log."""
    newest_of_delivery = {load.delivery: load for load in loads}
    kept = [load for load in loads if newest_of_delivery[load.delivery] is load]
    fulls = [index for index, load in enumerate(kept) if load.load_kind == "full"]
    return kept[fulls[-1] if fulls else 0 :]


def bronze_locations(landing_url: str, systems: Mapping[str, System] | None = None) -> dict[str, list[str]]:
    """Where bronze reads: ``{"<system>.<table>": [data folder of each current load, oldest first], ..., "landing.loads": [load log]}``.

    Every declared table with a committed load is named, whatever delivery it came with; none when
    nothing was ever landed.
    """
    systems = load_systems() if systems is None else systems
    fs, root = landing_filesystem(landing_url)
    current = {name: [load.location for load in current_loads(loads)] for name, loads in committed_loads(fs, root, systems).items()}
    return {**current, "landing.loads": [fs.unstrip_protocol(f"{root}/{LOAD_LOG}")]} if current else {}


def landed_systems(landing_url: str, systems: Mapping[str, System] | None = None) -> list[str]:
    """The declared source systems that have at least one committed load, in declaration order."""
    systems = load_systems() if systems is None else systems
    fs, root = landing_filesystem(landing_url)
    committed = committed_loads(fs, root, systems)
    return [name for name, system in systems.items() if any(table.qualified_name in committed for table in system.tables)]


@contextlib.contextmanager
def lake_lock(lake: Path | None = None) -> Iterator[Path]:
    """Hold ``<lake>/ingestion.lock`` (default: $SALES_LAKE_DIR) for one run; raise LandingLockedError at once if another run does.

    Reentrant within a process: a run that holds the lock (the CLI, around landing and registration)
    can call functions that take it again.
    """
    path = (lake or lake_dir()) / LOCK_FILE
    if path in _HELD:
        _HELD[path] += 1
        try:
            yield path
        finally:
            _HELD[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held until the run ends
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise LandingLockedError(
                f"another ingestion run holds the lock {path} (pid {holder}); one run per lake at a time: wait for it to finish"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        _HELD[path] = 1
        try:
            yield path
        finally:
            del _HELD[path]
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


_HELD: dict[Path, int] = {}  # locks this process holds, with their depth


@dataclass(frozen=True)
class _Stage:
    """One table's load to write under its temporary folder: what a landing worker gets."""

    table_files: TableFiles
    hashes: tuple[tuple[str, int], ...]  # (sha256, bytes) per file
    load_dir: str  # where the load is committed
    loaded_at: str
    part_bytes: int
    status: str

    @property
    def tmp_dir(self) -> str:
        head, load_id = self.load_dir.rsplit("/", 1)
        return f"{head}/{TMP_PREFIX}{load_id}"

    @property
    def cost(self) -> int:
        """Rough reading time, to start the longest first: a workbook's bytes cost about ten times a text file's."""
        return sum(size * (10 if file.spec.format == "excel" else 1) for file, (_, size) in zip(self.table_files.files, self.hashes, strict=True))


Staged = tuple[tuple[LandedFile, ...], tuple[LandedPart, ...]]  # the load's files and its bronze parts


def _stage_loads(fs: fsspec.AbstractFileSystem, landing_url: str, stages: list[_Stage], show_progress: bool, workers: int | None) -> list[Staged]:
    """Write every stage's temporary folder, in worker processes when there are several; results in stage order."""
    if workers is None:
        costs = sorted(stage.cost for stage in stages)
        workers = min(2, os.cpu_count() or 1) if sum(costs[:-1]) >= PARALLEL_FROM else 1
    workers = min(len(stages), workers)
    bars = _ProgressBars(stages) if show_progress else None
    try:
        if workers <= 1:
            send = bars.handle if bars else None
            return [_write_load(fs, stage, _Reporter(index, send, log_to=send)) for index, stage in enumerate(stages)]
        return _stage_in_processes(landing_url, stages, workers, bars)
    finally:
        if bars:
            bars.close()


def _stage_in_processes(landing_url: str, stages: list[_Stage], workers: int, bars: _ProgressBars | None) -> list[Staged]:
    """One process per stage, ``workers`` at a time, the costliest first; any failure stops them all and is raised."""
    context = multiprocessing.get_context("spawn")  # not fork: fsspec's and the SDKs' threads do not survive it
    queue = context.Queue()
    waiting = sorted(range(len(stages)), key=lambda index: -stages[index].cost)
    running: dict[int, multiprocessing.process.BaseProcess] = {}
    results: dict[int, Staged] = {}
    try:
        while waiting or running:
            while waiting and len(running) < workers:
                index = waiting.pop(0)
                process = context.Process(
                    target=_worker, args=(queue, os.getpid(), landing_url, stages[index], index), name=f"landing {index}", daemon=True
                )
                process.start()
                running[index] = process
            try:
                index, kind, value = queue.get(timeout=0.2)
            except Empty:
                for index, process in running.items():
                    if not process.is_alive():  # and nothing more from it in the queue: it died without a word
                        table = stages[index].table_files.table.qualified_name
                        raise RuntimeError(f"the landing process of {table} stopped (exit code {process.exitcode}) before it finished") from None
                continue
            if kind == "done":
                results[index] = value
                running.pop(index).join()
            elif kind == "error":
                raise value
            else:
                _handle(bars, index, kind, value)
    finally:
        for process in running.values():
            process.terminate()
        for process in running.values():
            process.join()
        queue.close()
    return [results[index] for index in range(len(stages))]


def _handle(bars: _ProgressBars | None, index: int, kind: str, value: object) -> None:
    """A message from a worker: progress for the bars, or a summary line (printed above the bars when they are shown)."""
    if bars is not None:
        bars.handle(index, kind, value)
    elif kind == "log":
        log.info("%s", value)


def _worker(queue, parent: int, landing_url: str, stage: _Stage, index: int) -> None:
    """A landing worker process: writes one stage and reports to the parent through ``queue``."""

    def send(index: int, kind: str, value: object) -> None:
        if os.getppid() != parent:  # the run was killed: stop writing into a folder the next run clears
            os._exit(1)
        queue.put((index, kind, value))

    try:
        fs, _ = landing_filesystem(landing_url)
        result = _write_load(fs, stage, _Reporter(index, send, log_to=send))
    except BaseException as exc:  # the parent decides; it stops the other workers
        if not isinstance(exc, DeliveryError):
            traceback.print_exc()
        try:
            pickle.dumps(exc)
        except Exception:
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        queue.put((index, "error", exc))
        return
    queue.put((index, "done", result))


class _Reporter:
    """A worker's side of the progress bars: tells which file it reads and how far, at most a few times a second."""

    def __init__(self, index: int, send: Callable[[int, str, object], None] | None, log_to: Callable[[int, str, object], None] | None = None) -> None:
        self.index, self.send, self.log_to = index, send, log_to
        self.unsent, self.sent_at = 0, time.monotonic()

    def file(self, name: str) -> Callable[[int], None] | None:
        if self.send is None:
            return None
        self.send(self.index, "file", name)
        return self.advance

    def advance(self, count: int) -> None:
        self.unsent += count
        if time.monotonic() - self.sent_at > 0.2:
            self.flush()

    def flush(self) -> None:
        if self.send is not None and self.unsent:
            self.send(self.index, "bytes", self.unsent)
        self.unsent, self.sent_at = 0, time.monotonic()

    def summary(self, line: str) -> None:
        if self.log_to is not None:
            self.log_to(self.index, "log", line)
        else:
            log.info("%s", line)


class _ProgressBars:
    """One tqdm bar per table, over the bytes of its files, from when its first file is opened."""

    def __init__(self, stages: list[_Stage]) -> None:
        self.stages = stages
        self.bars: dict[int, object] = {}

    def handle(self, index: int, kind: str, value: object) -> None:
        from tqdm import tqdm

        if kind == "log":
            tqdm.write(str(value), file=sys.stderr)
            return
        if index not in self.bars:
            stage = self.stages[index]
            total = sum(size for _, size in stage.hashes)
            self.bars[index] = tqdm(total=total, desc=stage.table_files.table.qualified_name, position=len(self.bars), unit="B",
                                    unit_scale=True, unit_divisor=1024, leave=True, file=sys.stderr)  # fmt: skip
        bar = self.bars[index]
        if kind == "file":
            bar.set_description(f"{self.stages[index].table_files.table.qualified_name} <- {value}")
        else:
            bar.update(value)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _write_load(fs: fsspec.AbstractFileSystem, stage: _Stage, reporter: _Reporter) -> Staged:
    """Everything of a load but its manifest, in its temporary folder: the delivered files and the bronze parts."""
    table, load_dir = stage.table_files.table, stage.tmp_dir
    fs.makedirs(f"{load_dir}/source", exist_ok=True)
    for file in stage.table_files.files:
        fs.put_file(str(file.path), f"{load_dir}/source/{file.name}")
    writer = BronzeWriter(fs, f"{load_dir}/data", table.columns, stage.loaded_at, part_bytes=stage.part_bytes)
    files = []
    try:
        for file, (sha256, size) in zip(stage.table_files.files, stage.hashes, strict=True):
            started, sheets, extra = time.monotonic(), [], {}
            for stream in read_file(table, file, progress=reporter.file(file.name)):
                sheets.append((stream.name, writer.write(stream)))
                extra.update(dict.fromkeys(stream.extra_fields))
            reporter.flush()
            rows = sum(count for _, count in sheets)
            reporter.summary(f"{table.qualified_name} <- {file.name}: {rows} rows, {size / 1e6:.1f} MB in {time.monotonic() - started:.1f} s")
            named_sheets = tuple(sheets) if sheets and sheets[0][0] != file.name else ()
            files.append(LandedFile(file.name, sha256, size, rows, tuple(extra), named_sheets))
        parts = writer.close()
    except BaseException:
        writer.abort()
        raise
    return tuple(files), tuple(parts)


def _write_load_log(fs: fsspec.AbstractFileSystem, root: str, load: LandedTable) -> None:
    fs.makedirs(f"{root}/{LOAD_LOG}", exist_ok=True)
    write_whole(fs, load_log_path(root, load), load.load_log())


def load_log_path(root: str, load: LandedTable) -> str:
    return f"{root}/{LOAD_LOG}/{load.system}__{load.table}__{load.load_id}.jsonl"


def _complete_load_log(fs: fsspec.AbstractFileSystem, root: str, committed: Mapping[str, list[LandedTable]]) -> None:
    """Write the load-log file of committed loads that lack it (a run stopped between the manifest and the log)."""
    present = set(fs.glob(f"{root}/{LOAD_LOG}/*.jsonl")) if fs.exists(f"{root}/{LOAD_LOG}") else set()
    present = {fs._strip_protocol(path) for path in present}
    for loads in committed.values():
        for load in loads:
            path = load_log_path(root, load)
            if fs._strip_protocol(path) not in present:
                log.warning("writing the missing load-log file %s of committed load %s", fs.unstrip_protocol(path), load.load_id)
                _write_load_log(fs, root, load)


def committed_loads(fs: fsspec.AbstractFileSystem, root: str, systems: Mapping[str, System]) -> dict[str, list[LandedTable]]:
    """The committed loads of every declared table that has one, oldest first, read from their manifests."""
    loads: dict[str, list[LandedTable]] = {}
    for system in systems.values():
        if not fs.exists(f"{root}/{system.name}"):
            continue
        declared = {table.name for table in system.tables}
        for manifest in sorted(fs.glob(f"{root}/{system.name}/*/*/{MANIFEST}")):
            table, load_dir = manifest.rsplit("/", 3)[1:3]
            if load_dir.startswith(TMP_PREFIX) or table not in declared:
                continue
            with fs.open(manifest, "rb") as handle:
                load = _from_manifest(json.loads(handle.read()))
            if load is None:
                log.debug("%s: a manifest of an older landing format; not a load of this one", manifest)
                continue
            loads.setdefault(f"{system.name}.{table}", []).append(load)
    for table_loads in loads.values():
        table_loads.sort(key=lambda load: load.load_id)
    return loads


def _from_manifest(fields: dict) -> LandedTable | None:
    if not {"system", "files", "parts", "loaded_at"} <= set(fields):
        return None  # landed before source systems were declared: its data folder lacks the rows that failed checks
    files = tuple(
        LandedFile(**{**file, "extra_fields": tuple(file["extra_fields"]), "sheets": tuple(tuple(sheet) for sheet in file.get("sheets", ()))})
        for file in fields["files"]
    )
    if isinstance(fields["parts"], int):  # landed before parts had checksums: their names only
        parts = tuple(LandedPart(f"part-{index:05d}.jsonl", 0, "") for index in range(fields["parts"]))
    else:
        parts = tuple(LandedPart(**part) for part in fields["parts"])
    return LandedTable(**{**fields, "files": files, "parts": parts, "status": ""})


def _remove_unfinished_loads(fs: fsspec.AbstractFileSystem, root: str, systems: Mapping[str, System]) -> None:
    """Load folders without a manifest, and ``_tmp_`` folders, were never visible; clear them."""
    for system in systems:
        if not fs.exists(f"{root}/{system}"):
            continue
        finished = {manifest.rsplit("/", 1)[0] for manifest in fs.glob(f"{root}/{system}/*/*/{MANIFEST}")}
        for load_dir, info in sorted(fs.glob(f"{root}/{system}/*/*", detail=True).items()):
            unfinished = load_dir.rsplit("/", 1)[1].startswith(TMP_PREFIX) or load_dir not in finished
            if info["type"] == "directory" and unfinished:
                log.warning("removing %s, left by an interrupted load", fs.unstrip_protocol(load_dir))
                fs.rm(load_dir, recursive=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()

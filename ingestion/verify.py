"""Verify: re-check committed loads against their manifests, on any backend.

Each current load (what bronze reads: a table's newest full load and the increments after it), and with
``archived`` every earlier committed load too, must hold exactly the files its ``_manifest.json`` names (the
delivered files under ``source/``, the bronze parts under ``data/``), each with the size and
SHA-256 recorded when it was landed, read back from the backend; and its load-log file must hold
the lines the manifest gives. Anything else is drift: a file missing, changed or extra.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ingestion.declaration import System, load_systems
from ingestion.land import LOAD_LOG, MANIFEST, committed_loads, current_loads, load_log_path
from ingestion.storage import Digest, file_problem, landing_filesystem


@dataclass(frozen=True)
class Drift:
    path: str  # URL of the file
    problem: str  # missing / extra file, not in the manifest / how its bytes differ


@dataclass(frozen=True)
class Verification:
    loads: int
    files: int  # files read back
    bytes: int
    drift: tuple[Drift, ...]
    unchecked: tuple[str, ...]  # files that exist but have no checksum to compare with (landed before parts had one)


def verify_loads(landing_url: str, systems: Mapping[str, System] | None = None, system: str | None = None, *, archived: bool = False) -> Verification:
    """Read back every file of the current loads (with ``archived``, of every committed load) of ``system``, or of
    every declared system, and compare it with its manifest."""
    systems = load_systems() if systems is None else systems
    if system is not None:
        systems = {system: systems[system]}
    fs, root = landing_filesystem(landing_url)
    drift: list[Drift] = []
    unchecked: list[str] = []
    loads = files = size = 0
    committed = committed_loads(fs, root, systems)
    logged = {fs._strip_protocol(load_log_path(root, load)) for table_loads in committed.values() for load in table_loads}
    for table_loads in committed.values():
        for load in table_loads if archived else current_loads(table_loads):
            loads += 1
            load_dir = fs._strip_protocol(f"{root}/{load.system}/{load.table}/{load.load_id}")
            checks: dict[str, Digest | None] = {f"{load_dir}/{name}": digest for name, digest in load.stored_files().items()}
            checks[fs._strip_protocol(load_log_path(root, load))] = Digest.of(load.load_log())
            stored = {fs._strip_protocol(path) for path in fs.find(load_dir)}
            for path in sorted(stored - set(checks) - {f"{load_dir}/{MANIFEST}"}):
                drift.append(Drift(fs.unstrip_protocol(path), "extra file, not in the manifest"))
            for path, digest in checks.items():
                if digest is None:  # a part landed before parts had checksums: its presence only
                    if path in stored:
                        unchecked.append(fs.unstrip_protocol(path))
                    else:
                        drift.append(Drift(fs.unstrip_protocol(path), "missing"))
                elif problem := file_problem(fs, path, digest):
                    drift.append(Drift(fs.unstrip_protocol(path), problem))
                else:
                    files, size = files + 1, size + digest.bytes
    if fs.exists(f"{root}/{LOAD_LOG}"):
        for path in sorted(fs.find(f"{root}/{LOAD_LOG}")):
            if path.rsplit("/", 1)[1].split("__", 1)[0] in systems and fs._strip_protocol(path) not in logged:
                drift.append(Drift(fs.unstrip_protocol(path), "extra file in the load log, of no committed load"))
    return Verification(loads, files, size, tuple(drift), tuple(unchecked))

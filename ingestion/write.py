"""Write: a load's bronze rows as JSON lines, in parts of bounded size.

One row per record read: every declared field's bronze column (the raw text, or null), then the
lineage columns ``_source_file``, ``_source_position``, ``_loaded_at``; a record that could not be
read has every field null and carries ``_raw_record`` and ``_read_problem`` too. Rows go to
``data/part-00000.jsonl``, ``part-00001.jsonl``, … of about ``part_bytes`` each (a row is never
split), so Spark reads a large load in parallel; a load always has at least one part, empty for a
file without records. Each part's size and SHA-256 are taken from the bytes as written, for the
manifest and for checking the part once it is in place (storage.move_verified). On a local disk parts are written in place; on other backends each part is
written to a local temporary file and uploaded when complete, so memory stays bounded there too.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

import fsspec
import orjson
from fsspec.implementations.local import LocalFileSystem

from ingestion.read import SourceStream
from ingestion.storage import Digest

DEFAULT_PART_BYTES = 128 << 20
FLUSH_BYTES = 1 << 20  # rows are buffered and written this many bytes at a time


@dataclass(frozen=True)
class LandedPart:
    """One bronze part of a load, as written."""

    name: str  # part-00000.jsonl, ...
    bytes: int
    sha256: str

    @property
    def digest(self) -> Digest:
        return Digest(self.bytes, self.sha256)


class BronzeWriter:
    """The data folder of one load being written; ``write`` each stream of its files, then ``close``."""

    def __init__(
        self, fs: fsspec.AbstractFileSystem, data_dir: str, columns: Sequence[str], loaded_at: str, *, part_bytes: int = DEFAULT_PART_BYTES
    ) -> None:
        self.fs, self.data_dir, self.columns, self.loaded_at = fs, data_dir, tuple(columns), loaded_at
        self.part_bytes = max(1, part_bytes)
        self.local = isinstance(fs, LocalFileSystem)
        self.parts: list[LandedPart] = []  # the finished parts
        self._digest, self._written = hashlib.sha256(), 0  # of the part being written
        self._out = None
        self._staged: str | None = None  # local file of the part being written, when the backend is not local
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._part_size = 0  # bytes written to the current part, buffer included
        self._rows_in_part = 0
        fs.makedirs(data_dir, exist_ok=True)
        self._open_part()

    def write(self, stream: SourceStream) -> int:
        """Write every record of ``stream``; the number of rows written."""
        dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
        source_file, loaded_at, limit = stream.name, self.loaded_at, self.part_bytes
        append = self._buffer.append
        # the hot loop keeps its counters in locals, written back before _next_part and at the end
        buffered, part_size, in_part, rows = self._buffered, self._part_size, self._rows_in_part, 0
        for position, values, raw, problem in stream.records:
            if values is None:
                values = dict.fromkeys(self.columns)
                values.update(_source_file=source_file, _source_position=position, _raw_record=raw, _read_problem=problem)
            else:
                values["_source_file"] = source_file
                values["_source_position"] = position
            values["_loaded_at"] = loaded_at
            try:
                line = dumps(values, option=newline)
            except orjson.JSONEncodeError:  # text orjson refuses (a lone surrogate from a JSON escape): the stdlib escapes it
                line = (json.dumps(values) + "\n").encode("ascii")
            size = len(line)
            if in_part and part_size + size > limit:
                self._buffered, self._part_size, self._rows_in_part = buffered, part_size, in_part
                self._next_part()
                buffered = part_size = in_part = 0
            append(line)
            buffered += size
            part_size += size
            in_part += 1
            rows += 1
            if buffered >= FLUSH_BYTES:
                self._flush()
                buffered = 0
        self._buffered, self._part_size, self._rows_in_part = buffered, part_size, in_part
        return rows

    def close(self) -> list[LandedPart]:
        """Finish the last part; the parts written."""
        self._finish_part()
        return self.parts

    def abort(self) -> None:
        """Stop writing after a failure; what was written is removed with the load's temporary folder."""
        if self._out is not None:
            self._out.close()
            self._out = None
        if self._staged is not None:
            os.unlink(self._staged)
            self._staged = None

    def _path(self, index: int) -> str:
        return f"{self.data_dir}/part-{index:05d}.jsonl"

    def _open_part(self) -> None:
        if self.local:
            self._out = open(self._path(len(self.parts)), "wb")  # noqa: SIM115 - closed in _finish_part
        else:
            handle, self._staged = tempfile.mkstemp(prefix="bronze-part-", suffix=".jsonl")
            self._out = os.fdopen(handle, "wb")
        self._part_size = self._rows_in_part = 0
        self._digest, self._written = hashlib.sha256(), 0

    def _flush(self) -> None:
        data = b"".join(self._buffer)
        self._digest.update(data)
        self._written += len(data)
        self._out.write(data)
        self._buffer.clear()
        self._buffered = 0

    def _finish_part(self) -> None:
        self._flush()
        self._out.close()
        self._out = None
        path = self._path(len(self.parts))
        if self._staged is not None:
            self.fs.put_file(self._staged, path)
            os.unlink(self._staged)
            self._staged = None
        self.parts.append(LandedPart(path.rsplit("/", 1)[1], self._written, self._digest.hexdigest()))

    def _next_part(self) -> None:
        self._finish_part()
        self._open_part()

"""A small fsspec filesystem for Unity Catalog volumes, over databricks-sdk's Files API.

It stands in for a library, and does only what land.py needs: makedirs, put_file, whole-file
reads and writes (``rb`` streamed, ``wb`` whole; text through fsspec's wrapper), exists / info /
ls / glob / find, rm_file and recursive rm, and cp_file (fsspec's copy builds on it). The one fsspec implementation for
volumes on PyPI, fsspec-databricks (early beta), does not fit: its 0.2 releases need
databricks-sdk >= 0.156, which dbt-databricks 1.12 rules out (< 0.118), and 0.1.10, tried against
the Files API stub of the tests, also calls the SCIM ``Me`` and workspace-settings APIs before it
writes or lists, probes a storage-proxy host, and names paths ``dbfs:/Volumes/...``. Replace this
module with it once the pins allow.

Paths are volume paths with no scheme (``/Volumes/<catalog>/<schema>/<volume>/...``), and
``unstrip_protocol`` gives them back unchanged: that is the form Databricks' ``read_files`` takes.
The Files API has no rename: a move is a copy of each file and a delete (storage.move_verified), and
land.py's commit marker (``_manifest.json``, written last) is what makes a load visible.
Authentication is the SDK's own: DATABRICKS_HOST with DATABRICKS_TOKEN, OAuth
(DATABRICKS_CLIENT_ID / DATABRICKS_CLIENT_SECRET) or a configuration profile.
"""

from __future__ import annotations

import contextlib
import io
import logging
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound
from fsspec import AbstractFileSystem

log = logging.getLogger(__name__)

STREAM_CHUNK = 1 << 20  # bytes a download is read by


class VolumesFileSystem(AbstractFileSystem):
    """``/Volumes/...`` paths through ``WorkspaceClient().files``."""

    protocol = "volumes"  # never registered with fsspec: storage.landing_filesystem picks this class for /Volumes paths
    root_marker = "/"

    def __init__(self, **storage_options: Any) -> None:
        super().__init__(**storage_options)
        self.files = WorkspaceClient().files

    def unstrip_protocol(self, name: str) -> str:
        return self._strip_protocol(name)

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        path = self._strip_protocol(path)
        with contextlib.suppress(NotFound):  # not a directory: maybe a file
            self.files.get_directory_metadata(path)
            return {"name": path, "type": "directory", "size": 0}
        try:
            metadata = self.files.get_metadata(path)
        except NotFound as exc:
            raise FileNotFoundError(path) from exc
        return {"name": path, "type": "file", "size": metadata.content_length}

    def exists(self, path: str, **kwargs: Any) -> bool:
        # fsspec's default answers False on any error; here only "not found" means absent.
        try:
            self.info(path)
        except FileNotFoundError:
            return False
        return True

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[dict[str, Any]] | list[str]:
        path = self._strip_protocol(path)
        try:
            entries = [
                {
                    "name": entry.path.rstrip("/"),
                    "type": "directory" if entry.is_directory else "file",
                    "size": entry.file_size or 0,
                }
                for entry in self.files.list_directory_contents(path)
            ]
        except NotFound as exc:
            raise FileNotFoundError(path) from exc
        return entries if detail else [entry["name"] for entry in entries]

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        path = self._strip_protocol(path)
        if not exist_ok and self.exists(path):
            raise FileExistsError(path)
        self.files.create_directory(path)  # creates missing parents too, like mkdir -p

    def put_file(self, lpath: str, rpath: str, **kwargs: Any) -> None:
        # An upload creates the file's missing parent directories, as the Databricks CLI relies on.
        with open(lpath, "rb") as source:
            self.files.upload(self._strip_protocol(rpath), source, overwrite=True)

    def _open(self, path: str, mode: str = "rb", autocommit: bool = True, **kwargs: Any) -> io.BytesIO:
        path = self._strip_protocol(path)
        if not autocommit:
            raise NotImplementedError("fsspec transactions are not supported on volumes")
        if mode == "wb":
            return _UploadOnClose(self, path)
        if mode != "rb":
            raise ValueError(f"{path}: mode {mode!r} is not supported on volumes, only rb and whole-file wb")
        try:
            contents = self.files.download(path).contents
        except NotFound as exc:
            raise FileNotFoundError(path) from exc
        contents.set_chunk_size(STREAM_CHUNK)  # the SDK's read(n) joins chunks: small ones make large reads slow
        return io.BufferedReader(_Download(contents), buffer_size=STREAM_CHUNK)

    def rm_file(self, path: str) -> None:
        try:
            self.files.delete(self._strip_protocol(path))
        except NotFound as exc:
            raise FileNotFoundError(path) from exc

    def rm(self, path: str, recursive: bool = False, maxdepth: int | None = None) -> None:
        path = self._strip_protocol(path)
        if self.info(path)["type"] == "file":
            self.files.delete(path)
            return
        if not recursive:
            raise IsADirectoryError(path)
        for entry in self.ls(path):
            self.rm(entry["name"], recursive=True)
        self.files.delete_directory(path)  # the Files API deletes only empty directories

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """Download and upload again: the Files API has no copy (nor rename)."""
        with self.files.download(self._strip_protocol(path1)).contents as contents:
            # A stream of unknown size: with use_parallel=False the SDK sends it in one request
            # below its multipart threshold (50 MiB), in parts above it.
            self.files.upload(self._strip_protocol(path2), contents, overwrite=True, use_parallel=False)


class _Download(io.RawIOBase):
    """A download as a raw stream, so that reading a large file holds one chunk at a time and closing it ends the request."""

    def __init__(self, contents: Any) -> None:
        super().__init__()
        self.contents = contents

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.contents.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self.contents.close()
        super().close()


class _UploadOnClose(io.BytesIO):
    """A file opened for writing: its bytes go to the volume in one request, when it is closed."""

    def __init__(self, fs: VolumesFileSystem, path: str) -> None:
        super().__init__()
        self.fs, self.path = fs, path

    def close(self) -> None:
        if self.closed:
            return
        try:
            self.seek(0)
            self.fs.files.upload(self.path, self, overwrite=True)
            log.debug("uploaded %s", self.path)
        finally:
            super().close()  # also after a failed upload, so garbage collection does not try it again

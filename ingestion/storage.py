"""The landing zone's storage: one URL form per backend, one fsspec filesystem for land.py, the
two operations whose guarantees differ between a local disk and the other backends, and the check
that a stored file holds exactly the bytes that were landed.

- ``file:///...`` (the default): the local disk.
- ``s3://<bucket>/<prefix>``: Amazon S3 or an S3-compatible store, through s3fs.
- ``abfs://<container>/<prefix>`` or ``az://...`` (also ``abfss://<container>@<account>.dfs.core.windows.net/<prefix>``):
  Azure Blob Storage / ADLS Gen2, through adlfs.
- ``/Volumes/<catalog>/<schema>/<volume>/<prefix>``: a Unity Catalog volume, through databricks-sdk's
  Files API (ingestion/volumes.py).

Credentials come only from each library's own environment variables (AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY / AWS_ENDPOINT_URL..., AZURE_STORAGE_CONNECTION_STRING or
AZURE_STORAGE_ACCOUNT_NAME / AZURE_STORAGE_ACCOUNT_KEY..., DATABRICKS_HOST / DATABRICKS_TOKEN or
the SDK's OAuth variables); nothing here reads or logs them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass

import fsspec
from fsspec.asyn import sync
from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

VOLUMES_PREFIX = "/Volumes/"
AZURE_SCHEMES = ("abfs", "abfss", "az")  # the ones adlfs registers
READ_BACK_BYTES = 8 << 20  # a stored file is read back this much at a time to check its checksum


class IntegrityError(Exception):
    """A stored file is not what was landed (missing, another size or checksum), or a copy did not finish."""


@dataclass(frozen=True)
class Digest:
    """What a stored file must hold: its size and the SHA-256 of its bytes."""

    bytes: int
    sha256: str

    @classmethod
    def of(cls, data: bytes) -> Digest:
        return cls(len(data), hashlib.sha256(data).hexdigest())


def landing_filesystem(url: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The filesystem holding the landing root ``url``, and the root's path in it.

    Each call builds a new client (fsspec would otherwise reuse a cached one), so endpoint and
    credentials are read from the environment of the run.
    """
    if url.startswith(VOLUMES_PREFIX):
        from ingestion.volumes import VolumesFileSystem  # imported late, like s3fs and adlfs: only their users pay

        return VolumesFileSystem(skip_instance_cache=True), VolumesFileSystem._strip_protocol(url)
    if url.split("://", 1)[0] in AZURE_SCHEMES:
        return _azure_filesystem(url)
    return url_to_fs(url, skip_instance_cache=True)


def _azure_filesystem(url: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """adlfs, naming its paths the way Databricks reads them.

    adlfs's own ``abfs://<container>/<path>`` leaves out the storage account, which comes from the
    environment; ``read_files`` needs ``abfss://<container>@<account>.dfs.core.windows.net/<path>``.
    """
    from adlfs import AzureBlobFileSystem

    class AzureLandingFileSystem(AzureBlobFileSystem):
        def unstrip_protocol(self, name: str) -> str:
            container, _, path = self._strip_protocol(name).partition("/")
            return f"abfss://{container}@{self.service_client.account_name}.dfs.core.windows.net/{path}"

    azure = AzureLandingFileSystem(**AzureLandingFileSystem._get_kwargs_from_urls(url), skip_instance_cache=True)
    return azure, azure._strip_protocol(url)


def move_verified(fs: fsspec.AbstractFileSystem, source: str, target: str, expected: Mapping[str, Digest], *, copy_timeout: float) -> None:
    """Move the files of folder ``source`` (``expected``: their paths relative to it) to ``target``
    and prove each in place, read back from the backend; raise IntegrityError naming the first file
    that is not what was written.

    On a local disk the move is one atomic rename. Object stores and volumes have no rename: each
    file is copied (on Azure a server-side copy, awaited up to ``copy_timeout`` seconds), checked at
    ``target``, and only then deleted from ``source``. After a failure ``source`` keeps every file
    not yet proven; nothing here marks ``target`` complete (land.py's manifest does, afterwards).
    """
    if isinstance(fs, LocalFileSystem):
        fs.mv(source, target, recursive=True)
        for name, digest in expected.items():
            check_file(fs, f"{target}/{name}", digest)
        return
    # File by file, not fs.mv(recursive=True): that would also copy the folder's pseudo-directory
    # entries, which are not objects, and delete the originals before anything is checked.
    for name, digest in expected.items():
        fs.cp_file(f"{source}/{name}", f"{target}/{name}")
        await_copy(fs, f"{target}/{name}", copy_timeout)
        check_file(fs, f"{target}/{name}", digest)
        fs.rm_file(f"{source}/{name}")
    if fs.exists(source):
        fs.rm(source, recursive=True)


def write_whole(fs: fsspec.AbstractFileSystem, path: str, data: bytes) -> None:
    """Write a small file that readers see entirely or not at all, even if the process dies midway,
    and read it back: raise IntegrityError (the file removed) when the backend holds other bytes."""
    if isinstance(fs, LocalFileSystem):  # a local write can be torn by a crash; a rename cannot
        fs.pipe_file(f"{path}.partial", data)
        fs.mv(f"{path}.partial", path)
    else:  # one PUT: object stores and volumes never show part of an object
        fs.pipe_file(path, data)
    try:
        check_file(fs, path, Digest.of(data))
    except IntegrityError:
        fs.rm_file(path)
        raise


def file_problem(fs: fsspec.AbstractFileSystem, path: str, expected: Digest) -> str | None:
    """How the stored file ``path`` differs from ``expected`` (missing, size, checksum), read back whole; None when it matches."""
    try:
        size = fs.info(path)["size"]
    except FileNotFoundError:
        return "missing"
    if size != expected.bytes:
        return f"{size:,} bytes where {expected.bytes:,} were landed"
    digest = hashlib.sha256()
    with fs.open(path, "rb", block_size=READ_BACK_BYTES) as handle:
        while chunk := handle.read(READ_BACK_BYTES):
            digest.update(chunk)
    if digest.hexdigest() != expected.sha256:
        return f"SHA-256 {digest.hexdigest()[:12]}… where {expected.sha256[:12]}… was landed"
    return None


def check_file(fs: fsspec.AbstractFileSystem, path: str, expected: Digest) -> None:
    if problem := file_problem(fs, path, expected):
        raise IntegrityError(f"{fs.unstrip_protocol(path)}: {problem}")


def await_copy(fs: fsspec.AbstractFileSystem, path: str, timeout: float) -> None:
    """Wait for the server-side copy into ``path`` to finish (Azure only: S3's copy and the volumes' download
    and upload return when done); IntegrityError when it failed, was aborted or is still running after ``timeout`` s."""
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else fs.protocol
    if not set(protocols) & set(AZURE_SCHEMES):
        return
    deadline, pause = time.monotonic() + timeout, 0.05
    while True:
        status, description = copy_status(fs, path)
        if status in (None, "success"):
            return
        if status != "pending":
            raise IntegrityError(f"{fs.unstrip_protocol(path)}: the server-side copy ended {status}: {description or 'no reason given'}")
        if time.monotonic() >= deadline:
            raise IntegrityError(
                f"{fs.unstrip_protocol(path)}: the server-side copy was still pending after {timeout:.0f} s (SALES_COPY_TIMEOUT_SECONDS)"
            )
        time.sleep(pause)
        pause = min(pause * 2, 2.0)


def copy_status(fs: fsspec.AbstractFileSystem, path: str) -> tuple[str | None, str | None]:
    """The Azure blob's copy status (pending / success / aborted / failed, None if it was never copied) and its description."""
    container, blob, _ = fs.split_path(path)

    async def properties():
        return await fs.service_client.get_blob_client(container, blob).get_blob_properties()

    copy = sync(fs.loop, properties).copy
    return copy.status, copy.status_description

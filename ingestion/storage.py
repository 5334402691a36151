"""The landing zone's storage: one URL form per backend, one fsspec filesystem for land.py, and
the two operations whose guarantees differ between a local disk and the other backends.

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

import fsspec
from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

VOLUMES_PREFIX = "/Volumes/"
AZURE_SCHEMES = ("abfs", "abfss", "az")  # the ones adlfs registers


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


def move_folder(fs: fsspec.AbstractFileSystem, source: str, target: str) -> None:
    """Move the files under ``source`` to ``target``.

    On a local disk this is one atomic rename. Object stores and volumes have no rename: each file
    is copied, then ``source`` is deleted, so a reader may see ``target`` half filled; callers mark
    it complete afterwards (land.py writes the load's manifest).
    """
    if isinstance(fs, LocalFileSystem):
        fs.mv(source, target, recursive=True)
        return
    # Not fs.mv(recursive=True): on object stores fsspec would also copy the folder's pseudo-directory
    # entries, which are not objects, and fail.
    files = fs.find(source)
    fs.copy(files, [target + path[len(source) :] for path in files], on_error="raise")
    fs.rm(source, recursive=True)


def write_whole(fs: fsspec.AbstractFileSystem, path: str, data: bytes) -> None:
    """Write a small file that readers see entirely or not at all, even if the process dies midway."""
    if isinstance(fs, LocalFileSystem):  # a local write can be torn by a crash; a rename cannot
        fs.pipe_file(f"{path}.partial", data)
        fs.mv(f"{path}.partial", path)
    else:  # one PUT: object stores and volumes never show part of an object
        fs.pipe_file(path, data)

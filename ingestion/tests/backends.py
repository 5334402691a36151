"""The landing roots the storage tests run on, against real servers on 127.0.0.1: moto's S3 server,
Azurite (installed by ``make``), and a stub of the Databricks Files API driven by databricks-sdk
itself. Servers start once per test session, when a test first asks for them, and stop after it;
the ``backend`` fixture gives each test a landing root of its own on each backend, with that
backend's own client to look at what is stored (never the code tested).
"""

from __future__ import annotations

import email.utils
import json
import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import pytest
from azure.storage.blob import BlobServiceClient
from moto.server import ThreadedMotoServer

from ingestion.settings import PROJECT_DIR

BUCKET = "sales-lake"
CONTAINER = "sales-lake"
VOLUME = "/Volumes/main/sales/landing"
TOKEN = "dummy"
AZURITE = Path(os.environ.get("SALES_AZURITE") or PROJECT_DIR / ".lake/tools/node_modules/.bin/azurite-blob")
# Azurite's well-known development account (public, documented by Microsoft).
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
# Variables of other credential chains that could take precedence over the ones each test sets.
FOREIGN_CREDENTIALS = [
    "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3",
    "AZURE_STORAGE_ACCOUNT_NAME", "AZURE_STORAGE_ACCOUNT_KEY", "AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_CLIENT_ID",
    "DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET", "DATABRICKS_CONFIG_PROFILE", "DATABRICKS_AUTH_TYPE",
]  # fmt: skip


@dataclass
class Backend:
    """One landing root on one backend, and that backend's own client to look at what is stored."""

    url: str  # SALES_LANDING_URL
    location: str  # how LandedTable locations under the root start
    objects: Callable[[], dict[str, bytes]]  # every stored file, by path relative to the root
    put: Callable[[str, bytes], None]  # store a file at a path relative to the root
    delete: Callable[[str], None]  # delete the file at a path relative to the root


# --- servers -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server in a thread, with one bucket."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        s3_client(endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


def s3_client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Azurite's blob service as a child process, with one container; yields its connection string."""
    if not AZURITE.exists():
        pytest.fail(
            f"Azurite is not installed at {AZURITE}: run `make .lake/tools/node_modules/.bin/azurite-blob` "
            "(make test does it), or point SALES_AZURITE at an azurite-blob binary"
        )
    work = tmp_path_factory.mktemp("azurite")
    port = free_port()
    args = ["--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(work / "data")]
    args += ["--skipApiVersionCheck", "--silent", "--disableTelemetry"]
    with open(work / "azurite.log", "wb") as output:
        process = subprocess.Popen([str(AZURITE), *args], stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process, work / "azurite.log")
        connection_string = (
            f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
        )
        BlobServiceClient.from_connection_string(connection_string).create_container(CONTAINER)
        yield connection_string
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_port(port: int, process: subprocess.Popen, log_file: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Azurite exited with {process.returncode}:\n{log_file.read_text(errors='replace')}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"Azurite did not listen on 127.0.0.1:{port} within {timeout:.0f} s:\n{log_file.read_text(errors='replace')}")


class FilesApiStub(ThreadingHTTPServer):
    """The Files API endpoints databricks-sdk calls (/api/2.0/fs/files and /api/2.0/fs/directories),
    over an in-memory tree holding one volume. Records every request with its Authorization header."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FilesApiHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.files: dict[str, bytes] = {}
        self.dirs: set[str] = set()
        self.add_dir(VOLUME)
        self.requests: list[tuple[str, str, str | None]] = []  # method, path, Authorization
        self.lock = threading.Lock()

    def add_dir(self, path: str) -> None:
        while path.count("/") > 1:
            self.dirs.add(path)
            path = path.rsplit("/", 1)[0]

    def children(self, path: str) -> list[dict]:
        entries = [{"path": f"{d}/", "name": d.rsplit("/", 1)[1], "is_directory": True} for d in self.dirs if d.rsplit("/", 1)[0] == path]
        entries += [
            {"path": f, "name": f.rsplit("/", 1)[1], "is_directory": False, "file_size": len(data), "last_modified": 0}
            for f, data in self.files.items()
            if f.rsplit("/", 1)[0] == path
        ]
        return sorted(entries, key=lambda entry: entry["path"])


class FilesApiHandler(BaseHTTPRequestHandler):
    server: FilesApiStub
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: without this, each reply waits ~40 ms
    page_size = 3  # fewer entries per listing page than the SDK asks for, which the API allows: paging is exercised

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads ``server.requests`` instead."""

    def do_GET(self) -> None:
        self.handle_request("GET")

    def do_HEAD(self) -> None:
        self.handle_request("HEAD")

    def do_PUT(self) -> None:
        self.handle_request("PUT")

    def do_DELETE(self) -> None:
        self.handle_request("DELETE")

    def do_POST(self) -> None:
        self.handle_request("POST")

    def handle_request(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {name: values[-1] for name, values in parse_qs(url.query).items()}
        body = self.read_body()
        stub = self.server
        with stub.lock:
            stub.requests.append((method, url.path, self.headers.get("Authorization")))
            if url.path == "/.well-known/databricks-config":  # unauthenticated host discovery, at client start
                return self.reply(200, json.dumps({"oidc_endpoint": f"{stub.url}/oidc"}).encode(), content_type="application/json")
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self.reply(401, error=("UNAUTHENTICATED", "invalid access token"))
            kind, _, path = unquote(url.path).removeprefix("/api/2.0/fs/").partition("/")
            path = "/" + path.rstrip("/")
            handler = getattr(self, f"{kind}_{method.lower()}", None)
            if handler is None or not path.startswith(VOLUME):
                # e.g. POST /api/2.0/fs/create-download-url: the SDK then downloads through /fs/files
                return self.reply(404, error=("NOT_FOUND", f"{method} {url.path} is not served by this stub"))
            handler(stub, path, query, body)

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding") != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunks = []  # requests sends an empty upload chunked
        while size := int(self.rfile.readline().split(b";")[0], 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        self.rfile.readline()
        return b"".join(chunks)

    def files_put(self, stub: FilesApiStub, path: str, query: dict, body: bytes) -> None:
        if path in stub.files and query.get("overwrite") == "false":
            return self.reply(409, error=("ALREADY_EXISTS", f"{path} already exists"))
        stub.add_dir(path.rsplit("/", 1)[0])
        stub.files[path] = body
        self.reply(204)

    def files_get(self, stub: FilesApiStub, path: str, query: dict, body: bytes) -> None:
        if path not in stub.files:
            return self.reply(404, error=("NOT_FOUND", f"{path} does not exist"))
        self.reply(200, stub.files[path], content_type="application/octet-stream")

    def files_head(self, stub: FilesApiStub, path: str, query: dict, body: bytes) -> None:
        if path not in stub.files:
            return self.reply(404)
        self.reply(200, content_type="application/octet-stream", length=len(stub.files[path]))

    def files_delete(self, stub: FilesApiStub, path: str, query: dict, body: bytes) -> None:
        if stub.files.pop(path, None) is None:
            return self.reply(404, error=("NOT_FOUND", f"{path} does not exist"))
        self.reply(204)

    def directories_put(self, stub: FilesApiStub, path: str, query: dict, body: bytes) -> None:
        stub.add_dir(path)
        self.reply(204)

    def directories_head(self, stub: FilesApiStub, path: str, query: dict, body: bytes) -> None:
        self.reply(200 if path in stub.dirs else 404)

    def directories_get(self, stub: FilesApiStub, path: str, query: dict, body: bytes) -> None:
        if path not in stub.dirs:
            return self.reply(404, error=("NOT_FOUND", f"{path} does not exist"))
        start = int(query.get("page_token", 0))
        page = stub.children(path)[start : start + min(int(query.get("page_size", 1000)), self.page_size)]
        listing: dict = {"contents": page}
        if start + len(page) < len(stub.children(path)):
            listing["next_page_token"] = str(start + len(page))
        self.reply(200, json.dumps(listing).encode(), content_type="application/json")

    def directories_delete(self, stub: FilesApiStub, path: str, query: dict, body: bytes) -> None:
        if path not in stub.dirs:
            return self.reply(404, error=("NOT_FOUND", f"{path} does not exist"))
        if stub.children(path):
            return self.reply(400, error=("BAD_REQUEST", f"{path} is not empty"))
        stub.dirs.remove(path)
        self.reply(204)

    def reply(
        self,
        status: int,
        body: bytes = b"",
        *,
        content_type: str | None = None,
        length: int | None = None,  # Content-Length of a HEAD reply, which has no body
        error: tuple[str, str] | None = None,  # error_code, message: the SDK's error body
    ) -> None:
        if error and self.command != "HEAD":
            body, content_type = json.dumps({"error_code": error[0], "message": error[1]}).encode(), "application/json"
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
            self.send_header("Last-Modified", email.utils.formatdate(usegmt=True))
        if status != 204:
            self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@pytest.fixture(scope="session")
def files_api() -> Iterator[FilesApiStub]:
    """The Files API stub, serving from a thread."""
    stub = FilesApiStub()
    thread = threading.Thread(target=stub.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        stub.shutdown()
        stub.server_close()
        thread.join()


# --- one landing root per test, on each backend ---------------------------------------------------


@pytest.fixture(params=["s3", "abfs", "volumes"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Backend:
    """A fresh landing root on one backend (``local`` too, when a test asks for it), with that backend's credentials in the environment."""
    for name in FOREIGN_CREDENTIALS:
        monkeypatch.delenv(name, raising=False)
    prefix = f"landing-{uuid.uuid4().hex[:8]}"
    if request.param == "local":
        local = tmp_path / prefix
        local.mkdir()

        def local_put(path: str, data: bytes) -> None:
            (local / path).parent.mkdir(parents=True, exist_ok=True)
            (local / path).write_bytes(data)

        return Backend(
            local.as_uri(), local.as_uri(),
            lambda: {path.relative_to(local).as_posix(): path.read_bytes() for path in local.rglob("*") if path.is_file()},
            local_put, lambda path: (local / path).unlink(),
        )  # fmt: skip
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        s3 = s3_client(endpoint)

        def s3_objects() -> dict[str, bytes]:
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"{prefix}/")
            keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
            return {key.removeprefix(f"{prefix}/"): s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys}

        return Backend(
            f"s3://{BUCKET}/{prefix}", f"s3://{BUCKET}/{prefix}", s3_objects,
            lambda path, data: s3.put_object(Bucket=BUCKET, Key=f"{prefix}/{path}", Body=data),
            lambda path: s3.delete_object(Bucket=BUCKET, Key=f"{prefix}/{path}"),
        )  # fmt: skip
    if request.param == "abfs":
        connection_string = request.getfixturevalue("azurite")
        monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", connection_string)
        container = BlobServiceClient.from_connection_string(connection_string).get_container_client(CONTAINER)

        def blob_objects() -> dict[str, bytes]:
            names = [blob.name for blob in container.list_blobs(name_starts_with=f"{prefix}/")]
            return {name.removeprefix(f"{prefix}/"): container.download_blob(name).readall() for name in names}

        return Backend(
            f"abfs://{CONTAINER}/{prefix}", f"abfss://{CONTAINER}@devstoreaccount1.dfs.core.windows.net/{prefix}",
            blob_objects, lambda path, data: container.upload_blob(f"{prefix}/{path}", data, overwrite=True),
            lambda path: container.delete_blob(f"{prefix}/{path}"),
        )  # fmt: skip
    stub: FilesApiStub = request.getfixturevalue("files_api")
    monkeypatch.setenv("DATABRICKS_HOST", stub.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-databrickscfg"))  # ignore a real ~/.databrickscfg
    root = f"{VOLUME}/{prefix}"

    def volume_objects() -> dict[str, bytes]:
        with stub.lock:
            return {path.removeprefix(f"{root}/"): data for path, data in stub.files.items() if path.startswith(f"{root}/")}

    def volume_put(path: str, data: bytes) -> None:
        with stub.lock:
            stub.files[f"{root}/{path}"] = data
            stub.add_dir(f"{root}/{path}".rsplit("/", 1)[0])

    def volume_delete(path: str) -> None:
        with stub.lock:
            del stub.files[f"{root}/{path}"]

    return Backend(root, root, volume_objects, volume_put, volume_delete)

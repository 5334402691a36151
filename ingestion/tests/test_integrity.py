"""Landing integrity on every backend (ingestion/tests/backends.py): no load is committed until its
bytes are proven at their final place, and ``verify`` finds drift in committed loads.

Faults are injected into the filesystem the landing uses (a truncated upload, a copy that writes
other bytes, an Azure copy that never finishes or fails); stored content is read back with each
backend's own client. After each fault nothing is committed, and the next run lands the delivery.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import ingestion.land
import ingestion.storage
from ingestion.cli import main
from ingestion.land import land_delivery
from ingestion.storage import IntegrityError
from ingestion.tests.backends import Backend
from ingestion.tests.deliveries import LOAD_ID, LOADED_AT

EVERY_BACKEND = ["local", "s3", "abfs", "volumes"]
REMOTE_BACKENDS = ["s3", "abfs", "volumes"]
TABLES = {"orders": "Orders.json", "products": "Products.csv", "customers": "Customer.xlsx"}


def committed_layout(load_id: str) -> set[str]:
    files = {
        f"sales/{table}/{load_id}/{name}" for table, file in TABLES.items() for name in (f"source/{file}", "data/part-00000.jsonl", "_manifest.json")
    }
    return files | {f"load_log/sales__{table}__{load_id}.jsonl" for table in TABLES}


def inject(faults: pytest.MonkeyPatch, method: str, fault: Callable) -> None:
    """Replace ``method`` of every filesystem the landing opens by ``fault(fs, original, *args)``."""
    opened = ingestion.land.landing_filesystem

    def faulty_filesystem(url: str):
        fs, root = opened(url)
        original = getattr(fs, method)
        setattr(fs, method, lambda *args, **kwargs: fault(fs, original, *args, **kwargs))
        return fs, root

    faults.setattr(ingestion.land, "landing_filesystem", faulty_filesystem)


def truncated_upload(path_suffix: str, cut: int) -> Callable:
    """A put_file fault: the upload of the file whose path ends with ``path_suffix`` stops ``cut`` bytes short."""

    def upload(fs, put_file, lpath, rpath, **kwargs):
        put_file(lpath, rpath, **kwargs)
        if rpath.endswith(path_suffix):
            with open(lpath, "rb") as source:
                fs.pipe_file(rpath, source.read()[:-cut])

    return upload


def manifests(backend: Backend) -> list[str]:
    return sorted(path for path in backend.objects() if path.endswith("_manifest.json"))


def assert_lands_cleanly_now(backend: Backend, delivery: Path) -> None:
    """With the fault gone, the next run clears what the failed one left and commits the delivery."""
    landed = land_delivery(delivery, backend.url, workers=1)
    assert [table.status for table in landed] == ["new"] * 3
    assert set(backend.objects()) == committed_layout(landed[0].load_id)


# --- a load is committed only when its bytes are proven in place ---------------------------------


@pytest.mark.parametrize("backend", EVERY_BACKEND, indirect=True)
def test_a_truncated_upload_of_a_delivered_file_commits_nothing(backend: Backend, delivery: Path) -> None:
    size = (delivery / "Orders.json").stat().st_size
    with pytest.MonkeyPatch.context() as faults, pytest.raises(IntegrityError) as error:
        inject(faults, "put_file", truncated_upload(f"/orders/_tmp_{LOAD_ID}/source/Orders.json", 10))
        land_delivery(delivery, backend.url, loaded_at=LOADED_AT, workers=1)
    assert str(error.value) == (
        f"sales.orders: {backend.location}/sales/orders/{LOAD_ID}/source/Orders.json: {size - 10:,} bytes where {size:,} were landed; "
        "nothing of delivery 'delivery' was committed: land it again"
    )
    assert manifests(backend) == []
    assert_lands_cleanly_now(backend, delivery)


@pytest.mark.parametrize("backend", REMOTE_BACKENDS, indirect=True)
def test_a_truncated_upload_of_a_bronze_part_commits_nothing(backend: Backend, delivery: Path) -> None:
    part = f"{backend.location}/sales/products/{LOAD_ID}/data/part-00000.jsonl"
    with (
        pytest.MonkeyPatch.context() as faults,
        pytest.raises(IntegrityError, match=rf"^sales.products: {part}: [\d,]+ bytes where [\d,]+ were landed; "),
    ):
        inject(faults, "put_file", truncated_upload(f"/products/_tmp_{LOAD_ID}/data/part-00000.jsonl", 1))
        land_delivery(delivery, backend.url, loaded_at=LOADED_AT, workers=1)
    assert manifests(backend) == []
    assert_lands_cleanly_now(backend, delivery)


@pytest.mark.parametrize("backend", REMOTE_BACKENDS, indirect=True)
def test_a_copy_with_other_bytes_commits_nothing_and_keeps_the_original(backend: Backend, delivery: Path) -> None:
    def corrupt_customers_part(fs, cp_file, path1, path2, **kwargs):
        cp_file(path1, path2, **kwargs)
        if "/customers/" in path2 and path2.endswith("/data/part-00000.jsonl"):
            data = bytearray(fs.cat_file(path2))
            data[0] ^= 0x20  # same size, one byte different
            fs.pipe_file(path2, bytes(data))

    part = f"{backend.location}/sales/customers/{LOAD_ID}/data/part-00000.jsonl"
    with (
        pytest.MonkeyPatch.context() as faults,
        pytest.raises(IntegrityError, match=rf"^sales.customers: {part}: SHA-256 \w+… where \w+… was landed; "),
    ):
        inject(faults, "cp_file", corrupt_customers_part)
        land_delivery(delivery, backend.url, loaded_at=LOADED_AT, workers=1)
    stored = backend.objects()
    assert manifests(backend) == []
    # the original of the copy that failed its check is kept; the files copied and proven before it were moved
    assert {path for path in stored if "/_tmp_" in path} == {f"sales/customers/_tmp_{LOAD_ID}/data/part-00000.jsonl"}
    assert stored[f"sales/customers/{LOAD_ID}/source/Customer.xlsx"] == (delivery / "Customer.xlsx").read_bytes()
    assert_lands_cleanly_now(backend, delivery)


@pytest.mark.parametrize("backend", REMOTE_BACKENDS, indirect=True)
def test_a_manifest_stored_short_is_removed_and_nothing_is_committed(backend: Backend, delivery: Path) -> None:
    def short_manifest(fs, pipe_file, path, data, **kwargs):
        pipe_file(path, data[:-1] if path.endswith("/_manifest.json") else data, **kwargs)

    manifest = f"{backend.location}/sales/orders/{LOAD_ID}/_manifest.json"
    with pytest.MonkeyPatch.context() as faults, pytest.raises(IntegrityError, match=rf"^{manifest}: [\d,]+ bytes where [\d,]+ were landed$"):
        inject(faults, "pipe_file", short_manifest)
        land_delivery(delivery, backend.url, loaded_at=LOADED_AT, workers=1)
    assert manifests(backend) == []
    assert_lands_cleanly_now(backend, delivery)


# --- Azure's server-side copies are awaited --------------------------------------------------------


@pytest.mark.parametrize("backend", ["abfs"], indirect=True)
def test_each_azure_copy_is_awaited_until_the_server_reports_success(backend: Backend, delivery: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real, seen = ingestion.storage.copy_status, []

    def recorded(fs, path: str):
        status = real(fs, path)
        seen.append((path.split("/sales/", 1)[1], status[0]))
        return status

    monkeypatch.setattr(ingestion.storage, "copy_status", recorded)
    land_delivery(delivery, backend.url, loaded_at=LOADED_AT, workers=1)
    copied = [path.removeprefix("sales/") for path in committed_layout(LOAD_ID) if "/source/" in path or "/data/" in path]
    assert sorted(seen) == sorted((path, "success") for path in copied)  # Azurite's answer for each file, after its copy


@pytest.mark.parametrize("backend", ["abfs"], indirect=True)
@pytest.mark.parametrize(
    ("status", "message"),
    [
        (("pending", None), "the server-side copy was still pending after 1 s (SALES_COPY_TIMEOUT_SECONDS)"),
        (("failed", "500 InternalError"), "the server-side copy ended failed: 500 InternalError"),
    ],
)
def test_an_azure_copy_that_does_not_finish_commits_nothing(backend: Backend, delivery: Path, status: tuple, message: str) -> None:
    with pytest.MonkeyPatch.context() as faults, pytest.raises(IntegrityError) as error:
        faults.setattr(ingestion.storage, "copy_status", lambda fs, path: status)
        faults.setenv("SALES_COPY_TIMEOUT_SECONDS", "1")
        land_delivery(delivery, backend.url, loaded_at=LOADED_AT, workers=1)
    first = f"{backend.location}/sales/orders/{LOAD_ID}/source/Orders.json"
    assert str(error.value) == f"sales.orders: {first}: {message}; nothing of delivery 'delivery' was committed: land it again"
    assert manifests(backend) == []
    assert f"sales/orders/_tmp_{LOAD_ID}/source/Orders.json" in backend.objects()  # the original stays until its copy is proven
    assert_lands_cleanly_now(backend, delivery)


# --- verify: committed loads against their manifests ------------------------------------------------


@pytest.mark.parametrize("backend", EVERY_BACKEND, indirect=True)
def test_verify_reports_each_drift_and_landing_again_mends_it(backend: Backend, delivery: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALES_LANDING_URL", backend.url)
    land_delivery(delivery, backend.url, loaded_at=LOADED_AT, workers=1)
    runner = CliRunner()
    stored = backend.objects()
    size = sum(len(data) for path, data in stored.items() if not path.endswith("_manifest.json"))
    clean = runner.invoke(main, ["verify"])
    assert (clean.exit_code, clean.output) == (
        0,
        f"verified 3 loads in {backend.url}: 9 files, {size / 1e6:,.1f} MB read back: every file as landed\n",
    )

    load = f"sales/%s/{LOAD_ID}"
    backend.delete(f"{load % 'orders'}/data/part-00000.jsonl")  # a part deleted after commit
    products_part = bytearray(stored[f"{load % 'products'}/data/part-00000.jsonl"])
    products_part[-2] ^= 0x01
    backend.put(f"{load % 'products'}/data/part-00000.jsonl", bytes(products_part))  # changed in place, same size
    backend.put(f"{load % 'customers'}/data/part-00001.jsonl", b'{"customer_id": "X"}\n')  # an extra part
    workbook = stored[f"{load % 'customers'}/source/Customer.xlsx"]
    backend.put(f"{load % 'customers'}/source/Customer.xlsx", workbook[:100])  # a delivered file truncated
    backend.delete(f"load_log/sales__orders__{LOAD_ID}.jsonl")

    drifted = runner.invoke(main, ["verify"])
    changed = hashlib.sha256(bytes(products_part)).hexdigest()[:12]
    landed = hashlib.sha256(stored[f"{load % 'products'}/data/part-00000.jsonl"]).hexdigest()[:12]
    root = backend.location
    assert drifted.exit_code == 1
    assert sorted(drifted.output.splitlines()[:-1]) == sorted([
        f"drift: {root}/{load % 'orders'}/data/part-00000.jsonl: missing",
        f"drift: {root}/load_log/sales__orders__{LOAD_ID}.jsonl: missing",
        f"drift: {root}/{load % 'products'}/data/part-00000.jsonl: SHA-256 {changed}… where {landed}… was landed",
        f"drift: {root}/{load % 'customers'}/data/part-00001.jsonl: extra file, not in the manifest",
        f"drift: {root}/{load % 'customers'}/source/Customer.xlsx: 100 bytes where {len(workbook):,} were landed",
    ])  # fmt: skip
    summary = drifted.output.splitlines()[-1]
    assert summary.startswith(f"error: 5 files differ from their manifests (3 loads in {backend.url}: 5 files, ")
    assert summary.endswith("MB read back); land each drifted load's delivery again: python -m ingestion load --source DIR --again")

    again = runner.invoke(main, ["load", "--source", str(delivery), "--no-register", "--again"])
    assert again.exit_code == 0, again.output
    assert again.output.count(f"replaces load {LOAD_ID} (same files, landed again)") == 3
    mended = runner.invoke(main, ["verify"])
    assert mended.exit_code == 0, mended.output
    archived = runner.invoke(main, ["verify", "--archived"])  # the drifted loads stay as they are, archived
    assert archived.exit_code == 1 and archived.output.count("drift: ") == 4, archived.output

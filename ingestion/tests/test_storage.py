"""The landing zone on S3, Azure Blob / ADLS and a Unity Catalog volume (ingestion/tests/backends.py).
One set of tests runs on each backend: the layout and bytes are those of a local landing, re-runs
are idempotent, a corrected file replaces its load, and a load without its ``_manifest.json`` (the
commit marker) is never chosen and is cleared by the next run. Each test lands under a prefix of
its own; each backend's content is read back with its own client, not through the code tested.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest

import ingestion.land
from ingestion.land import LandedTable, land_delivery
from ingestion.tests.backends import TOKEN, Backend, FilesApiStub
from ingestion.tests.deliveries import LOAD_ID, LOADED_AT, LOADED_AT_TEXT, ORDER, write_orders

TABLES = ["orders", "products", "customers"]


def land(backend: Backend, delivery: Path, **options) -> dict[str, LandedTable]:
    return {table.table: table for table in land_delivery(delivery, backend.url, **options)}


def layout(load_id: str, tables: list[str] = TABLES) -> set[str]:
    """The files of one finished load of each of ``tables``, its load-log file included."""
    files = {"orders": "Orders.json", "products": "Products.csv", "customers": "Customer.xlsx"}
    parts = ["data/part-00000.jsonl", "_manifest.json"]
    loads = {f"sales/{table}/{load_id}/{part}" for table in tables for part in [f"source/{files[table]}", *parts]}
    return loads | {f"load_log/sales__{table}__{load_id}.jsonl" for table in tables}


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return sorted(record.getMessage() for record in caplog.records if record.name == "ingestion.land" and record.levelno == logging.WARNING)


# --- the same guarantees on every backend ---------------------------------------------------------


def test_a_delivery_lands_as_on_the_local_disk(backend: Backend, delivery: Path, tmp_path: Path) -> None:
    landed = land(backend, delivery, loaded_at=LOADED_AT)
    local_root = tmp_path / "local"
    land_delivery(delivery, local_root.as_uri(), loaded_at=LOADED_AT)
    local = {path.relative_to(local_root).as_posix(): path.read_bytes() for path in local_root.rglob("*") if path.is_file()}
    stored = backend.objects()

    assert set(stored) == set(local) == layout(LOAD_ID)
    for path, data in stored.items():
        if path.endswith("/_manifest.json"):
            assert {**json.loads(data), "location": ""} == {**json.loads(local[path]), "location": ""}
        else:
            assert data == local[path], path
    for table in TABLES:
        assert landed[table].status == "new"
        assert landed[table].location == f"{backend.location}/sales/{table}/{LOAD_ID}/data"
        assert json.loads(stored[f"sales/{table}/{LOAD_ID}/_manifest.json"]) == json.loads(json.dumps(landed[table].manifest()))
    (row,) = [json.loads(line) for line in stored[f"sales/orders/{LOAD_ID}/data/part-00000.jsonl"].decode().splitlines()]
    assert row == {
        "row_id": "7", "order_id": "CA-2016-122581", "order_date": "21/8/2016", "ship_date": "25/8/2016",
        "ship_mode": "Standard Class", "customer_id": "JK-15370", "product_id": "FUR-CH-10002961", "quantity": "3",
        "price": "573.174", "discount": "0.3", "profit": "41.9136",
        "_source_file": "Orders.json", "_source_position": 0, "_loaded_at": LOADED_AT_TEXT,
    }  # fmt: skip
    (log_line,) = [json.loads(line) for line in stored[f"load_log/sales__orders__{LOAD_ID}.jsonl"].decode().splitlines()]
    assert log_line == {
        "source_system": "sales", "source_table": "orders", "load_id": LOAD_ID, "delivery": "delivery", "source_file": "Orders.json",
        "file_sha256": hashlib.sha256((delivery / "Orders.json").read_bytes()).hexdigest(), "rows_read": 1, "loaded_at": LOADED_AT_TEXT,
        "load_kind": "full",
    }  # fmt: skip
    assert stored[f"sales/orders/{LOAD_ID}/source/Orders.json"] == (delivery / "Orders.json").read_bytes()


def test_the_same_files_land_once_and_a_corrected_file_replaces_its_load(backend: Backend, delivery: Path) -> None:
    first = land(backend, delivery, loaded_at=LOADED_AT)
    stored = backend.objects()
    again = land(backend, delivery)
    for table in TABLES:
        assert again[table].status == f"unchanged: already landed as load {first[table].load_id}"
        assert again[table].location == first[table].location
    assert backend.objects() == stored

    write_orders(delivery, rows=[{**ORDER, "Profit": 1.5}])
    corrected = land(backend, delivery)
    assert corrected["orders"].status == f"replaces load {LOAD_ID} of delivery 'delivery' (content changed)"
    assert corrected["products"].status == corrected["customers"].status == f"unchanged: already landed as load {LOAD_ID}"
    assert set(backend.objects()) == layout(LOAD_ID) | layout(corrected["orders"].load_id, ["orders"])


def test_unfinished_loads_are_never_chosen_and_the_next_run_removes_them(backend: Backend, delivery: Path, caplog: pytest.LogCaptureFixture) -> None:
    orders = (delivery / "Orders.json").read_bytes()
    # A _tmp_ folder an older version left with its manifest, claiming this very file: chosen, it
    # would make the run report "unchanged" and point bronze at it.
    claim = {
        "system": "sales", "table": "orders", "delivery": "delivery", "load_id": "20261031T000000000000Z", "loaded_at": LOADED_AT_TEXT,
        "files": [{"name": "Orders.json", "sha256": hashlib.sha256(orders).hexdigest(), "bytes": len(orders), "rows_read": 1,
                   "extra_fields": [], "sheets": []}],
        "rows_read": 1, "parts": 1, "location": "nowhere",
    }  # fmt: skip
    backend.put("sales/orders/_tmp_20261031T000000000000Z/_manifest.json", json.dumps(claim).encode())
    backend.put("sales/orders/_tmp_20261031T000000000000Z/data/part-00000.jsonl", b'{"row_id": "half a rec')
    # A load folder whose files were copied into place but whose manifest never came.
    backend.put("sales/orders/20261031T000000000001Z/source/Orders.json", orders)
    backend.put("sales/orders/20261031T000000000001Z/data/part-00000.jsonl", b'{"row_id": "7"}\n')

    with caplog.at_level(logging.WARNING, logger="ingestion.land"):
        landed = land(backend, delivery, loaded_at=LOADED_AT)

    assert landed["orders"].status == "new" and landed["orders"].load_id == LOAD_ID
    assert set(backend.objects()) == layout(LOAD_ID)
    assert warnings(caplog) == [
        f"removing {backend.location}/sales/orders/{name}, left by an interrupted load"
        for name in ("20261031T000000000001Z", "_tmp_20261031T000000000000Z")
    ]


def test_a_run_stopped_before_its_manifests_is_completed_by_the_next(
    backend: Backend, delivery: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    write_whole = ingestion.land.write_whole
    committed: list[str] = []

    def stop_after_the_first_commit(fs, path: str, data: bytes) -> None:
        if path.endswith("/_manifest.json") and committed:
            raise RuntimeError("stopped")
        write_whole(fs, path, data)
        committed.append(path)

    monkeypatch.setattr(ingestion.land, "write_whole", stop_after_the_first_commit)
    with pytest.raises(RuntimeError, match="stopped"):
        land(backend, delivery, loaded_at=LOADED_AT)
    # every load proven in place before the first manifest; orders committed with its load-log file, the others not
    assert set(backend.objects()) == (
        layout(LOAD_ID, ["orders"])
        | {f"sales/products/{LOAD_ID}/source/Products.csv", f"sales/products/{LOAD_ID}/data/part-00000.jsonl"}
        | {f"sales/customers/{LOAD_ID}/source/Customer.xlsx", f"sales/customers/{LOAD_ID}/data/part-00000.jsonl"}
    )

    monkeypatch.setattr(ingestion.land, "write_whole", write_whole)
    with caplog.at_level(logging.WARNING, logger="ingestion.land"):
        again = land(backend, delivery)
    assert again["orders"].status == f"unchanged: already landed as load {LOAD_ID}"
    assert again["products"].status == again["customers"].status == "new"
    assert set(backend.objects()) == layout(LOAD_ID, ["orders"]) | layout(again["products"].load_id, ["products", "customers"])
    assert warnings(caplog) == [
        f"removing {backend.location}/sales/customers/{LOAD_ID}, left by an interrupted load",
        f"removing {backend.location}/sales/products/{LOAD_ID}, left by an interrupted load",
    ]


def test_a_run_stopped_between_a_manifest_and_its_load_log_is_completed_by_the_next(
    backend: Backend, delivery: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    write_whole = ingestion.land.write_whole

    def stop_at_the_load_log(fs, path: str, data: bytes) -> None:
        if "/load_log/" in path:
            raise RuntimeError("stopped")
        write_whole(fs, path, data)

    monkeypatch.setattr(ingestion.land, "write_whole", stop_at_the_load_log)
    with pytest.raises(RuntimeError, match="stopped"):
        land(backend, delivery, loaded_at=LOADED_AT)
    monkeypatch.setattr(ingestion.land, "write_whole", write_whole)
    with caplog.at_level(logging.WARNING, logger="ingestion.land"):
        again = land(backend, delivery)
    assert again["orders"].status == f"unchanged: already landed as load {LOAD_ID}"
    assert set(backend.objects()) == layout(LOAD_ID, ["orders"]) | layout(again["products"].load_id, ["products", "customers"])
    assert warnings(caplog) == [
        f"removing {backend.location}/sales/customers/{LOAD_ID}, left by an interrupted load",
        f"removing {backend.location}/sales/products/{LOAD_ID}, left by an interrupted load",
        f"writing the missing load-log file {backend.location}/load_log/sales__orders__{LOAD_ID}.jsonl of committed load {LOAD_ID}",
    ]


# --- the volume's HTTP boundary ------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["volumes"], indirect=True)
def test_volume_requests_carry_the_token_and_bronze_reads_volume_paths(backend: Backend, delivery: Path, files_api: FilesApiStub) -> None:
    seen = len(files_api.requests)
    landed = land(backend, delivery, loaded_at=LOADED_AT)
    requests = [request for request in files_api.requests[seen:] if request[1].startswith("/api/")]
    assert requests and {authorization for _, _, authorization in requests} == {f"Bearer {TOKEN}"}
    # The SDK asks for a presigned download URL first; the stub has none, so it reads through /fs/files.
    endpoints = {"/api/2.0/fs/files", "/api/2.0/fs/directories", "/api/2.0/fs/create-download-url"}
    assert {path.split("/Volumes/")[0] for _, path, _ in requests} <= endpoints
    for table in landed.values():
        assert table.location == f"{backend.url}/sales/{table.table}/{LOAD_ID}/data"
        assert table.location.startswith("/Volumes/main/sales/landing/")

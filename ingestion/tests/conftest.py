"""Shared fixtures of the landing unit tests: no Spark, no dbt; each test on folders of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.tests.backends import azurite, backend, files_api, s3_endpoint  # noqa: F401 - fixtures of the storage tests
from ingestion.tests.deliveries import write_delivery


@pytest.fixture(autouse=True)
def own_lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A SALES_LAKE_DIR (and so an ingestion lock) of the test's own; the default landing zone under it."""
    lake = tmp_path / "lake"
    monkeypatch.setenv("SALES_LAKE_DIR", str(lake))
    monkeypatch.delenv("SALES_LANDING_URL", raising=False)
    monkeypatch.delenv("DBT_TARGET", raising=False)
    return lake


@pytest.fixture
def delivery(tmp_path: Path) -> Path:
    """A valid hand-written delivery (one record per table) in a temporary folder."""
    return write_delivery(tmp_path / "delivery")

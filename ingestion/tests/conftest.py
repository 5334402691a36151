"""Shared fixtures. Spark-backed tests share one lake and one build: a Spark session started in
this process keeps its metastore for the rest of the run, and each start costs ~15 s."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingestion.settings import PROJECT_DIR


@pytest.fixture(scope="session")
def lake_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throw-away SALES_LAKE_DIR, set before any Spark session of this process starts."""
    lake = tmp_path_factory.mktemp("lake")
    os.environ["SALES_LAKE_DIR"] = str(lake)
    os.environ.pop("SALES_LANDING_URL", None)
    return lake


@pytest.fixture(scope="session")
def cli():
    """``cli("load", "--source", folder)`` runs ``python -m ingestion load --source folder``."""
    return run_cli


def run_cli(*args: object, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ingestion ...`` the way a user does, in its own process."""
    result = subprocess.run(
        [sys.executable, "-m", "ingestion", *map(str, args)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"ingestion {args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result

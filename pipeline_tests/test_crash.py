"""Crash safety of landing: SIGKILL the ingestion while it writes a large file, then re-run it: nothing
was committed, and the re-run clears what the killed run left and lands each table once. (A
``dbt build`` killed midway: test_publish.py.) Everything here runs in subprocesses on a lake of
its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline_tests.dbt_runner import Pipeline, kill_when


@pytest.fixture(scope="module")
def crash(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("crash")
    pipeline = Pipeline(lake=work / "lake", work=work)
    delivery = work / "delivery"
    pipeline.samples("generate", "--system", "sales", "--out", delivery, "--scale", "5", "--seed", "3")
    return {"pipeline": pipeline, "delivery": delivery, "landing": work / "lake/landing/sales"}


def committed_loads(landing: Path, table: str) -> list[Path]:
    return [path for path in (landing / table).iterdir() if (path / "_manifest.json").is_file()]


@pytest.fixture(scope="module")
def interrupted_then_rerun_load(crash: dict) -> dict:
    landing: Path = crash["landing"]
    pipeline: Pipeline = crash["pipeline"]
    killed = pipeline.start_ingestion("load", "--source", crash["delivery"])
    kill_when(killed, lambda: any(landing.glob("orders/*/data/part-*.jsonl")))
    after_kill = {table.name: [path.name for path in table.iterdir()] for table in landing.iterdir()}
    committed = {table: committed_loads(landing, table) for table in after_kill}
    rerun = pipeline.ingestion("load", "--source", crash["delivery"])
    return {"after_kill": after_kill, "committed_after_kill": committed, "rerun": rerun}


def test_a_killed_load_commits_nothing(interrupted_then_rerun_load: dict) -> None:
    after_kill = interrupted_then_rerun_load["after_kill"]
    assert after_kill, "the kill came before anything was written"
    assert interrupted_then_rerun_load["committed_after_kill"] == {table: [] for table in after_kill}


def test_the_rerun_clears_it_and_lands_each_table_once(interrupted_then_rerun_load: dict, crash: dict) -> None:
    rerun = interrupted_then_rerun_load["rerun"]
    assert "interrupted" in rerun.stdout + rerun.stderr  # it says it removed what the killed run left
    for table in ("orders", "products", "customers"):
        loads = [path.name for path in (crash["landing"] / table).iterdir()]
        assert len(loads) == 1 and len(committed_loads(crash["landing"], table)) == 1, loads

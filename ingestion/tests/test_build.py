"""The run's choices that need no Spark: the JIT by delivered size, the early session's settings, the build version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingestion.build import FIRST_TIER_JIT, SMALL_RUN_BYTES, build_version, choose_jit
from ingestion.settings import PROJECT_DIR


@pytest.fixture
def no_java_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SALES_SPARK_JAVA_OPTIONS", raising=False)


def test_a_small_run_gets_the_first_tier_with_a_full_code_cache(no_java_options: None) -> None:
    choose_jit(3_100_000)  # 10k order lines
    assert os.environ["SALES_SPARK_JAVA_OPTIONS"] == FIRST_TIER_JIT
    assert "-XX:TieredStopAtLevel=1" in FIRST_TIER_JIT and "-XX:ReservedCodeCacheSize=240m" in FIRST_TIER_JIT


def test_a_large_run_keeps_the_default_jit(no_java_options: None) -> None:
    choose_jit(311_000_000)  # 1M order lines
    assert "SALES_SPARK_JAVA_OPTIONS" not in os.environ
    choose_jit(SMALL_RUN_BYTES)
    assert "SALES_SPARK_JAVA_OPTIONS" not in os.environ


def test_options_set_by_the_user_are_kept_even_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALES_SPARK_JAVA_OPTIONS", "")
    choose_jit(1)
    assert os.environ["SALES_SPARK_JAVA_OPTIONS"] == ""


def early_session_settings(target: str, env: dict[str, str]) -> dict[str, str] | None:
    """What ``session_parameters`` renders for ``target`` in ``env``, in a child process: it sets dbt's global flags."""
    code = f"import json; from ingestion.build import session_parameters; print(json.dumps(session_parameters({target!r})))"
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=PROJECT_DIR, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr  # dbt's own error, should rendering the profile fail
    return json.loads(done.stdout.splitlines()[-1])


def test_the_early_session_gets_the_settings_dbt_would_start_it_with(tmp_path: Path) -> None:
    # load --build starts the Spark session itself, with dbt's internals rendering profiles.yml: a
    # dbt upgrade that changed them would start a session on another lake or without the archive
    env = {key: value for key, value in os.environ.items() if key not in ("DBT_TARGET", "DBT_PROFILES_DIR")}
    lake = tmp_path / "lake"
    env.update(SALES_LAKE_DIR=str(lake), SALES_SPARK_CLASS_ARCHIVE="/opt/classes.jsa", SALES_SPARK_JAVA_OPTIONS="-Dsales.mark=1")
    settings = early_session_settings("local", env)
    assert settings is not None
    assert settings["spark.master"] == "local[*]"
    assert settings["spark.sql.warehouse.dir"] == f"{lake}/warehouse"
    assert settings["spark.hadoop.javax.jdo.option.ConnectionURL"] == f"jdbc:derby:;databaseName={lake}/metastore_db;create=true"
    java_options = settings["spark.driver.extraJavaOptions"].split()
    assert f"-Dderby.system.home={lake}" in java_options
    assert f"-Dlog4j2.configurationFile={PROJECT_DIR}/conf/log4j2.properties" in java_options
    assert "-XX:SharedArchiveFile=/opt/classes.jsa" in java_options and "-Dsales.mark=1" in java_options
    # a target dbt reaches over thrift: no session of this process to start
    assert early_session_settings("cluster", env) is None


def test_the_build_version_is_set_for_the_block_and_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALES_BUILD_VERSION", "v1")
    with build_version("v2"):
        assert os.environ["SALES_BUILD_VERSION"] == "v2"
    assert os.environ["SALES_BUILD_VERSION"] == "v1"
    with build_version(None):
        assert os.environ["SALES_BUILD_VERSION"] == "v1"
    monkeypatch.delenv("SALES_BUILD_VERSION")
    with build_version("v3"):
        pass
    assert "SALES_BUILD_VERSION" not in os.environ

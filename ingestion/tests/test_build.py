"""The run's choices that need no Spark: the JIT by delivered size, the build version."""

from __future__ import annotations

import os

import pytest

from ingestion.build import FIRST_TIER_JIT, SMALL_RUN_BYTES, build_version, choose_jit


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

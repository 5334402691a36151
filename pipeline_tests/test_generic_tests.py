"""The project's own generic tests against hand-made tables: a test that passes on every build
proves nothing until it has been seen to fail. Each test's SQL is compiled by dbt (``compile
--inline`` calling the test's macro) and run on the shared build's Spark session."""

from __future__ import annotations

import pytest


def failing_rows(build: dict, pipeline, call: str) -> list[tuple]:
    """The rows the compiled generic test returns: dbt fails a test that returns any."""
    result = pipeline.invoke("compile", "--inline", call, "--quiet")
    assert result.success, result.exception
    compiled = result.result.results[0].node.compiled_code
    return sorted(tuple(row) for row in build["spark"].sql(compiled).collect())


@pytest.fixture(scope="module")
def probe(build: dict) -> str:
    """probe.nulls: column ``a`` never null, ``b`` null on two rows, ``the c`` (a name to quote) on one."""
    spark = build["spark"]
    spark.sql("create schema if not exists probe")
    spark.sql("drop table if exists probe.nulls")
    spark.sql(
        "create table probe.nulls using parquet as "
        "select * from values (1, 'x', 1.5), (2, null, null), (3, null, 2.5), (4, 'y', 3.5) as t(a, b, `the c`)"
    )
    yield "api.Relation.create(schema='probe', identifier='nulls')"
    spark.sql("drop schema probe cascade")


def test_not_null_columns_names_each_column_with_nulls_and_counts_them(build: dict, pipeline, probe: str) -> None:
    rows = failing_rows(build, pipeline, f"{{{{ test_not_null_columns({probe}, ['a', 'b', 'the c']) }}}}")
    assert rows == [("b", 2), ("the c", 1)]


def test_not_null_columns_passes_when_no_listed_column_has_a_null(build: dict, pipeline, probe: str) -> None:
    assert failing_rows(build, pipeline, f"{{{{ test_not_null_columns({probe}, ['a']) }}}}") == []

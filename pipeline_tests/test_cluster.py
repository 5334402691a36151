"""The ``cluster`` target end to end: a real Spark standalone cluster and thrift server on
127.0.0.1, started here with its own lake and free ports, fed the same delivery as the local build
through the CLI and ``dbt build --target cluster``, as a user would. Every gold table must then
hold the same rows on the cluster as in the local build.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import closing
from decimal import Decimal

import pandas as pd
import pytest
from pyhive import hive
from pyspark.sql.types import BooleanType, DataType, DateType, DecimalType, IntegralType

from pipeline_tests.dbt_runner import Pipeline

GOLD_TABLES = (
    "gold.fct_order_lines",
    "gold.profit_by_year",
    "gold.profit_by_category",
    "gold.profit_by_sub_category",
    "gold.profit_by_customer",
    "gold.dim_customers",
    "gold.dim_products",
)


def free_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1 right now, all different (the sockets are held until all are chosen)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for probe in sockets:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


@pytest.fixture(scope="module")
def cluster(build: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[hive.Connection]:
    """A connection to the thrift server of a cluster that has landed and built ``build["delivery"]``.
    The cluster is stopped afterwards, whatever happened."""
    work = tmp_path_factory.mktemp("cluster")
    master_port, master_ui_port, thrift_port = free_ports(3)
    ports = {
        "SALES_SPARK_MASTER_PORT": str(master_port),
        "SALES_SPARK_MASTER_UI_PORT": str(master_ui_port),
        "SALES_THRIFT_PORT": str(thrift_port),
    }
    pipeline = Pipeline(lake=work / "lake", work=work, target="cluster", extra_env=ports)
    try:
        pipeline.local_cluster("up")
        pipeline.ingestion("load", "--source", build["delivery"], "--target", "cluster")
        pipeline.dbt("build", "--select", pipeline.selector())
        with closing(hive.connect(host="127.0.0.1", port=thrift_port, username="test")) as connection:
            yield connection
    finally:
        pipeline.local_cluster("down")


def canonical(value: object, data_type: DataType) -> str | None:
    """One text per value, whichever client read it: pandas gives numpy scalars, NaN for a null in
    a numeric column (so integers may arrive as floats) and datetime.date; PyHive gives Python
    scalars, None and ISO date strings."""
    if value is None or pd.isna(value):
        return None
    if isinstance(data_type, DecimalType):
        return format(Decimal(value).normalize(), "f")  # the amount, whatever the scale
    if isinstance(data_type, IntegralType):
        return str(int(value))
    if isinstance(data_type, BooleanType):
        return str(bool(value))
    if isinstance(data_type, DateType):
        return pd.Timestamp(value).date().isoformat()
    return str(value)


def sorted_rows(rows: list[tuple], types: list[DataType]) -> list[tuple[str | None, ...]]:
    normalised = [tuple(canonical(value, data_type) for value, data_type in zip(row, types, strict=True)) for row in rows]
    return sorted(normalised, key=lambda row: [(value is None, value or "") for value in row])


@pytest.mark.parametrize("table_name", GOLD_TABLES)
def test_gold_table_on_the_cluster_matches_the_local_build(build: dict, cluster: hive.Connection, table_name: str) -> None:
    local = build["spark"].table(table_name)
    types = [field.dataType for field in local.schema]
    expected = sorted_rows(list(local.toPandas().itertuples(index=False, name=None)), types)
    assert expected, f"{table_name} is empty locally: nothing would be compared"

    with closing(cluster.cursor()) as cursor:
        cursor.execute(f"select * from {table_name}")
        columns = [column[0] for column in cursor.description]
        actual = sorted_rows(cursor.fetchall(), types)

    assert columns == local.columns
    assert len(actual) == len(expected)
    assert actual == expected

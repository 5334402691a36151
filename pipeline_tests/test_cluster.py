"""The ``cluster`` target end to end: a real Spark standalone cluster and thrift server on
127.0.0.1, started here with its own lake and free ports, fed the local build's two deliveries
through the CLI and ``dbt build --target cluster``, as a user would: the first built and published,
then the second. Every gold table must then hold the same rows on the cluster as in the local build.

While the second delivery is built and published, a reader queries a gold table through the
thrift server in a loop, as a dashboard does: it must never get an error, and each answer must be
wholly one version's (the first delivery's or the second's).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from decimal import Decimal

import pandas as pd
import pytest
from pyhive import hive
from pyspark.sql.types import BooleanType, DataType, DateType, DecimalType, IntegralType

from pipeline_tests.dbt_runner import MAKE_BUILD, Pipeline

LINEAGE = {"loaded_at"}  # when the lake landed the line's load: not the same on two lakes
READ_IN_A_LOOP = "gold.profit_by_year"  # the table a dashboard reads while the second delivery is built
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


@contextmanager
def reader_in_a_loop(port: int, query: str) -> Iterator[list[object]]:
    """Run ``query`` through the thrift server on ``port`` over and over on a connection of its own
    until the block ends; the answers (sorted rows) or exceptions, in order."""
    answers: list[object] = []
    done = threading.Event()

    def read() -> None:
        with closing(hive.connect(host="127.0.0.1", port=port, username="reader")) as connection:
            while not done.is_set():
                try:
                    with closing(connection.cursor()) as cursor:
                        cursor.execute(query)
                        answers.append(sorted(cursor.fetchall()))
                except Exception as error:  # every failure is an answer the test reports
                    answers.append(error)
                done.wait(0.2)  # a dashboard's polling, not a load test

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield answers
    finally:
        done.set()
        reader.join(timeout=120)


@pytest.fixture(scope="module")
def cluster(build: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A cluster that has landed, built and published ``build["first_delivery"]``, then
    ``build["delivery"]`` while a reader looped over ``READ_IN_A_LOOP``: a connection to its thrift
    server, and the reader's answers before, during and after. The cluster is stopped afterwards,
    whatever happened."""
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
        pipeline.ingestion("load", "--source", build["first_delivery"], "--target", "cluster")
        # the first version: only what the reader's table is built from, and the tests on those
        # alone (cautious: not a test that also reads models this build leaves out)
        pipeline.dbt(*MAKE_BUILD, "--select", f"+{READ_IN_A_LOOP.split('.')[1]}", "--indirect-selection", "cautious")
        pipeline.ingestion("load", "--source", build["delivery"], "--target", "cluster")
        with closing(hive.connect(host="127.0.0.1", port=thrift_port, username="test")) as connection:
            before = query(connection, f"select * from {READ_IN_A_LOOP}")
            with reader_in_a_loop(thrift_port, f"select * from {READ_IN_A_LOOP}") as answers:
                second_build = pipeline.dbt(*MAKE_BUILD, "--select", pipeline.selector())
            after = query(connection, f"select * from {READ_IN_A_LOOP}")
            yield {"connection": connection, "before": before, "answers": answers, "after": after, "second_build": second_build}
    finally:
        pipeline.local_cluster("down")


def query(connection: hive.Connection, sql: str) -> list[tuple]:
    with closing(connection.cursor()) as cursor:
        cursor.execute(sql)
        return sorted(cursor.fetchall())


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
def test_gold_table_on_the_cluster_matches_the_local_build(build: dict, cluster: dict, table_name: str) -> None:
    # every column but the lineage: when each lake landed its delivery differs
    compared = [column for column in build["spark"].table(table_name).columns if column not in LINEAGE]
    local = build["spark"].table(table_name).select(*compared)
    types = [field.dataType for field in local.schema]
    expected = sorted_rows(list(local.toPandas().itertuples(index=False, name=None)), types)
    assert expected, f"{table_name} is empty locally: nothing would be compared"

    with closing(cluster["connection"].cursor()) as cursor:
        cursor.execute(f"select * from {table_name}")
        columns = [column[0] for column in cursor.description]
        kept = [index for index, column in enumerate(columns) if column not in LINEAGE]
        actual = sorted_rows([tuple(row[index] for index in kept) for row in cursor.fetchall()], types)

    assert [columns[index] for index in kept] == compared
    assert len(actual) == len(expected)
    assert actual == expected


def test_a_reader_during_a_build_and_its_publish_gets_one_whole_version_each_time(cluster: dict) -> None:
    answers, before, after = cluster["answers"], cluster["before"], cluster["after"]
    assert "Published version" in cluster["second_build"].stdout
    assert before != after, "both deliveries give the same answer: the test could not tell the versions apart"
    errors = [answer for answer in answers if isinstance(answer, Exception)]
    assert not errors, f"{len(errors)} of {len(answers)} reads failed, the first: {errors[0]!r}"
    mixed = [answer for answer in answers if answer not in (before, after)]
    assert not mixed, f"{len(mixed)} of {len(answers)} answers are neither version's, the first: {mixed[0]}"
    assert answers.count(before) >= 3 and answers.count(after) >= 1, "the reader did not read across the publish"
    assert answers.index(after) > len(answers) - 1 - answers[::-1].index(before), "an answer of the first version came after the second was shown"

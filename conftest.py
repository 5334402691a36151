"""How `make test` shares the machine: pytest-xdist runs the test modules on two workers
(``addopts`` in pyproject.toml). A worker takes a whole group at a time, so each
module's fixtures (a lake and its builds) are made once, on one worker. The modules that use the
shared local lake (the session fixtures of pipeline_tests/conftest.py: ``build`` and what it is
made of) form one group, since a worker makes that lake and build for itself. The longest groups
are handed out first so that neither worker is left with one at the end (``--no-loadscope-reorder``
keeps this order; xdist would sort the groups by their number of tests).

Every local Spark JVM the tests start (each dbt invocation's) runs the JIT's first tier only
(``SALES_SPARK_JAVA_OPTIONS`` = ``ingestion.build.FIRST_TIER_JIT``, read by profiles.yml): on the tests' small data the optimising
compiler costs more CPU than it saves, a fifth of a build's CPU time (BENCHMARKS.md)."""

from __future__ import annotations

import os

import pytest

from ingestion.build import FIRST_TIER_JIT

SHARED_BUILD = "pipeline_tests: the shared local build"
SHARED_FIXTURES = {"lake_dir", "pipeline", "cli", "build"}
# longest first, as measured by `pytest --durations`; any other group comes after these
LONGEST = ["pipeline_tests.test_publish", SHARED_BUILD, "pipeline_tests.test_hostile_delivery"]


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("SALES_SPARK_JAVA_OPTIONS", FIRST_TIER_JIT)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups into the test ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    groups = {item: SHARED_BUILD if SHARED_FIXTURES & set(getattr(item, "fixturenames", ())) else item.module.__name__ for item in items}
    for item, group in groups.items():
        item.add_marker(pytest.mark.xdist_group(group))
    # sorted is stable: within a group, and among the other groups, pytest's own order stays
    items.sort(key=lambda item: LONGEST.index(groups[item]) if groups[item] in LONGEST else len(LONGEST))

"""Build: ``dbt build`` of the landed source systems as a new candidate version, published if it passes.

What ``make build`` runs (``python -m ingestion build``) and what ``make run`` runs after landing in
the same process (``python -m ingestion load --build``): dbt's ``dbtRunner`` in this process, so the
Spark session that registration started (dbt-spark's ``session`` method) serves the build too, and
a run starts one JVM instead of two.

The selection is every system with a committed load (``@source:sales ...``); the version
(``SALES_BUILD_VERSION``, ``v<UTC timestamp>``) names the candidate schemas silver__<version> and
gold__<version> that macros/publish.sql publishes. Unit tests are left out: they test the SQL, not
the delivery, and ``make test`` runs them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
from collections.abc import Iterator

from ingestion.declaration import load_systems
from ingestion.land import landed_systems
from ingestion.register import dbt_invoke

log = logging.getLogger(__name__)


class BuildError(Exception):
    """Nothing to build, or dbt build did not succeed (its own output says which node failed)."""


def selection(url: str) -> str:
    """The dbt selection of the systems that have a committed load in the landing zone at ``url``."""
    systems = landed_systems(url, load_systems())
    if not systems:
        raise BuildError(f"no source system has a committed load in {url}; land a delivery first (python -m ingestion load --source DIR)")
    return " ".join(f"@source:{name}" for name in systems)


def new_version() -> str:
    return dt.datetime.now(dt.UTC).strftime("v%Y%m%d%H%M%S")


def build(url: str, *, target: str | None = None, version: str | None = None) -> None:
    """Build, test and publish what has been landed at ``url`` as ``version`` (default: a new one)."""
    selected, version = selection(url), version or new_version()
    log.info("dbt build --select %s --exclude-resource-type unit_test   (version %s)", selected, version)
    with build_version(version):
        failure = dbt_invoke(["build", "--select", selected, "--exclude-resource-type", "unit_test"], target=target)
    if failure:
        raise BuildError(f"dbt build of version {version} failed ({failure}); nothing was published: readers keep the previous version")


@contextlib.contextmanager
def build_version(version: str | None) -> Iterator[None]:
    """$SALES_BUILD_VERSION set to ``version`` (read by generate_schema_name and the publish hooks)
    while the block runs; left alone when ``version`` is None."""
    if version is None:
        yield
        return
    earlier = os.environ.get("SALES_BUILD_VERSION")
    os.environ["SALES_BUILD_VERSION"] = version
    try:
        yield
    finally:
        if earlier is None:
            os.environ.pop("SALES_BUILD_VERSION", None)
        else:
            os.environ["SALES_BUILD_VERSION"] = earlier

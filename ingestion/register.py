"""Register: point the bronze tables at the current loads, through dbt so every target works alike.

The table definitions (columns, types) are the dbt sources declared in the YAML (the same
declaration landing reads); the ``register_bronze_tables`` macro turns them into DDL for whichever
adapter the target uses (external JSON tables on Spark, views over ``read_files`` on Databricks).
Ingestion only says where each table's data is now: ``{"<system>.<table>": [URL, ...], ..., "landing.loads": [URL]}``
(ingestion.land.bronze_locations).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from ingestion.settings import PROJECT_DIR

log = logging.getLogger(__name__)


class RegistrationError(Exception):
    """dbt could not (re)create the bronze tables."""


def profiles_dir() -> Path:
    """The folder dbt reads profiles.yml from here: $DBT_PROFILES_DIR, else the project's."""
    return Path(os.environ.get("DBT_PROFILES_DIR") or PROJECT_DIR)


def dbt_invoke(
    args: list[str], *, target: str | None = None, project_dir: Path = PROJECT_DIR, on_log: Callable[[str], None] | None = None
) -> str | None:
    """Run one dbt command in this process (dbt's ``dbtRunner``); None if it succeeded, else what failed.

    In-process on purpose: with the local target, the Spark session the first command starts
    (dbt-spark's ``session`` method) serves every later one, so registration and the build of one
    run share one JVM. dbt prints its own progress and errors. ``on_log`` gets the text of every
    ``log()`` call of the project's macros, debug ones included.
    """
    from dbt.cli.main import dbtRunner  # imported late: dbt is slow to import and only this needs it

    args = [*args, "--project-dir", str(project_dir), "--profiles-dir", str(profiles_dir())]
    if target:
        args += ["--target", target]
    callbacks = [] if on_log is None else [lambda event: on_log(event.data.msg) if event.info.name in ("JinjaLogInfo", "JinjaLogDebug") else None]
    result = dbtRunner(callbacks=callbacks).invoke(args)
    return None if result.success else str(result.exception or "see the dbt log above")


def register_bronze_tables(locations: Mapping[str, list[str]], *, target: str | None = None, project_dir: Path = PROJECT_DIR) -> None:
    """Point each bronze table at the data folders in ``locations`` (``<source>.<table>`` -> URLs of its current loads)."""
    log.info("registering bronze tables: %s", ", ".join(sorted(locations)))
    arguments = json.dumps({"locations": dict(locations)})
    failure = dbt_invoke(["run-operation", "register_bronze_tables", "--args", arguments], target=target, project_dir=project_dir)
    if failure:
        raise RegistrationError(f"dbt run-operation register_bronze_tables failed: {failure}")

"""Register: point the bronze tables at the current loads, through dbt so every target works alike.

The table definitions (columns, types) are the dbt sources declared in the YAML (the same
declaration landing reads); the ``register_bronze_tables`` macro turns them into DDL for whichever
adapter the target uses (external JSON tables on Spark, views over ``read_files`` on Databricks).
Ingestion only says where each table's data is now: ``{"<system>.<table>": URL, ..., "landing.loads": URL}``
(ingestion.land.bronze_locations).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from ingestion.settings import PROJECT_DIR

log = logging.getLogger(__name__)


class RegistrationError(Exception):
    """dbt could not (re)create the bronze tables."""


def profiles_dir() -> Path:
    """The folder dbt reads profiles.yml from here: $DBT_PROFILES_DIR, else the project's."""
    return Path(os.environ.get("DBT_PROFILES_DIR") or PROJECT_DIR)


def register_bronze_tables(locations: Mapping[str, str], *, target: str | None = None, project_dir: Path = PROJECT_DIR) -> None:
    """Point each bronze table at the data folder in ``locations`` (``<source>.<table>`` -> URL)."""
    from dbt.cli.main import dbtRunner  # imported late: dbt is slow to import and only this needs it

    args = [
        "run-operation",
        "register_bronze_tables",
        "--args",
        json.dumps({"locations": dict(locations)}),
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(profiles_dir()),
    ]
    if target:
        args += ["--target", target]
    log.info("registering bronze tables: %s", ", ".join(sorted(locations)))
    result = dbtRunner().invoke(args)
    if not result.success:
        raise RegistrationError(f"dbt run-operation register_bronze_tables failed: {result.exception or 'see the dbt log above'}")

"""Register the bronze tables over the latest landed load, through dbt so every target works alike.

The table definitions (columns, types, file format) live with the dbt source in
``models/staging/sales/_sales__sources.yml``; the ``register_bronze_tables`` macro turns them into
DDL for whichever adapter the target uses. Ingestion only says where each table's data now is.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from ingestion.settings import PROJECT_DIR

log = logging.getLogger(__name__)


class RegistrationError(Exception):
    """dbt could not (re)create the bronze tables."""


def register_bronze_tables(locations: Mapping[str, str], *, target: str | None = None) -> None:
    """Point each bronze table at the data folder in ``locations`` (table name -> URL)."""
    from dbt.cli.main import dbtRunner  # imported late: dbt is slow to import and only this needs it

    args = [
        "run-operation",
        "register_bronze_tables",
        "--args",
        json.dumps({"locations": dict(locations)}),
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
    ]
    if target:
        args += ["--target", target]
    result = dbtRunner().invoke(args)
    if not result.success:
        raise RegistrationError(f"dbt run-operation register_bronze_tables failed: {result.exception or 'see the dbt log above'}")

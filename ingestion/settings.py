"""Where the project keeps its local state, read from environment variables with repo-relative defaults.

``profiles.yml`` derives the same default (``<repo>/.lake``) from the folder it lives in, so the
ingestion CLI, ``make run`` and a later ``dbt show`` from the repo root all see one metastore.
"""

from __future__ import annotations

import os
from pathlib import Path

# The dbt project whose declarations landing reads and whose macros register bronze: this
# repository, or the one named by dbt's own DBT_PROJECT_DIR.
PROJECT_DIR = Path(os.environ.get("DBT_PROJECT_DIR") or Path(__file__).resolve().parents[1]).resolve()


def lake_dir() -> Path:
    """Root of all local state: landing zone, Spark warehouse, Derby metastore, sample data."""
    return Path(os.environ.get("SALES_LAKE_DIR", PROJECT_DIR / ".lake")).resolve()


def landing_url() -> str:
    """Storage root of the landing zone, as a URL (``file://`` by default)."""
    return os.environ.get("SALES_LANDING_URL") or (lake_dir() / "landing").as_uri()


def copy_timeout() -> float:
    """Seconds landing waits for one server-side copy (Azure) before it gives up, committing nothing."""
    return float(os.environ.get("SALES_COPY_TIMEOUT_SECONDS") or 600)

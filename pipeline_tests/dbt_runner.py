"""How the whole-pipeline tests run the job: dbt, the ingestion CLI and the sample generator, on one
lake and one project, the way a user does.

Every test module here goes through ``Pipeline``: it fixes the lake (``SALES_LAKE_DIR``), the
project (the repository, or a temporary copy), and a work folder for dbt's target and log paths,
so that tests never write into the repository nor share a Derby metastore by accident.

dbt runs either in this process (``invoke``: dbt's ``dbtRunner``; the Spark session it starts stays
up for the test to query, and keeps the metastore of the first lake it opened for the rest of the
pytest run) or as a subprocess (``dbt``, ``start``, ``show``: a Spark session of its own, ~15 s to
start, so a test keeps the number of invocations small).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).with_name("dbt"))


@dataclass(frozen=True)
class Pipeline:
    """The job on one lake: ``lake`` holds the landing zone, warehouse and metastore; ``work`` gets
    dbt's target/ and logs/ (also those of the ``dbt run-operation`` that ingestion starts)."""

    lake: Path
    work: Path
    project_dir: Path = PROJECT_DIR
    target: str | None = None  # dbt target; None: the profile's default (local)
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        env = {**os.environ, **self.extra_env}
        env.pop("SALES_LANDING_URL", None)  # the lake's own landing zone, never a cloud one
        env.update(
            SALES_LAKE_DIR=str(self.lake),
            DBT_PROJECT_DIR=str(self.project_dir),
            DBT_PROFILES_DIR=str(self.project_dir),
            DBT_TARGET_PATH=str(self.work / "target"),
            DBT_LOG_PATH=str(self.work / "logs"),
        )
        return env

    @property
    def target_path(self) -> Path:
        return self.work / "target"

    # --- dbt ------------------------------------------------------------------------------------

    def dbt_args(self, *command: object) -> list[str]:
        """``command`` with the project, profiles, target and log paths (and the target) of this pipeline."""
        args = [
            *map(str, command),
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.project_dir),
            "--target-path",
            str(self.work / "target"),
            "--log-path",
            str(self.work / "logs"),
        ]
        return [*args, "--target", self.target] if self.target else args

    def invoke(self, *command: object) -> Any:
        """Run dbt in this process and return its ``dbtRunnerResult``. The lake must be this
        process's SALES_LAKE_DIR before the first invocation starts Spark."""
        from dbt.cli.main import dbtRunner

        assert os.environ.get("SALES_LAKE_DIR") == str(self.lake), "set SALES_LAKE_DIR to the lake before dbt starts Spark in this process"
        return dbtRunner().invoke(self.dbt_args(*command))

    def dbt(self, *command: object, check: bool = True, timeout: float | None = 1800) -> subprocess.CompletedProcess[str]:
        """Run dbt in a process of its own; fail with its output unless ``check`` is false."""
        return self._run([DBT, *self.dbt_args(*command)], check=check, timeout=timeout, what=f"dbt {' '.join(map(str, command[:2]))}")

    def start_dbt(self, *command: object) -> subprocess.Popen[str]:
        """Start dbt in a session of its own (so a kill reaches the JVM that Spark starts too), stdout piped."""
        return self._start([DBT, *self.dbt_args(*command)])

    def show(self, query: str) -> list[dict[str, Any]]:
        """The rows of a query (Jinja allowed: ``{{ ref('x') }}``), through ``dbt show`` in a subprocess."""
        shown = self.dbt("--quiet", "show", "--inline", query, "--limit", "-1", "--output", "json")
        return json.JSONDecoder().raw_decode(shown.stdout, shown.stdout.index("{"))[0]["show"]

    def show_many(self, queries: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
        """The rows of several queries for the price of one Spark start: one ``dbt show`` of their
        union, each row as JSON text (``to_json``), parsed back here with exact decimals."""
        union = "\nunion all\n".join(
            f"select '{name}' as query_name, to_json(struct(*)) as row_json from ({query}) as {name}" for name, query in queries.items()
        )
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in queries}
        for row in self.show(union):
            rows[row["query_name"]].append(json.loads(row["row_json"], parse_float=_decimal))
        return rows

    # --- the project's command lines --------------------------------------------------------------

    def ingestion(self, *args: object, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``python -m ingestion ...`` on this lake, as a user runs it."""
        return self._run([sys.executable, "-m", "ingestion", *map(str, args)], check=check, what=f"ingestion {' '.join(map(str, args[:1]))}")

    def start_ingestion(self, *args: object) -> subprocess.Popen[str]:
        return self._start([sys.executable, "-m", "ingestion", *map(str, args)])

    def selector(self) -> str:
        """What ``python -m ingestion selector`` says a build of this lake should select."""
        selector = self.ingestion("selector").stdout.strip()
        assert selector, "ingestion selector printed nothing"
        return selector

    def samples(self, *args: object) -> subprocess.CompletedProcess[str]:
        """``python -m samples ...``, e.g. ``samples("generate", "--system", "sales", "--out", folder)``."""
        return self._run([sys.executable, "-m", "samples", *map(str, args)], check=True, what="samples")

    def local_cluster(self, *args: object) -> subprocess.CompletedProcess[str]:
        return self._run([sys.executable, "-m", "local_cluster", *map(str, args)], check=True, what=f"local_cluster {args[0]}")

    # --- processes --------------------------------------------------------------------------------

    def _run(self, command: list[str], *, check: bool, what: str, timeout: float | None = 1800) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(command, cwd=self.project_dir, env=self.env, capture_output=True, text=True, check=False, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"{what} failed ({result.returncode}): {command}\n{result.stdout}\n{result.stderr}")
        return result

    def _start(self, command: list[str]) -> subprocess.Popen[str]:
        return subprocess.Popen(
            command, cwd=self.project_dir, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )


def _decimal(text: str) -> Any:
    from decimal import Decimal

    return Decimal(text)

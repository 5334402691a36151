"""How the whole-pipeline tests run the job: dbt, the ingestion CLI and the sample generator, on one
lake and one project, the way a user does.

Every test module here goes through ``Pipeline``: it fixes the lake (``SALES_LAKE_DIR``), the
project (the repository, or a temporary copy), and a work folder for dbt's target and log paths,
so that tests never write into the repository nor share a Derby metastore by accident. Each
``dbt build`` (run, seed) gets a version of its own, as ``make build`` gives one
(SALES_BUILD_VERSION); other commands read the published schemas.

dbt runs either in this process (``invoke``: dbt's ``dbtRunner``; the Spark session it starts stays
up for the test to query, and keeps the metastore of the first lake it opened for the rest of the
pytest run) or as a subprocess (``dbt``, ``start``, ``show``: a Spark session of its own, ~15 s to
start, so a test keeps the number of invocations small).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).with_name("dbt"))
BUILDING = {"build", "run", "seed", "snapshot"}  # the dbt commands that write a candidate version
# the dbt command of `make build`, before its --select: the unit tests run once, in the end-to-end build
MAKE_BUILD = ("build", "--exclude-resource-type", "unit_test")


def new_version() -> str:
    """A build version as ``make build`` makes one, to the microsecond so that builds in one second differ."""
    return dt.datetime.now(dt.UTC).strftime("v%Y%m%d%H%M%S%f")


def version_env(command: tuple[object, ...]) -> dict[str, str | None]:
    """SALES_BUILD_VERSION for a dbt ``command``: a new version for a building command, unset for the others."""
    building = next((str(arg) for arg in command if not str(arg).startswith("-")), "") in BUILDING
    return {"SALES_BUILD_VERSION": new_version() if building else None}


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
        env = dict(os.environ)
        env.pop("SALES_BUILD_VERSION", None)  # set per dbt command (version_env), or by extra_env
        env.update(self.extra_env)
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
        saved = os.environ.get("SALES_BUILD_VERSION")
        _set_env(version_env(command))
        try:
            return dbtRunner().invoke(self.dbt_args(*command))
        finally:
            _set_env({"SALES_BUILD_VERSION": saved})

    def dbt(self, *command: object, check: bool = True, timeout: float | None = 1800) -> subprocess.CompletedProcess[str]:
        """Run dbt in a process of its own; fail with its output unless ``check`` is false."""
        return self._run(
            [DBT, *self.dbt_args(*command)], check=check, timeout=timeout, what=f"dbt {' '.join(map(str, command[:2]))}", env=version_env(command)
        )

    def start_dbt(self, *command: object) -> subprocess.Popen[str]:
        """Start dbt in a session of its own (so a kill reaches the JVM that Spark starts too), stdout piped."""
        return self._start([DBT, *self.dbt_args(*command)], env=version_env(command))

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

    def _run(
        self, command: list[str], *, check: bool, what: str, timeout: float | None = 1800, env: Mapping[str, str | None] | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(command, cwd=self.project_dir, env=self._env(env), capture_output=True, text=True, check=False, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"{what} failed ({result.returncode}): {command}\n{result.stdout}\n{result.stderr}")
        return result

    def _start(self, command: list[str], env: Mapping[str, str | None] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            command, cwd=self.project_dir, env=self._env(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )

    def _env(self, overrides: Mapping[str, str | None] | None) -> dict[str, str]:
        env = self.env
        for name, value in (overrides or {}).items():
            if value is not None:
                env[name] = value
        return env


def kill_when(process: subprocess.Popen[str], condition: Callable[[], bool], timeout: float = 300) -> None:
    """SIGKILL ``process`` as soon as ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the process ended before the moment to kill it:\n{process.stdout.read()}"
        assert time.monotonic() < deadline, "the moment to kill never came"
        time.sleep(0.005)
    kill(process)


def kill(process: subprocess.Popen[str]) -> None:
    """SIGKILL ``process`` and its session (dbt and the JVM it started); it must still be running."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _kill_if_running(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
        os.killpg(process.pid, signal.SIGKILL)


def read_until(process: subprocess.Popen[str], pattern: str, timeout: float = 600) -> list[str]:
    """The lines ``process`` prints up to the first that matches the regex ``pattern``, that one included;
    fails when no such line came within ``timeout`` seconds (the process is killed then)."""
    seen: list[str] = []
    watchdog = threading.Timer(timeout, _kill_if_running, (process,))  # readline() cannot time out by itself
    watchdog.start()
    try:
        while not seen or not re.search(pattern, seen[-1]):
            line = process.stdout.readline()
            assert line, (
                f"the process ended (or was killed after {timeout:.0f} s) before printing a line that matches {pattern!r}:\n{''.join(seen[-40:])}"
            )
            seen.append(line)
    finally:
        watchdog.cancel()
    return seen


def _set_env(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _decimal(text: str) -> Any:
    from decimal import Decimal

    return Decimal(text)

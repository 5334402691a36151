"""Build: ``dbt build`` of the landed source systems as a new candidate version, published if it passes.

What ``make build`` runs (``python -m ingestion build``) and what ``make run`` runs after landing in
the same process (``python -m ingestion load --build``): dbt's ``dbtRunner`` in this process, so the
Spark session that registration started (dbt-spark's ``session`` method) serves the build too, and
a run starts one JVM instead of two.

``load --build`` also gets dbt ready while the files land (``prepared_dbt``: the project parsed in
a child process, the local target's Spark session started in this one), and below SMALL_RUN_BYTES
of data runs the JVM with the JIT's first tier only.

The selection is what depends on the source tables whose current loads differ from those the
published version was built from (``source:sales.orders+ ...``, after an increment of order lines):
the rest would be rebuilt from the same loads by the same code, so the candidate shows it as
published. Without a published version of the same code, or when every table is new, it is every
system with a committed load (``@source:sales ...``). The version
(``SALES_BUILD_VERSION``, ``v<UTC timestamp>``) names the candidate schemas silver__<version> and
gold__<version> that macros/publish.sql publishes. Unit tests are left out: they test the SQL, not
the delivery, and ``make test`` runs them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

from ingestion.declaration import load_systems
from ingestion.land import bronze_locations, landed_systems
from ingestion.register import dbt_invoke, profiles_dir
from ingestion.settings import PROJECT_DIR
from ingestion.storage import landing_filesystem

log = logging.getLogger(__name__)


class BuildError(Exception):
    """Nothing to build, or dbt build did not succeed (its own output says which node failed)."""


def selection(url: str, changed: list[str] | None = None) -> str:
    """The dbt selection of a build: what depends on the ``changed`` source tables (and on the load
    log, which changes with them); without any, the systems that have a committed load in the
    landing zone at ``url``."""
    systems = landed_systems(url, load_systems())
    if not systems:
        raise BuildError(f"no source system has a committed load in {url}; land a delivery first (python -m ingestion load --source DIR)")
    if changed:
        return " ".join(f"source:{table}+" for table in [*changed, "landing.loads"])
    return " ".join(f"@source:{name}" for name in systems)


# the line macros/incremental_carry_over.sql (changed_since_published) logs for this module
CHANGED_LINE = "changed source tables: "


def changed_source_tables(target: str | None = None) -> list[str] | None:
    """The source tables whose current loads differ from those the published version was built
    from; None when the build must select everything (nothing published yet, other code, nothing
    changed). Nodes that depend on none of them would be rebuilt from the same loads by the same
    code: the build leaves them as published."""
    said: list[str] = []
    failure = dbt_invoke(
        ["run-operation", "changed_since_published"],
        target=target,
        on_log=lambda message: said.append(message.removeprefix(CHANGED_LINE)) if message.startswith(CHANGED_LINE) else None,
    )
    if failure or not said:
        raise BuildError(f"dbt run-operation changed_since_published failed: {failure or 'it said nothing'}")
    return json.loads(said[-1])


def new_version() -> str:
    return dt.datetime.now(dt.UTC).strftime("v%Y%m%d%H%M%S")


def build(url: str, *, target: str | None = None, version: str | None = None, fresh: Collection[str] = ()) -> None:
    """Build, test and publish what has been landed at ``url`` as ``version`` (default: a new one).

    ``fresh``: the tables this run has just landed as new full loads. When they are every table of
    the landed systems, everything has changed and the build selects everything without asking."""
    version = version or new_version()
    systems = load_systems()
    every_table = {table.qualified_name for name in landed_systems(url, systems) for table in systems[name].tables}
    with build_version(version):
        changed = None if every_table <= set(fresh) else changed_source_tables(target)
        selected = selection(url, changed)
        log.info("dbt build --select %s --exclude-resource-type unit_test   (version %s)", selected, version)
        failure = dbt_invoke(["build", "--select", selected, "--exclude-resource-type", "unit_test"], target=target)
    if failure:
        raise BuildError(f"dbt build of version {version} failed ({failure}); nothing was published: readers keep the previous version")


# Below this much delivered data, the local Spark JVM runs the JIT's first tier only (C1): on small
# tables the optimising tier costs more CPU than it saves (BENCHMARKS.md, issue 8: 10k and 100k order lines gain, 1M loses).
SMALL_RUN_BYTES = 50 * 10**6
# Without the optimising tier the JVM reserves only 48 MB for compiled code, which Spark fills
# ("CodeCache is full. Compiler has been disabled."): reserve the tiered default instead.
FIRST_TIER_JIT = "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m"


def choose_jit(data_bytes: int) -> None:
    """For a run over ``data_bytes`` of data, the JIT of the Spark JVM it starts: the first tier only
    below SMALL_RUN_BYTES. SALES_SPARK_JAVA_OPTIONS, when set, is left as it is (make test sets it)."""
    if "SALES_SPARK_JAVA_OPTIONS" not in os.environ and data_bytes < SMALL_RUN_BYTES:
        os.environ["SALES_SPARK_JAVA_OPTIONS"] = FIRST_TIER_JIT


def current_load_bytes(url: str) -> int:
    """Bytes of the data bronze reads now: the current loads of every landed table."""
    fs, _ = landing_filesystem(url)
    return sum(fs.du(location) for name, locations in bronze_locations(url).items() if name != "landing.loads" for location in locations)


@contextlib.contextmanager
def prepared_dbt(target: str | None = None) -> Iterator[Callable[[], None]]:
    """While the block lands the files, get dbt ready for this run's commands; the block calls
    the function it gets before its first dbt command, to wait until dbt is ready.

    Two things, on different cores: ``dbt parse`` in a child process, whose saved parse the
    commands of this process then reuse (dbt's partial parsing, ~1 s instead of ~6 s); and, for a
    target on dbt-spark's ``session`` method, the Spark session in a thread of this process, with
    the settings dbt would start it with and its metastore opened, which dbt-spark's
    ``getOrCreate`` then finds. Neither can run beside dbt's own parse in this process: a busy
    Python thread starves the Spark session's start. A failure of either is only time lost: the
    first dbt command parses, opens the session and reports what is wrong."""
    args = ["parse", "--quiet", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(profiles_dir())]
    if target:
        args += ["--target", target]
    parse = subprocess.Popen(
        [sys.executable, "-c", "from dbt.cli.main import cli; cli()", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    session = threading.Thread(target=start_spark_session, args=(target,), name="start-spark-session", daemon=True)
    session.start()

    def wait() -> None:
        parse.wait()
        session.join()

    try:
        yield wait
    finally:
        if parse.poll() is None:  # the block failed before waiting: its parse is of no use
            parse.terminate()
            parse.wait()


def start_spark_session(target: str | None) -> None:
    """Start the Spark session of ``target`` if it is on dbt-spark's ``session`` method, with its
    rendered ``server_side_parameters``, and open its metastore (~2 s the first time)."""
    try:
        parameters = session_parameters(target)
        if parameters is None:
            return
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.enableHiveSupport()
        for name, value in parameters.items():
            builder = builder.config(name, value)
        builder.getOrCreate().sql("show databases").collect()
    except Exception as exc:  # only an early start is lost: dbt starts the session and reports any failure
        log.debug("Spark session not started early: %s", exc)


def session_parameters(target: str | None) -> dict[str, str] | None:
    """The Spark settings dbt-spark's ``session`` method would start ``target``'s session with, from
    profiles.yml rendered by dbt itself (no project parse); None if the target is not such a target."""
    from dbt.cli.flags import Flags
    from dbt.cli.main import cli
    from dbt.config.runtime import load_profile
    from dbt.flags import set_flags
    from dbt_common.context import set_invocation_context

    args = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(profiles_dir())]
    set_flags(Flags(cli.commands["debug"].make_context("debug", args, parent=cli.make_context("dbt", ["debug", *args]))))
    set_invocation_context(os.environ)
    credentials = load_profile(str(PROJECT_DIR), {}, target_override=target).credentials
    if credentials.type != "spark" or credentials.method != "session":
        return None
    return dict(credentials.server_side_parameters)


@contextlib.contextmanager
def build_version(version: str | None) -> Iterator[None]:
    """$SALES_BUILD_VERSION set to ``version`` (read by generate_schema_name and the publish hooks)
    and $SALES_CODE_FINGERPRINT to the project's ``code_fingerprint`` while the block runs; left
    alone when ``version`` is None."""
    if version is None:
        yield
        return
    values = {"SALES_BUILD_VERSION": version, "SALES_CODE_FINGERPRINT": code_fingerprint()}
    earlier = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in earlier.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# What decides the tables a build writes: a published incremental table is carried into a build
# only when these are byte for byte those that built it (macros/incremental_carry_over.sql).
CODE_PATHS = ("models", "macros", "seeds", "dbt_project.yml")


def code_fingerprint(project_dir: Path = PROJECT_DIR) -> str:
    """SHA-256 over the names and bytes of the project's files under CODE_PATHS."""
    digest = hashlib.sha256()
    for name in CODE_PATHS:
        root = project_dir / name
        for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if path.is_file():
                digest.update(f"{path.relative_to(project_dir)}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()

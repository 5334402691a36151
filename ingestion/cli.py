"""Command line: ``python -m ingestion load|build|verify|selector``. Thin wrappers over the package's functions."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path

import click
import yaml

from ingestion.build import BuildError, build, build_version, choose_jit, current_load_bytes, new_version, prepared_dbt, selection
from ingestion.declaration import DeclarationError, load_systems
from ingestion.find import Delivery, DeliveryError, find_delivery, parse_patterns
from ingestion.land import LandedTable, LandingLockedError, bronze_locations, lake_lock, land
from ingestion.register import RegistrationError, profiles_dir, register_bronze_tables
from ingestion.settings import PROJECT_DIR, landing_url
from ingestion.storage import IntegrityError
from ingestion.verify import verify_loads

FAILURES = (DeliveryError, DeclarationError, RegistrationError, BuildError, LandingLockedError, IntegrityError)


@click.group()
def main() -> None:
    """Land delivered files of the declared source systems, expose them as bronze tables, build."""
    # this package's progress; other libraries' (py4j's "Closing down clientserver connection") only when they warn
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("ingestion").setLevel(logging.INFO)


@main.command()
@click.option(
    "--source", "source_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True, help="Folder holding the delivered files."
)
@click.option("--system", default=None, help="Land only the tables of this declared source system (default: every system whose files are there).")
@click.option(
    "--pattern",
    "patterns",
    multiple=True,
    metavar="TABLE=REGEX",
    help="Override a table's file-name pattern (TABLE: system.table or table; case-insensitive, whole name). Repeatable.",
)
@click.option(
    "--delivery",
    default=None,
    help="Name of the delivery (default: the folder's name); a changed file for the same delivery replaces the earlier load.",
)
@click.option("--target", default=None, help="dbt target to register the bronze tables on (default: $DBT_TARGET, else local).")
@click.option("--no-register", is_flag=True, help="Land only; do not point the bronze tables at the new loads.")
@click.option(
    "--build", "then_build", is_flag=True, help="Then build, test and publish what has been landed (as `build`), in this process: one Spark session."
)
@click.option("--again", is_flag=True, help="Land tables whose files are unchanged too, as new loads (after `verify` reported drift).")
@click.option(
    "--increment",
    is_flag=True,
    help="The delivery holds new and changed records since the previous one: bronze reads it with the loads before it, "
    "a record delivered again replacing its earlier version (default: a full extract, which bronze reads alone).",
)
def load(
    source_dir: Path,
    system: str | None,
    patterns: tuple[str, ...],
    delivery: str | None,
    target: str | None,
    no_register: bool,
    then_build: bool,
    again: bool,
    increment: bool,
) -> None:
    """Land the files of SOURCE and point the bronze tables at them (with --build: then build, as make run does)."""
    url, version = landing_url(), new_version()
    if then_build and no_register:
        _fail("--build needs the bronze tables pointed at the new loads: drop --no-register")
    try:
        if not no_register:
            _check_target_reads(target, url)
        # dbt parses the project with the build's version from the start: the build reuses that parse
        with lake_lock(), build_version(version if then_build else None):  # the lock first: a second run stops with one line
            found = find_delivery(source_dir, system=system, patterns=parse_patterns(patterns), name=delivery, increment=increment)
            _print_files(found)
            if then_build:  # dbt parses and the Spark session starts while the files land
                choose_jit(sum(file.path.stat().st_size for table in found.tables for file in table.files))
            with prepared_dbt(target) if then_build else contextlib.nullcontext(lambda: None) as wait_for_dbt:
                landed = land(found, url, again=again, increment=increment)
                _print_summary(found, landed)
                wait_for_dbt()
            if not no_register:
                register_bronze_tables(bronze_locations(url), target=target)
            if then_build:
                fresh = [table.qualified_name for table in landed if table.load_kind == "full" and not table.status.startswith("unchanged")]
                build(url, target=target, version=version, fresh=fresh)
    except FAILURES as exc:
        _fail(exc)


@main.command(name="build")
@click.option("--target", default=None, help="dbt target (default: $DBT_TARGET, else local).")
def build_command(target: str | None) -> None:
    """Build, test and publish the landed source systems as a new version (what `make build` runs)."""
    url = landing_url()
    try:
        choose_jit(current_load_bytes(url))
        build(url, target=target)
    except FAILURES as exc:
        _fail(exc)


@main.command()
@click.option("--system", default=None, help="Check only the loads of this declared source system.")
@click.option("--archived", is_flag=True, help="Check the archived loads too, not only the current load of each table.")
def verify(system: str | None, archived: bool) -> None:
    """Read back the committed loads bronze reads and compare them with their manifests; exit 1 on any drift."""
    url = landing_url()
    try:
        systems = load_systems()
        if system is not None and system not in systems:
            raise DeliveryError(f"no source system {system!r} is declared; declared: {', '.join(systems)}")
        with lake_lock():  # a landing run committing meanwhile would look like drift
            result = verify_loads(url, systems, system, archived=archived)
    except FAILURES as exc:
        _fail(exc)
    for drift in result.drift:
        click.echo(f"drift: {drift.path}: {drift.problem}", err=True)
    for path in result.unchecked:
        click.echo(f"not checked: {path}: landed before parts had checksums; present", err=True)
    checked = f"{result.loads} loads in {url}: {result.files} files, {result.bytes / 1e6:,.1f} MB read back"
    if result.drift:
        _fail(
            f"{len(result.drift)} files differ from their manifests ({checked}); land each drifted load's delivery again: python -m ingestion load --source DIR --again"
        )
    click.echo(f"verified {checked}: every file as landed")


@main.command()
def selector() -> None:
    """Print the dbt selection of the source systems that have a committed load (``@source:sales ...``)."""
    try:
        click.echo(selection(landing_url()))
    except FAILURES as exc:
        _fail(exc)


def target_type(target: str | None) -> tuple[str, str | None]:
    """The dbt target (``--target``, else $DBT_TARGET, else the profile's plain default, else local) and its adapter type.

    The type is read from profiles.yml ($DBT_PROFILES_DIR, else the project's); None when there is
    no profiles.yml to read. Raises DeliveryError when the profile has no such target.
    """
    path = profiles_dir() / "profiles.yml"
    if not path.is_file():
        return target or os.environ.get("DBT_TARGET") or "local", None
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8")) or {}
    profile_name = project.get("profile")
    profile = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(profile_name) or {}
    default = str(profile.get("target") or "")
    name = target or os.environ.get("DBT_TARGET") or (default if default and "{{" not in default else "local")
    outputs = profile.get("outputs") or {}
    if name not in outputs:
        raise DeliveryError(f"target {name!r} is not an output of profile {profile_name!r} in {path}; outputs: {sorted(outputs)}")
    return name, str((outputs[name] or {}).get("type") or "") or None


def _check_target_reads(target: str | None, url: str) -> None:
    """Refuse, before anything is landed, a landing zone the target's engine could not read."""
    name, kind = target_type(target)
    local = url.startswith("file:")
    if kind == "databricks" and local:
        raise DeliveryError(
            f"target {name!r} (type databricks) cannot read the local landing zone {url}; set SALES_LANDING_URL to a "
            "Unity Catalog volume (/Volumes/<catalog>/<schema>/<volume>/landing) or a cloud URL the workspace reads"
        )
    if kind == "spark" and not local:
        raise DeliveryError(
            f"target {name!r} (type spark) cannot read {url}: the Spark here has no hadoop-aws / hadoop-azure jars; "
            "land locally (unset SALES_LANDING_URL) or use a databricks target"
        )


def _fail(problem: object) -> None:
    click.echo(f"error: {problem}", err=True)
    sys.exit(1)


def _print_files(found: Delivery) -> None:
    click.echo(f"Delivery '{found.name}' from {found.folder}:")
    width = max(len(t.table.qualified_name) for t in found.tables)
    for table_files in found.tables:
        click.echo(f"  {table_files.table.qualified_name:<{width}} <- {', '.join(file.name for file in table_files.files)}")
    if found.ignored:
        click.echo(f"  ignored (no declared table matches): {', '.join(found.ignored)}")


def _print_summary(found: Delivery, landed: list[LandedTable]) -> None:
    click.echo("")
    click.echo(f"  {'system':<12} {'table':<16} {'files':>5} {'rows read':>11}  {'load':<22}  status")
    for table in landed:
        click.echo(f"  {table.system:<12} {table.table:<16} {len(table.files):>5} {table.rows_read:>11,}  {table.load_id:<22}  {table.status}")
    for table in landed:
        if table.status != "new" and not table.status.startswith("replaces"):
            continue
        for file in table.files:
            if file.extra_fields:
                click.echo(
                    f"  {table.qualified_name}: schema drift: {file.name} has columns outside the declaration "
                    f"{list(file.extra_fields)}; landed without them (kept in the archived original)"
                )

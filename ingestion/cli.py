"""Command line: ``python -m ingestion generate|load``. Thin wrappers over the package's functions."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from ingestion.bronze import RegistrationError, register_bronze_tables
from ingestion.cluster import cluster_cli
from ingestion.land import DEFAULT_MAX_QUARANTINE_SHARE, LandedTable, land_delivery
from ingestion.readers import DeliveryError
from ingestion.settings import landing_url


@click.group()
def main() -> None:
    """Land e-commerce sales files and expose them as bronze tables."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder to write the three files to.")
@click.option("--scale", type=float, default=1.0, show_default=True, help="1 = about 10k order lines; 100 = about 1M.")
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed and scale, same bytes.")
@click.option("--customer-format", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True)
def generate(out_dir: Path, scale: float, seed: int, customer_format: str) -> None:
    """Write a sample delivery (Orders.json, Products.csv, Customer.xlsx) to OUT."""
    from ingestion.generate import generate_sales_files

    for table, path in generate_sales_files(out_dir, scale=scale, seed=seed, customer_format=customer_format).items():
        click.echo(f"generated {table:<9} {path}")


@main.command()
@click.option("--source", "source_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True, help="Folder holding the delivered files.")
@click.option("--pattern", "patterns", multiple=True, metavar="TABLE=REGEX", help="Override a table's file-name pattern (case-insensitive, whole name). Repeatable.")
@click.option("--delivery", default=None, help="Name of the delivery (default: the folder's name); a changed file for the same delivery replaces the earlier load.")
@click.option("--max-quarantine-share", type=click.FloatRange(0, 1), default=DEFAULT_MAX_QUARANTINE_SHARE, show_default=True, envvar="SALES_MAX_QUARANTINE_SHARE", help="Refuse a file when more than this share of its records fail their checks.")
@click.option("--target", default=None, help="dbt target to register the bronze tables on (default: the profile's).")
def load(source_dir: Path, patterns: tuple[str, ...], delivery: str | None, max_quarantine_share: float, target: str | None) -> None:
    """Land the files of SOURCE and point the bronze tables at them."""
    url = landing_url()
    problem = _unreadable_landing(target or os.environ.get("DBT_TARGET") or "local", url)
    if problem:
        click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    try:
        landed = land_delivery(
            source_dir, url, patterns=_parse_patterns(patterns), delivery=delivery, max_quarantine_share=max_quarantine_share
        )
        locations = {}
        for table in landed:
            locations[table.table] = table.location
            locations[f"{table.table}_quarantine"] = table.quarantine_location
        register_bronze_tables(locations, target=target)
    except (DeliveryError, RegistrationError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    _print_summary(source_dir, landed)


def _unreadable_landing(target: str, url: str) -> str | None:
    """Why the target's engine could not read the landing zone, checked before anything is landed."""
    if target == "databricks" and url.startswith("file:"):
        return (
            f"the databricks target cannot read the local landing zone {url}; set SALES_LANDING_URL to a "
            "Unity Catalog volume (/Volumes/<catalog>/<schema>/<volume>/landing) or a cloud URL the workspace reads"
        )
    if target == "local" and not url.startswith("file:"):
        return (
            f"the local target's embedded Spark cannot read {url} (no hadoop-aws / hadoop-azure jars here); "
            "land locally (unset SALES_LANDING_URL) or use the databricks target"
        )
    return None


def _print_summary(source_dir: Path, landed: list[LandedTable]) -> None:
    click.echo(f"\nDelivery '{landed[0].delivery}' from {source_dir}:")
    click.echo(f"  {'table':<10} {'file':<16} {'read':>8} {'loaded':>8} {'quarantined':>12} {'duplicates':>11}  load")
    for table in landed:
        click.echo(
            f"  {table.table:<10} {table.source_file:<16} {table.rows_read:>8} {table.rows_loaded:>8} "
            f"{table.rows_quarantined:>12} {table.rows_duplicate:>11}  {table.load_id} ({table.status})"
        )
    for table in landed:
        if table.rows_quarantined or table.rows_duplicate:
            click.echo(f"  {table.table}: quarantined records and their reasons are in bronze.{table.table}_quarantine")
        if table.repeat_lines:
            click.echo(f"  {table.table}: {table.repeat_lines} records share every business field with another under a distinct key; kept (repeat purchases)")
        if table.extra_fields:
            click.echo(f"  {table.table}: schema drift: {table.source_file} has columns outside the contract {list(table.extra_fields)}; kept in the archived original only")


def _parse_patterns(values: tuple[str, ...]) -> dict[str, str]:
    patterns = {}
    for value in values:
        table, sep, regex = value.partition("=")
        if not sep or not regex:
            raise click.BadParameter(f"'{value}' is not TABLE=REGEX", param_hint="--pattern")
        patterns[table.strip()] = regex
    return patterns


main.add_command(cluster_cli)

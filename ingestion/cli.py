"""Command line: ``python -m ingestion generate|load``. Thin wrappers over the package's functions."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from ingestion.bronze import RegistrationError, register_bronze_tables
from ingestion.land import land_delivery
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
@click.option("--target", default=None, help="dbt target to register the bronze tables on (default: the profile's).")
def load(source_dir: Path, patterns: tuple[str, ...], target: str | None) -> None:
    """Land the files of SOURCE and point the bronze tables at them."""
    try:
        landed = land_delivery(source_dir, landing_url(), patterns=_parse_patterns(patterns))
        register_bronze_tables({table.table: table.location for table in landed}, target=target)
    except (DeliveryError, RegistrationError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"\nLoaded the delivery in {source_dir}:")
    click.echo(f"  {'table':<10} {'file':<16} {'rows read':>10} {'rows landed':>12}  bronze location")
    for table in landed:
        click.echo(f"  {table.table:<10} {table.source_file.name:<16} {table.rows_read:>10} {table.rows_landed:>12}  {table.location}")
        if table.extra_fields:
            click.echo(f"  schema drift: {table.source_file.name} has columns outside the contract {list(table.extra_fields)}; kept in the archived original only")


def _parse_patterns(values: tuple[str, ...]) -> dict[str, str]:
    patterns = {}
    for value in values:
        table, sep, regex = value.partition("=")
        if not sep or not regex:
            raise click.BadParameter(f"'{value}' is not TABLE=REGEX", param_hint="--pattern")
        patterns[table.strip()] = regex
    return patterns

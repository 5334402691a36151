"""Command line: ``python -m samples generate --system sales --out DIR``. A thin wrapper over the generators."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from samples import GENERATORS, generator


@click.group()
def main() -> None:
    """Write sample deliveries of the declared source systems."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")


@main.command()
@click.option("--system", type=click.Choice(sorted(GENERATORS)), required=True, help="Source system to write a delivery of.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder to write the files to.")
@click.option(
    "--scale", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True, help="sales: 1 = about 10k order lines; 100 = about 1M."
)
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed and scale, same bytes.")
@click.option("--customer-format", type=click.Choice(["xlsx", "csv"]), default=None, help="sales: Customer.xlsx (default) or Customer.csv.")
def generate(system: str, out_dir: Path, scale: float, seed: int, customer_format: str | None) -> None:
    """Write a sample delivery of SYSTEM to OUT (sales: Orders.json, Products.csv, Customer.xlsx)."""
    options = {"customer_format": customer_format} if customer_format else {}
    for table, path in generator(system)(out_dir, scale=scale, seed=seed, **options).items():
        click.echo(f"generated {table:<9} {path}")

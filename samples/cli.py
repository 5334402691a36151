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


@main.command()
@click.option("--system", type=click.Choice(["sales"]), default="sales", show_default=True, help="Source system (only sales has increments).")
@click.option(
    "--full", "full_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True, help="The delivery to write an increment to."
)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder to write the increment's files to.")
@click.option(
    "--share", type=click.FloatRange(min=0, min_open=True), default=0.01, show_default=True, help="New lines, as a share of the delivery's."
)
@click.option("--corrections", type=click.IntRange(min=0), default=5, show_default=True, help="Lines of the delivery delivered again, changed.")
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed, same bytes.")
def increment(system: str, full_dir: Path, out_dir: Path, share: float, corrections: int, seed: int) -> None:
    """Write an increment to the delivery FULL to OUT (sales: Orders.json; land it with --increment)."""
    from samples.sales import generate_sales_increment

    click.echo(f"generated orders    {generate_sales_increment(full_dir, out_dir, share=share, corrections=corrections, seed=seed)}")

"""Command line: ``python -m local_cluster up|down``. A thin wrapper over ``local_cluster.cluster``."""

from __future__ import annotations

import logging
import sys
import time

import click

from local_cluster.cluster import HOST, ClusterConfig, ClusterError, start_cluster, stop_cluster


@click.group()
def main() -> None:
    """Start or stop the local Spark cluster behind dbt's `cluster` target."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")


@main.command()
@click.option("--timeout", type=float, default=180.0, show_default=True, help="Seconds to wait for the thrift server to answer.")
def up(timeout: float) -> None:
    """Start master, worker and thrift server on 127.0.0.1 (ports from SALES_* variables)."""
    config = ClusterConfig.from_env()
    logging.getLogger("pyhive").setLevel(logging.WARNING)  # it logs every statement of the readiness probe
    started = time.monotonic()
    try:
        start_cluster(config, timeout=timeout)
    except ClusterError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"\nSpark cluster up in {time.monotonic() - started:.0f} s:")
    click.echo(f"  master         {config.master_url}  (web UI {config.master_ui_url})")
    click.echo(f"  thrift server  {HOST}:{config.thrift_port}  (dbt --target cluster)")
    click.echo(f"  state, logs    {config.state_dir}")
    click.echo("Run the job with `make run TARGET=cluster`; stop the cluster with `make cluster-down`.")


@main.command()
def down() -> None:
    """Stop the cluster started by `up`; does nothing if none runs."""
    config = ClusterConfig.from_env()
    try:
        stopped = stop_cluster(config)
    except ClusterError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"stopped: {', '.join(stopped)}" if stopped else f"no cluster running (state in {config.state_dir})")

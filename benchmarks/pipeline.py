"""Time each step of the job on generated data and print the figures (BENCHMARKS.md keeps them).

    .venv/bin/python benchmarks/pipeline.py --scale 1 --scale 10

Each scale runs in a fresh temporary lake, step by step as `make run` does (separate processes,
so every dbt step pays its own Spark start-up). Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).parent / "dbt")


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=PROJECT_DIR, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def run_scale(scale: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as lake:
        env = {**os.environ, "SALES_LAKE_DIR": lake}
        delivery = str(Path(lake) / "sample")
        dbt_paths = ["--target-path", str(Path(lake) / "target"), "--log-path", str(Path(lake) / "logs")]
        return {
            "generate": timed([sys.executable, "-m", "ingestion", "generate", "--out", delivery, "--scale", str(scale)], env),
            "land + register": timed([sys.executable, "-m", "ingestion", "load", "--source", delivery], env),
            "dbt build": timed([DBT, "build", *dbt_paths], env),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, action="append", help="repeatable; default 1")
    scales = parser.parse_args().scale or [1.0]
    print(f"machine: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}")
    print(f"{'scale':>6} {'order lines':>12} {'generate s':>11} {'land + register s':>18} {'dbt build s':>12} {'total s':>8}")
    for scale in scales:
        figures = run_scale(scale)
        total = sum(figures.values())
        print(
            f"{scale:>6g} {round(10_000 * scale):>12,} {figures['generate']:>11.1f} "
            f"{figures['land + register']:>18.1f} {figures['dbt build']:>12.1f} {total:>8.1f}"
        )


if __name__ == "__main__":
    main()

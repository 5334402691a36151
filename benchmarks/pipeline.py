"""Time each step of the job on generated data and print the figures (BENCHMARKS.md keeps them).

    .venv/bin/python benchmarks/pipeline.py                  # scales 1, 10 and 100
    .venv/bin/python benchmarks/pipeline.py --large          # and 1000 (10M order lines, ~3 GB of JSON)
    .venv/bin/python benchmarks/pipeline.py --scale 10       # only the scales given (repeatable)

Each scale runs in a fresh lake, step by step as ``make run`` does, each step a process of its
own under ``/usr/bin/time -v`` (wall time and peak resident memory):

- generate: ``python -m samples generate --system sales``;
- land: ``python -m ingestion load --no-register``, whose peak memory is the landing's own (no
  JVM is started: it is the Python process alone);
- register: the bronze tables pointed at the new loads (``dbt run-operation`` through ingestion);
- build: ``dbt build --select <python -m ingestion selector>``, wall time only (the Spark JVM that
  dbt starts is not waited for by it, so ``time`` would only see dbt's own Python process).

Nothing here asserts a time. Set SALES_SPARK_DRIVER_MEMORY (e.g. 2g) to size Spark's driver.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).with_name("dbt"))
TIME = "/usr/bin/time"
DEFAULT_SCALES = (1.0, 10.0, 100.0)
LARGE_SCALE = 1000.0
REGISTER = (
    "from ingestion.land import bronze_locations; from ingestion.register import register_bronze_tables; "
    "from ingestion.settings import landing_url; register_bronze_tables(bronze_locations(landing_url()))"
)


@dataclass(frozen=True)
class Step:
    seconds: float  # wall clock
    peak_mib: float  # maximum resident set size of the process (or its largest child)


def measured(name: str, command: list[str], env: dict[str, str], logs: Path) -> Step:
    """Run ``command`` under ``/usr/bin/time -v``; its output goes to ``logs/<name>.log``."""
    logs.mkdir(parents=True, exist_ok=True)
    report, log = logs / f"{name}.time", logs / f"{name}.log"
    with log.open("w") as output:
        result = subprocess.run(
            [TIME, "-v", "-o", str(report), *command], cwd=PROJECT_DIR, env=env, stdout=output, stderr=subprocess.STDOUT, check=False
        )
    if result.returncode != 0:
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-40:])
        raise SystemExit(f"{name} failed ({result.returncode}): {' '.join(command)}\n{tail}")
    text = report.read_text()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    peak_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    seconds = sum(float(part) * 60**power for power, part in enumerate(reversed(wall.split(":"))))
    return Step(seconds, peak_kib / 1024)


def run_scale(scale: float, work: Path) -> tuple[dict[str, Step], int]:
    """The steps' figures at one scale, in a fresh lake under ``work``, and the orders file's size."""
    lake = work / f"scale-{scale:g}"
    shutil.rmtree(lake, ignore_errors=True)
    env = {**os.environ, "SALES_LAKE_DIR": str(lake), "DBT_TARGET_PATH": str(lake / "target"), "DBT_LOG_PATH": str(lake / "logs")}
    env.pop("SALES_LANDING_URL", None)
    delivery, logs = lake / "sample", lake / "bench"
    steps = {
        "generate": measured(
            "generate", [sys.executable, "-m", "samples", "generate", "--system", "sales", "--out", str(delivery), "--scale", f"{scale:g}"], env, logs
        ),
        "land": measured("land", [sys.executable, "-m", "ingestion", "load", "--source", str(delivery), "--no-register"], env, logs),
        "register": measured("register", [sys.executable, "-c", REGISTER], env, logs),
    }
    selector = subprocess.run(
        [sys.executable, "-m", "ingestion", "selector"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    dbt_paths = ["--target-path", str(lake / "target"), "--log-path", str(lake / "logs")]
    build_env = {**env, "SALES_BUILD_VERSION": "v1"}  # a fresh lake: its first version, as make build names one
    make_build = [DBT, "build", "--select", selector, "--exclude-resource-type", "unit_test"]  # as the Makefile's build
    steps["build"] = measured("build", [*make_build, *dbt_paths], build_env, logs)
    orders_bytes = sum(path.stat().st_size for path in delivery.glob("Orders.*"))
    shutil.rmtree(lake, ignore_errors=True)
    return steps, orders_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, action="append", help="repeatable; default 1, 10 and 100")
    parser.add_argument("--large", action="store_true", help=f"add scale {LARGE_SCALE:g} (about 10M order lines)")
    parser.add_argument("--work", type=Path, default=None, help="folder for the lakes (default: a temporary folder); each is removed after its scale")
    options = parser.parse_args()
    scales = list(options.scale or DEFAULT_SCALES) + ([LARGE_SCALE] if options.large else [])
    if not Path(TIME).exists():
        raise SystemExit(f"{TIME} is missing: apt-get install -y time (make bench does)")
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"machine: {os.cpu_count()} cores, {memory:.0f} GiB, {platform.python_implementation()} {platform.python_version()}")
    print(f"Spark driver memory: {os.environ.get('SALES_SPARK_DRIVER_MEMORY', '4g (profiles.yml default)')}")
    header = (
        f"{'scale':>6} {'order lines':>12} {'orders MB':>10} {'generate s':>11} {'gen. MiB':>9} "
        f"{'land s':>8} {'land MiB':>9} {'register s':>11} {'build s':>8} {'total s':>8}"
    )
    print(header)
    with tempfile.TemporaryDirectory(dir=options.work) as work:
        for scale in scales:
            steps, orders_bytes = run_scale(scale, Path(work))
            total = sum(step.seconds for step in steps.values())
            print(
                f"{scale:>6g} {round(10_000 * scale):>12,} {orders_bytes / 1e6:>10,.0f} "
                f"{steps['generate'].seconds:>11.1f} {steps['generate'].peak_mib:>9.0f} "
                f"{steps['land'].seconds:>8.1f} {steps['land'].peak_mib:>9.0f} {steps['register'].seconds:>11.1f} "
                f"{steps['build'].seconds:>8.1f} {total:>8.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()

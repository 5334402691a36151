"""The project against the yardstick, end to end, and the figures BENCHMARKS.md keeps (issue 8).

    .venv/bin/python benchmarks/pipeline.py                  # scales 1, 10 and 100, 3 runs each
    .venv/bin/python benchmarks/pipeline.py --large          # and 1000 (10M order lines, ~3 GB of JSON)
    .venv/bin/python benchmarks/pipeline.py --scale 10 --runs 5

At each scale one delivery is generated (``python -m samples generate --system sales``), then the
two jobs run on it alternately, ``--runs`` times each:

- the project: ``make run SOURCE=<delivery>`` in a fresh lake (landing, registration, the build of
  every model and data test, publishing), exactly what a user runs;
- the yardstick: ``benchmarks/yardstick.py``, the same transformations written by hand as one
  PySpark job.

After the first pair the yardstick's gold tables must equal the project's, row for row (the run
stops otherwise). Then, on the lake of the project's last run, ``--runs`` increments in a row
(``python -m samples increment``: 1 % new lines and 5 corrected ones each), each landed and built
as ``make run SOURCE=<increment> INCREMENT=1``. The table gives the median wall times, their
ratio, the peak memory (resident set size summed over each job's whole process tree, JVMs
included, sampled every 0.2 s), the project's dbt build time, the most data files in one
partition of a gold table (of the table when it has no partitions), and the median increment's
time and its share of the project's full run.
Nothing here asserts a time. Set SALES_SPARK_DRIVER_MEMORY (e.g. 2g) to size both jobs' driver.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_SCALES = (1.0, 10.0, 100.0)
LARGE_SCALE = 1000.0
# the gold tables both jobs write, with the columns the yardstick computes
COMPARED = {
    "profit_by_year": None,
    "profit_by_category": None,
    "profit_by_sub_category": None,
    "profit_by_customer": None,
    "dim_customers": ["customer_id", "customer_name", "phone_number", "phone_extension"],
    "dim_products": ["product_id", "product_name", "category", "sub_category", "unit_price"],
    "fct_order_lines": None,  # every column of the yardstick's fact
}


@dataclass(frozen=True)
class Run:
    seconds: float  # wall clock
    peak_mib: float  # largest sum of the resident set sizes of the job's processes


def tree_rss_kib(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            status = (entry / "status").read_text()
        except OSError:  # the process ended meanwhile
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measured(command: list[str], env: dict[str, str], log: Path) -> Run:
    """Run ``command`` (output to ``log``), sampling its process tree's memory."""
    log.parent.mkdir(parents=True, exist_ok=True)
    peak = 0
    with log.open("w") as output:
        start = time.monotonic()
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=output, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.2):
                peak = max(peak, tree_rss_kib(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = process.wait()
        seconds = time.monotonic() - start
        done.set()
        sampler.join()
    if returncode != 0:
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-40:])
        raise SystemExit(f"failed ({returncode}): {' '.join(command)}\n{tail}")
    return Run(seconds, peak / 1024)


def project_run(delivery: Path, lake: Path, log: Path) -> tuple[Run, float]:
    """``make run SOURCE=delivery`` in a fresh ``lake``; its figures and the dbt build's elapsed seconds."""
    shutil.rmtree(lake, ignore_errors=True)
    env = {**os.environ, "SALES_LAKE_DIR": str(lake), "DBT_TARGET_PATH": str(lake / "target"), "DBT_LOG_PATH": str(lake / "dbt-logs")}
    env.pop("SALES_LANDING_URL", None)
    run = measured(["make", "--no-print-directory", "run", f"SOURCE={delivery}", "TARGET=local"], env, log)
    build = json.loads((lake / "target/run_results.json").read_text())["elapsed_time"]
    return run, build


def increment_run(delivery: Path, lake: Path, work: Path, number: int, log: Path) -> Run:
    """An increment to ``delivery`` (seed ``number``), landed and built with ``make run ... INCREMENT=1`` on ``lake``."""
    increment = work / f"increment-{number}"
    shutil.rmtree(increment, ignore_errors=True)
    generate = [sys.executable, "-m", "samples", "increment", "--full", str(delivery), "--out", str(increment), "--seed", str(number)]
    measured(generate, dict(os.environ), log.with_suffix(".generate.log"))
    env = {**os.environ, "SALES_LAKE_DIR": str(lake), "DBT_TARGET_PATH": str(lake / "target"), "DBT_LOG_PATH": str(lake / "dbt-logs")}
    env.pop("SALES_LANDING_URL", None)
    run = measured(["make", "--no-print-directory", "run", f"SOURCE={increment}", "INCREMENT=1", "TARGET=local"], env, log)
    if "fct_order_lines: carried over from version" not in log.read_text(errors="replace"):
        raise SystemExit(f"the increment's build did not pick up from the published fact table: see {log}")
    return run


def yardstick_run(delivery: Path, out: Path, log: Path) -> Run:
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "SALES_LAKE_DIR": str(out)}
    return measured([sys.executable, str(PROJECT_DIR / "benchmarks/yardstick.py"), "--source", str(delivery), "--out", str(out)], env, log)


def gold_folder(lake: Path) -> Path:
    """The gold version the project's newest run published."""
    return max((lake / "tables/local").glob("gold__v*"))


def files_per_partition(table: Path) -> int:
    """The most data files in one folder of ``table``: one partition of a partitioned table, else the table."""
    folders: dict[Path, int] = {}
    for path in table.rglob("*.parquet"):
        folders[path.parent] = folders.get(path.parent, 0) + 1
    return max(folders.values(), default=0)


def check_same_gold(project_gold: Path, yardstick_out: Path) -> None:
    """Stop unless every compared gold table holds the same rows in both jobs' output."""
    for name, columns in COMPARED.items():
        theirs = pq.read_table(yardstick_out / name).to_pandas()
        columns = columns or list(theirs.columns)
        ours = pq.read_table(project_gold / name, columns=columns).to_pandas()
        ours, theirs = (frame[columns].sort_values(columns, na_position="first").reset_index(drop=True) for frame in (ours, theirs))
        if not ours.astype(object).equals(theirs.astype(object)):
            difference = ours.compare(theirs) if ours.shape == theirs.shape else f"{len(ours)} rows against {len(theirs)}"
            raise SystemExit(f"the yardstick's {name} differs from the project's gold.{name}:\n{difference}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, action="append", help="repeatable; default 1, 10 and 100")
    parser.add_argument("--large", action="store_true", help=f"add scale {LARGE_SCALE:g} (about 10M order lines)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each job per scale, alternating (default 3)")
    parser.add_argument("--work", type=Path, default=None, help="folder for the lakes (default: a temporary folder); emptied after each scale")
    options = parser.parse_args()
    scales = list(options.scale or DEFAULT_SCALES) + ([LARGE_SCALE] if options.large else [])
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"machine: {os.cpu_count()} cores, {memory:.0f} GiB, {platform.python_implementation()} {platform.python_version()}")
    print(f"Spark driver memory: {os.environ.get('SALES_SPARK_DRIVER_MEMORY', '4g (the default)')}; {options.runs} runs of each job, alternating")
    print(
        f"{'scale':>6} {'order lines':>12} {'project s':>10} {'yardstick s':>12} {'ratio':>6} "
        f"{'project MiB':>12} {'yardstick MiB':>14} {'dbt build s':>12} {'files/part':>11} {'increment s':>12} {'inc/full':>9}  "
        "runs (project / yardstick / increment)"
    )
    with tempfile.TemporaryDirectory(dir=options.work) as work_dir:
        work = Path(work_dir)
        for scale in scales:
            delivery, logs = work / "delivery", work / "logs" / f"scale-{scale:g}"
            shutil.rmtree(delivery, ignore_errors=True)
            generate = [sys.executable, "-m", "samples", "generate", "--system", "sales", "--out", str(delivery), "--scale", f"{scale:g}"]
            measured(generate, dict(os.environ), logs / "generate.log")
            ours: list[Run] = []
            theirs: list[Run] = []
            builds: list[float] = []
            for number in range(1, options.runs + 1):
                run, build = project_run(delivery, work / "lake", logs / f"project-{number}.log")
                ours.append(run)
                builds.append(build)
                theirs.append(yardstick_run(delivery, work / "yardstick", logs / f"yardstick-{number}.log"))
                if number == 1:
                    check_same_gold(gold_folder(work / "lake"), work / "yardstick")
            gold_files = max(files_per_partition(table) for table in gold_folder(work / "lake").iterdir() if table.is_dir())
            increments = [
                increment_run(delivery, work / "lake", work, number, logs / f"increment-{number}.log") for number in range(1, options.runs + 1)
            ]
            increment_s = statistics.median(run.seconds for run in increments)
            project_s = statistics.median(run.seconds for run in ours)
            yardstick_s = statistics.median(run.seconds for run in theirs)
            print(
                f"{scale:>6g} {round(10_000 * scale):>12,} {project_s:>10.1f} {yardstick_s:>12.1f} {project_s / yardstick_s:>6.2f} "
                f"{max(run.peak_mib for run in ours):>12,.0f} {max(run.peak_mib for run in theirs):>14,.0f} "
                f"{statistics.median(builds):>12.1f} {gold_files:>11} {increment_s:>12.1f} {increment_s / project_s:>9.2f}  "
                f"{' '.join(f'{run.seconds:.0f}' for run in ours)} / {' '.join(f'{run.seconds:.0f}' for run in theirs)}"
                f" / {' '.join(f'{run.seconds:.0f}' for run in increments)}",
                flush=True,
            )
            for path in (work / "lake", work / "yardstick", delivery):
                shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()

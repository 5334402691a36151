"""A Spark standalone cluster on this machine for dbt's ``cluster`` target: a master, one worker and
the Spark Thrift Server in front of them, all listening on 127.0.0.1 only.

It stands in for a real cluster: dbt and ingestion send the same SQL over the same protocol
(HiveServer2 thrift) as they would to a remote one, and the work runs in executors outside the
client. The thrift server owns the cluster's metastore (embedded Derby admits one process at a
time), so the cluster keeps its metastore, warehouse, logs and pid files in
``$SALES_LAKE_DIR/cluster``, apart from the local target's.

``python -m local_cluster up|down`` (``make cluster-up`` / ``make cluster-down``) drives it.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
THRIFT_SERVER_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
# Process name -> Java main class. Stopped in this order: the thrift server first, so its
# application ends while its executors can still be told to.
PROCESSES = {"thrift-server": THRIFT_SERVER_CLASS, "worker": WORKER_CLASS, "master": MASTER_CLASS}


class ClusterError(Exception):
    """The cluster could not be started or stopped."""


@dataclass(frozen=True)
class ClusterConfig:
    """Where one cluster keeps its state, the 127.0.0.1 ports it listens on and its memory sizes."""

    state_dir: Path
    master_port: int = 7077
    master_ui_port: int = 8180  # not Spark's 8080: `make docs` serves there
    thrift_port: int = 10000
    worker_memory: str = "4g"
    executor_memory: str = "2g"
    thrift_driver_memory: str = "1g"

    def __post_init__(self) -> None:
        # Absolute, because each process resolves paths from its own working directory.
        object.__setattr__(self, "state_dir", self.state_dir.resolve())

    @classmethod
    def from_env(cls) -> ClusterConfig:
        """The settings ``make cluster-up`` uses: SALES_* variables, state in ``$SALES_LAKE_DIR/cluster``."""
        env = os.environ
        return cls(
            state_dir=lake_dir() / "cluster",
            master_port=int(env.get("SALES_SPARK_MASTER_PORT", cls.master_port)),
            master_ui_port=int(env.get("SALES_SPARK_MASTER_UI_PORT", cls.master_ui_port)),
            thrift_port=int(env.get("SALES_THRIFT_PORT", cls.thrift_port)),
            worker_memory=env.get("SALES_SPARK_WORKER_MEMORY", cls.worker_memory),
            executor_memory=env.get("SALES_SPARK_EXECUTOR_MEMORY", cls.executor_memory),
            thrift_driver_memory=env.get("SALES_THRIFT_DRIVER_MEMORY", cls.thrift_driver_memory),
        )

    @property
    def master_url(self) -> str:
        return f"spark://{HOST}:{self.master_port}"

    @property
    def master_ui_url(self) -> str:
        return f"http://{HOST}:{self.master_ui_port}"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    def log_file(self, process: str) -> Path:
        return self.log_dir / f"{process}.log"

    def pid_file(self, process: str) -> Path:
        return self.state_dir / "pids" / f"{process}.pid"


def lake_dir() -> Path:
    """Root of the project's local state, as profiles.yml and ingestion see it: $SALES_LAKE_DIR, default <repo>/.lake."""
    return Path(os.environ.get("SALES_LAKE_DIR") or PROJECT_DIR / ".lake").resolve()


def start_cluster(config: ClusterConfig, *, timeout: float = 180.0) -> ClusterConfig:
    """Start master, worker and thrift server; return once the thrift server answers a query.

    Whatever was started is stopped again if any step fails or times out.
    """
    running = [name for name in PROCESSES if _running_pid(config, name) is not None]
    if running:
        raise ClusterError(f"already running ({', '.join(running)}; state in {config.state_dir}): stop it first with `make cluster-down`")
    _check_ports_free(config)
    for folder in ("logs", "pids", "warehouse", "work", "tmp"):
        (config.state_dir / folder).mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    deadline = started + timeout
    spark_home = Path(importlib.util.find_spec("pyspark").origin).parent
    spark_class, spark_submit = str(spark_home / "bin/spark-class"), str(spark_home / "bin/spark-submit")
    env = {
        **os.environ,
        # The pip pyspark's scripts and jars, whatever SPARK_HOME points at elsewhere, so that
        # server and client are the same Spark version.
        "SPARK_HOME": str(spark_home),
        # Every listener Spark opens (RPC, block managers, web UIs) binds to loopback only.
        "SPARK_LOCAL_IP": HOST,
        "SPARK_LOCAL_DIRS": str(config.state_dir / "tmp"),
        # No REST submission server: one port less to clash with, and nothing we use.
        "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false",
    }
    try:
        master = _launch(
            config,
            "master",
            env,
            [spark_class, MASTER_CLASS, "--host", HOST, "--port", str(config.master_port), "--webui-port", str(config.master_ui_port)],
        )
        _wait_until(
            lambda: _accepts_connections(config.master_port), master, config, "master", f"the master to listen on {config.master_url}", deadline
        )

        worker = _launch(
            config,
            "worker",
            env,
            # Web UI on a free port: the master's UI links to it.
            [
                spark_class,
                WORKER_CLASS,
                config.master_url,
                "--host",
                HOST,
                "--webui-port",
                "0",
                "--memory",
                config.worker_memory,
                "--work-dir",
                str(config.state_dir / "work"),
            ],
        )
        _wait_until(lambda: _alive_workers(config) > 0, worker, config, "worker", "the worker to register with the master", deadline)

        thrift_server = _launch(config, "thrift-server", env, _thrift_server_command(config, spark_submit))
        _wait_until(
            lambda: _accepts_connections(config.thrift_port) and _answers_query(config),
            thrift_server,
            config,
            "thrift-server",
            f"the thrift server on {HOST}:{config.thrift_port} to answer a query",
            deadline,
        )
    except BaseException:  # Ctrl-C included: never leave half a cluster running
        stop_cluster(config)
        raise
    log.info("cluster ready in %.0f s", time.monotonic() - started)
    return config


def stop_cluster(config: ClusterConfig, *, grace: float = 30.0) -> list[str]:
    """Stop whatever runs of the cluster (SIGTERM, then SIGKILL after ``grace`` s); return what was stopped.

    Safe to call when nothing runs: pid files of processes that are gone are only removed.
    """
    stopped = []
    for name, main_class in PROCESSES.items():
        pid = _running_pid(config, name)
        if pid is not None:
            _terminate(pid, name, main_class, grace)
            stopped.append(name)
        config.pid_file(name).unlink(missing_ok=True)
    return stopped


def _thrift_server_command(config: ClusterConfig, spark_submit: str) -> list[str]:
    state = config.state_dir
    conf = {
        "spark.driver.host": HOST,
        "spark.driver.bindAddress": HOST,
        "spark.ui.port": "0",  # the application UI on a free port, linked from the master's UI
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.hive.metastorePartitionPruning": "false",  # as profiles.yml: bronze's _load_id
        "spark.sql.warehouse.dir": str(state / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={state / 'metastore_db'};create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={state}",  # derby.log beside the metastore
    }
    hive_conf = {"hive.server2.thrift.bind.host": HOST, "hive.server2.thrift.port": str(config.thrift_port)}
    return [
        spark_submit,
        "--class",
        THRIFT_SERVER_CLASS,
        "--master",
        config.master_url,
        "--name",
        "sales-thrift-server",
        "--driver-memory",
        config.thrift_driver_memory,
        "--executor-memory",
        config.executor_memory,
        *(arg for key, value in conf.items() for arg in ("--conf", f"{key}={value}")),
        "spark-internal",  # no application jar: the class ships with Spark
        *(arg for key, value in hive_conf.items() for arg in ("--hiveconf", f"{key}={value}")),
    ]


def _launch(config: ClusterConfig, name: str, env: dict[str, str], command: list[str]) -> subprocess.Popen[bytes]:
    log.info("starting the %s (log: %s)", name, config.log_file(name))
    with open(config.log_file(name), "wb") as log_file:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=config.state_dir,  # stray files (derby.log, spark-warehouse) stay in the state folder
            env=env,
            # Its own process group: stopping the worker also reaches the executors it forked, and a
            # Ctrl-C in the terminal that ran `cluster up` does not reach the cluster.
            start_new_session=True,
        )
    config.pid_file(name).write_text(f"{process.pid}\n")
    return process


def _wait_until(ready: Callable[[], bool], process: subprocess.Popen[bytes], config: ClusterConfig, name: str, what: str, deadline: float) -> None:
    while not ready():
        if process.poll() is not None:
            raise ClusterError(f"the {name} exited with code {process.returncode} during start-up; see {config.log_file(name)}")
        if time.monotonic() > deadline:
            raise ClusterError(f"timed out waiting for {what}; see {config.log_file(name)}")
        time.sleep(0.5)


def _check_ports_free(config: ClusterConfig) -> None:
    # Spark quietly moves to the next port when one is taken, and a readiness check would then
    # talk to whatever holds it: refuse instead.
    ports = {
        "SALES_SPARK_MASTER_PORT": config.master_port,
        "SALES_SPARK_MASTER_UI_PORT": config.master_ui_port,
        "SALES_THRIFT_PORT": config.thrift_port,
    }
    for variable, port in ports.items():
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT from a previous run is fine
            try:
                probe.bind((HOST, port))
            except OSError as exc:
                raise ClusterError(f"port {port} on {HOST} is taken ({exc.strerror}); free it or set {variable}") from exc


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=2):
            return True
    except OSError:
        return False


def _alive_workers(config: ClusterConfig) -> int:
    try:
        with urllib.request.urlopen(f"{config.master_ui_url}/json/", timeout=5) as response:
            return int(json.load(response)["aliveworkers"])
    except OSError:  # the master's UI is not up yet
        return 0


def _answers_query(config: ClusterConfig) -> bool:
    from pyhive import exc, hive
    from thrift.Thrift import TException

    try:
        with closing(hive.connect(host=HOST, port=config.thrift_port, username="sales")) as connection:
            cursor = connection.cursor()
            cursor.execute("select 1")
            return cursor.fetchall() == [(1,)]
    except (OSError, TException, exc.Error) as error:  # the port opens before sessions are served
        log.debug("thrift server not ready yet: %s", error)
        return False


def _running_pid(config: ClusterConfig, name: str) -> int | None:
    """The pid in ``name``'s pid file if that process still runs; None if the file is missing or stale."""
    try:
        pid = int(config.pid_file(name).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _runs(pid, PROCESSES[name]) else None


def _runs(pid: int, main_class: str) -> bool:
    """Whether ``pid`` is alive, leads its own process group and runs ``main_class``: pid files outlive
    reboots and pids get reused, so a bare pid is not enough to signal a process group."""
    try:
        if os.getpgid(pid) != pid:
            return False
    except ProcessLookupError:
        return False
    # A zombie shows as "[java] <defunct>", so a dead child of this very process counts as gone.
    args = subprocess.run(["ps", "-ww", "-o", "args=", "-p", str(pid)], capture_output=True, text=True, check=False).stdout
    return main_class in args


def _terminate(pid: int, name: str, main_class: str, grace: float) -> None:
    log.info("stopping the %s (pid %d)", name, pid)
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _runs(pid, main_class):
                return
            time.sleep(0.5)
        if sig == signal.SIGTERM:
            log.warning("the %s did not stop within %.0f s of SIGTERM; sending SIGKILL", name, grace)
    raise ClusterError(f"could not stop the {name} (pid {pid})")

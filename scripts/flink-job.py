#!/usr/bin/env python3
"""A small real Apache Flink job for strmscope's Flink end-to-end test.

Runs Apache Flink (PyPI `apache-flink`, 2.3.0) as a local MiniCluster inside the PyFlink gateway
JVM and exposes Flink's own Prometheus reporter on http://127.0.0.1:PORT/metrics.

    .venv/bin/python scripts/flink-job.py --port P --checkpoint-dir DIR [--duration S]

Within about a minute of starting, the job shows:
  1. event-time tumbling windows behind a watermark: currentOutputWatermark is an epoch-ms value;
  2. late records dropped by the window operator: numLateRecordsDropped grows (1 record in 20 carries a
     timestamp ten minutes behind the watermark);
  3. checkpoints every 2 s into DIR (flink_jobmanager_job_numberOfCompletedCheckpoints grows). To make them
     fail while the job keeps running, make DIR unusable, e.g. `mv DIR DIR.off && touch DIR` (works
     as root too; `chmod 000 DIR` only works for a non-root user). numberOfFailedCheckpoints then grows;
     failures are tolerated without limit and the job never restarts. Undo to make them succeed again;
  4. backpressure: a slow Python UDF (time.sleep, run in PyFlink's "thread" mode, inside the JVM,
     so no Beam worker process) takes fewer records per second than the source emits, so the
     upstream tasks report backPressuredTimeMsPerSecond > 0.

Everything Flink opens is bound to 127.0.0.1, except the Prometheus reporter itself: Flink 2.3.0's
PrometheusReporter listens on the wildcard address (`new InetSocketAddress(port)`, no host option).

The process prints one line `flink-job: running job_id=... port=...` on stdout once the job is
submitted, and exits 0 on SIGTERM / SIGINT / after --duration, having cancelled the job and waited
for the gateway JVM to exit (no Java process is left behind). If the job fails it exits 1.

The Prometheus reporter jar ships in apache-flink-libraries as a plugin
(pyflink/plugins/metrics-prometheus/), and PyFlink points FLINK_PLUGINS_DIR there itself, so no
jar needs copying or adding to pipeline.jars.
"""

import argparse
import os
import signal
import sys
import tempfile
import threading
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", required=True,
                   help="Prometheus reporter port (or range, e.g. 9250-9260)")
    p.add_argument("--checkpoint-dir", required=True,
                   help="directory for checkpoints (created if missing)")
    p.add_argument("--duration", type=float, default=0,
                   help="seconds to run before cancelling and exiting (0 = until SIGTERM)")
    p.add_argument("--rate", type=int, default=400, help="source rows per second")
    p.add_argument("--sleep-ms", type=float, default=5.0,
                   help="per-record sleep in the slow UDF (must be > 1000/rate to backpressure)")
    p.add_argument("--checkpoint-interval", default="2s")
    p.add_argument("--log-dir", default=None,
                   help="Flink log directory (default: a fresh temporary directory)")
    return p.parse_args()


def log(msg):
    print("flink-job: " + msg, file=sys.stderr, flush=True)


def child_pids(pid):
    """Direct children of pid, from /proc (no psutil)."""
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                    out += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return out


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        for c in child_pids(todo.pop()):
            out.append(c)
            todo.append(c)
    return out


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except OSError:
        return False


def private_lib_dir(work):
    """A lib/ directory for the gateway JVM: PyFlink's lib/ jars plus the Prometheus reporter.

    A local MiniCluster has no plugin manager (MiniClusterConfiguration's is null), so reporters
    under plugins/ are never found ("The reporter factory ... could not be found for reporter prom.
    Available factories: []"); pipeline.jars does not help either (user class loader). The factory
    must be on the JVM's classpath, which PyFlink builds from FLINK_LIB_DIR/*.jar. Rather than copy
    a jar into the installed package, point FLINK_LIB_DIR at symlinks in a private directory.
    """
    import glob
    import pyflink
    home = os.path.dirname(os.path.abspath(pyflink.__file__))
    lib = os.path.join(work, "lib")
    os.makedirs(lib, exist_ok=True)
    jars = glob.glob(os.path.join(home, "lib", "*.jar"))
    prom = glob.glob(os.path.join(home, "plugins", "metrics-prometheus", "flink-metrics-prometheus-*.jar"))
    if not prom:
        sys.exit("flink-job: no flink-metrics-prometheus jar under %s/plugins" % home)
    for jar in jars + prom[:1]:
        os.symlink(jar, os.path.join(lib, os.path.basename(jar)))
    # PyFlink's own FLINK_HOME discovery overwrites FLINK_LIB_DIR unless FLINK_HOME is set, so set
    # all of them (to what that discovery would choose, apart from lib/).
    os.environ["FLINK_HOME"] = home
    os.environ["FLINK_OPT_DIR"] = os.path.join(home, "opt")
    os.environ["FLINK_PLUGINS_DIR"] = os.path.join(home, "plugins")
    os.environ["FLINK_LIB_DIR"] = lib


def main():
    args = parse_args()
    ckpt = os.path.abspath(args.checkpoint_dir)
    os.makedirs(ckpt, exist_ok=True)
    work = tempfile.mkdtemp(prefix="flink-job-")
    log_dir = os.path.abspath(args.log_dir) if args.log_dir else os.path.join(work, "log")
    os.makedirs(log_dir, exist_ok=True)
    os.environ["FLINK_LOG_DIR"] = log_dir
    private_lib_dir(work)
    # Python UDFs run in the JVM (PEMJA) with this very interpreter.
    os.environ.setdefault("PYFLINK_CLIENT_EXECUTABLE", sys.executable)
    # The interpreter PEMJA embeds in the JVM starts from the base Python, not the venv: give it
    # the venv's site-packages (pemja, pyflink, this script's imports).
    import site
    os.environ["PYTHONPATH"] = os.pathsep.join(
        site.getsitepackages() + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])

    stop = threading.Event()
    reason = {"why": None}

    def on_signal(signum, _frame):
        reason["why"] = signal.Signals(signum).name
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    t0 = time.monotonic()
    from pyflink.common import Configuration
    from pyflink.table import DataTypes, EnvironmentSettings, TableEnvironment
    from pyflink.table.udf import udf

    conf = Configuration()
    settings = {
        # Prometheus reporter (plugin shipped in pyflink/plugins/metrics-prometheus)
        "metrics.reporter.prom.factory.class":
            "org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
        "metrics.reporter.prom.port": str(args.port),
        # Keep everything on loopback
        "rest.address": "127.0.0.1",
        "rest.bind-address": "127.0.0.1",
        "rest.bind-port": "0",
        "jobmanager.rpc.address": "127.0.0.1",
        "jobmanager.bind-host": "127.0.0.1",
        "taskmanager.host": "127.0.0.1",
        "taskmanager.bind-host": "127.0.0.1",
        "blob.server.port": "0",
        # Small and quick
        "parallelism.default": "1",
        "pipeline.operator-chaining.enabled": "false",  # so the slow UDF backpressures its upstream
        "pipeline.auto-watermark-interval": "200ms",
        # Checkpoints every ~2 s; failures tolerated, never restart
        "execution.checkpointing.interval": args.checkpoint_interval,
        "execution.checkpointing.min-pause": "0ms",
        "execution.checkpointing.timeout": "20s",
        "execution.checkpointing.unaligned.enabled": "true",
        "execution.checkpointing.tolerable-failed-checkpoints": "1000000",
        "execution.checkpointing.storage": "filesystem",
        "execution.checkpointing.dir": "file://" + ckpt,
        "state.backend.type": "hashmap",
        "restart-strategy.type": "none",
        # Python UDFs in the JVM (no Beam worker process)
        "python.execution-mode": "thread",
        "python.executable": sys.executable,
        "python.client.executable": sys.executable,
    }
    for k, v in settings.items():
        conf.set_string(k, v)

    env_settings = (EnvironmentSettings.new_instance().in_streaming_mode()
                    .with_configuration(conf).build())
    t_env = TableEnvironment.create(env_settings)

    sleep_s = args.sleep_ms / 1000.0

    @udf(result_type=DataTypes.BIGINT())
    def slow(x):
        time.sleep(sleep_s)
        return x

    t_env.create_temporary_function("slow", slow)

    t_env.execute_sql("""
        CREATE TEMPORARY TABLE src (
            id BIGINT,
            k INT,
            late_pick INT,
            ts AS CASE WHEN late_pick = 0
                       THEN TIMESTAMPADD(MINUTE, -10, CURRENT_TIMESTAMP)
                       ELSE CURRENT_TIMESTAMP END,
            WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
        ) WITH (
            'connector' = 'datagen',
            'rows-per-second' = '%d',
            'fields.k.min' = '0', 'fields.k.max' = '9',
            'fields.late_pick.min' = '0', 'fields.late_pick.max' = '19'
        )""" % args.rate)
    t_env.execute_sql("""
        CREATE TEMPORARY TABLE window_sink (
            window_start TIMESTAMP(3), window_end TIMESTAMP(3), k INT, cnt BIGINT
        ) WITH ('connector' = 'blackhole')""")
    t_env.execute_sql("""
        CREATE TEMPORARY TABLE slow_sink (v BIGINT) WITH ('connector' = 'blackhole')""")

    stmts = t_env.create_statement_set()
    stmts.add_insert_sql("""
        INSERT INTO window_sink
        SELECT window_start, window_end, k, COUNT(*)
        FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '2' SECOND))
        GROUP BY window_start, window_end, k""")
    stmts.add_insert_sql("INSERT INTO slow_sink SELECT slow(id) FROM src")

    result = stmts.execute()
    client = result.get_job_client()
    job_id = str(client.get_job_id())
    jvms = descendants(os.getpid())
    print("flink-job: running job_id=%s port=%s checkpoint_dir=%s log_dir=%s jvm_pids=%s "
          "startup_s=%.1f" % (job_id, args.port, ckpt, log_dir,
                              ",".join(map(str, jvms)), time.monotonic() - t0), flush=True)

    rc = 0
    deadline = t0 + args.duration if args.duration > 0 else None
    while not stop.is_set():
        if deadline is not None and time.monotonic() >= deadline:
            reason["why"] = "duration"
            break
        stop.wait(1.0)
        if stop.is_set():
            break
        try:
            status = client.get_job_status().result().name
        except Exception as e:  # gateway gone
            log("cannot read job status: %s" % e)
            rc = 1
            break
        if status not in ("RUNNING", "CREATED", "INITIALIZING", "RESTARTING"):
            log("job is %s, exiting" % status)
            rc = 1
            break

    log("stopping (%s)" % reason["why"])
    try:
        client.cancel().result()
    except Exception as e:
        log("cancel: %s" % e)
    shutdown(jvms)
    if rc == 0 or args.log_dir:
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    else:
        log("Flink log kept in %s" % log_dir)
    os._exit(rc)


def shutdown(jvms):
    """Stop the gateway JVM (and anything it started) and wait until it is gone."""
    pids = [p for p in descendants(os.getpid()) if p not in jvms] + jvms
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    end = time.monotonic() + 15
    while time.monotonic() < end and any(alive(p) for p in pids):
        time.sleep(0.1)
    for pid in pids:
        if alive(pid):
            log("pid %d still alive, SIGKILL" % pid)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    for pid in pids:
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A small real Apache Flink job for strmscope's Flink end-to-end test.

Runs Apache Flink 2.3.0 (PyPI `apache-flink`) as a local MiniCluster inside the PyFlink gateway JVM
and exposes Flink's own Prometheus reporter at http://127.0.0.1:PORT/metrics.

    .venv-flink/bin/python scripts/flink-job.py --port P --checkpoint-dir DIR [--duration S]

Needs apache-flink==2.3.0 (scripts/bootstrap installs it in .venv-flink, from
scripts/requirements-flink.txt) and a Java 17 `java` on PATH (or JAVA_HOME).

Within about 30 s of starting, the scrape shows:
  1. Event-time tumbling windows (2 s) behind a watermark (ts - 1 s):
     flink_taskmanager_job_task_operator_currentOutputWatermark is an epoch-ms value. Operators
     upstream of the watermark assigner keep the "no watermark" sentinel -9.223372036854776E18.
  2. Late records dropped by the window operator: one record in 20 carries a timestamp ten minutes
     old, so flink_taskmanager_job_task_operator_numLateRecordsDropped{operator_name="WindowAggregate_5_"}
     keeps growing.
  3. A checkpoint every 2 s into DIR (flink_jobmanager_job_numberOfCompletedCheckpoints grows,
     lastCheckpointDuration is tens of ms). To make checkpoints fail while the job keeps running,
     make DIR unusable: `mv DIR DIR.off && touch DIR` (works for root too; `chmod 000 DIR` only
     works for a non-root user). flink_jobmanager_job_numberOfFailedCheckpoints then grows by one
     every 2 s. Failures are tolerated without limit and the job never restarts (numRestarts stays
     0). Undo it (`rm DIR && mv DIR.off DIR`) and checkpoints complete again.
     One or two checkpoints usually fail at startup (triggered while a task is still initialising),
     so compare against a baseline taken once a checkpoint has completed.
  4. Backpressure: a slow Python UDF (time.sleep per record) sits behind a hash exchange, so the
     source task reports flink_taskmanager_job_task_backPressuredTimeMsPerSecond near 1000 and the
     UDF's task busyTimeMsPerSecond near 1000. The UDF runs in PyFlink's "thread" mode (PEMJA,
     inside the JVM), so no Beam Python worker process is started.

On stdout the script prints one line once the reporter answers with this job's metrics:
    flink-job: ready job_id=<id> port=<port> checkpoint_dir=<dir> log_dir=<dir> jvm_pid=<pid> startup_s=<s>
and exits 0 on SIGTERM, SIGINT, SIGHUP or after --duration, having cancelled the job and waited for
the gateway JVM to exit (no Java process is left behind). It exits 1 if the job fails and 2 if the
reporter does not come up (for example the port is taken: Flink then just logs the error and runs
without metrics). Progress and errors go to stderr; Flink's own log goes to --log-dir, by default a
temporary directory that is removed on a clean exit.

Flink opens its REST endpoint, blob server and RPC on 127.0.0.1 only. The Prometheus reporter
itself listens on the wildcard address: Flink 2.3.0's PrometheusReporter does
`new HTTPServer(new InetSocketAddress(port), ...)` and has no host option.

Reporter jar: apache-flink-libraries ships it only as a plugin
(pyflink/plugins/metrics-prometheus/flink-metrics-prometheus-2.3.0.jar), and a local MiniCluster
has no plugin manager, so by default Flink logs "The reporter factory
(...PrometheusReporterFactory) could not be found for reporter prom. Available factories: []" and
runs without it. The MiniCluster looks reporter factories up with ServiceLoader in the thread's
context class loader, and PyFlink's Configuration.set_string("pipeline.jars", ...) adds the jars to
exactly that class loader, so this script sets pipeline.jars to the plugin jar. (Putting the jar on
the JVM classpath also works: PyFlink builds it from FLINK_LIB_DIR/*.jar.) Nothing is copied into
the installed package and nothing is downloaded.
"""

import argparse
import glob
import logging
import os
import shutil
import signal
import site
import socket
import sys
import tempfile
import threading
import time
import urllib.request


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", required=True,
                   help="Prometheus reporter port, or a Flink port range/list (9250-9260, 9250,9251)")
    p.add_argument("--checkpoint-dir", required=True,
                   help="directory for checkpoints (created if missing)")
    p.add_argument("--duration", type=float, default=0,
                   help="seconds to run, counted from start, then stop (default: until SIGTERM)")
    p.add_argument("--sleep-ms", type=float, default=4.0,
                   help="per-record sleep in the slow UDF, which sets the job's pace (default 4)")
    p.add_argument("--checkpoint-interval", default="2s")
    p.add_argument("--ready-timeout", type=float, default=90,
                   help="seconds to wait for the reporter to show this job (default 90)")
    p.add_argument("--log-dir", default=None,
                   help="Flink log directory, kept (default: a temporary directory, removed on "
                        "a clean exit)")
    return p.parse_args()


def log(msg):
    print("flink-job: " + msg, file=sys.stderr, flush=True)


def ports_of(spec):
    """Ports of a Flink port spec: "9250", "9250-9260", "9250,9252-9253"."""
    out = []
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = part.split("-", 1)
            out += range(int(lo), int(hi) + 1)
        elif part:
            out.append(int(part))
    if not out:
        raise ValueError("empty port spec")
    return out


def port_free(port):
    """True if the wildcard address can bind port, as the reporter will (with SO_REUSEADDR, as
    Java does, so connections in TIME_WAIT from earlier scrapes do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("", port))
            return True
        except OSError:
            return False


def child_pids(pid):
    """Direct children of pid, read from /proc."""
    out = []
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(x) for x in f.read().split()]
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
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def reporter_jar():
    """The Prometheus reporter jar that apache-flink-libraries ships under plugins/."""
    import pyflink
    home = os.path.dirname(os.path.abspath(pyflink.__file__))
    jars = sorted(glob.glob(os.path.join(home, "plugins", "metrics-prometheus",
                                         "flink-metrics-prometheus-*.jar")))
    if not jars:
        log("no flink-metrics-prometheus jar under %s/plugins" % home)
        sys.exit(2)
    return jars[0]


def build_job(args, ckpt, tmp_dir):
    """Configure Flink and submit the job. Returns the JobClient."""
    from pyflink.common import Configuration, WatermarkStrategy
    from pyflink.datastream import StreamExecutionEnvironment
    from pyflink.datastream.connectors.number_seq import NumberSequenceSource
    from pyflink.table import DataTypes, Schema, StreamTableEnvironment
    from pyflink.table.udf import udf

    settings = {
        # Prometheus reporter. Setting pipeline.jars through PyFlink's Configuration also loads
        # the jar into the gateway's context class loader, where the MiniCluster looks for
        # reporter factories (see the module docstring).
        "pipeline.jars": "file://" + reporter_jar(),
        "metrics.reporter.prom.factory.class":
            "org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
        "metrics.reporter.prom.port": args.port,
        # Everything else on loopback
        "rest.address": "127.0.0.1",
        "rest.bind-address": "127.0.0.1",
        "rest.bind-port": "0",
        "jobmanager.rpc.address": "127.0.0.1",
        "jobmanager.bind-host": "127.0.0.1",
        "taskmanager.host": "127.0.0.1",
        "taskmanager.bind-host": "127.0.0.1",
        "blob.server.port": "0",
        # Flink's scratch files (the 24 MB flink-rpc-akka*.jar it unpacks, minicluster_* working
        # dirs) go under our temporary directory, removed on exit, rather than straight into /tmp
        "io.tmp.dirs": tmp_dir,
        # Small
        "execution.runtime-mode": "STREAMING",
        "parallelism.default": "1",
        "pipeline.auto-watermark-interval": "200ms",
        # One-phase window aggregation: a local pre-aggregation folds late records into one
        # accumulator per window and key before the window operator counts them as dropped
        "table.optimizer.agg-phase-strategy": "ONE_PHASE",
        # 4 KiB network buffers (default 32 KiB): the backpressured source moves in small steps
        # and little data waits in flight
        "taskmanager.memory.segment-size": "4kb",
        # A checkpoint every 2 s; unaligned so barriers overtake the backpressured exchange;
        # failures tolerated without limit; never restart
        "execution.checkpointing.interval": args.checkpoint_interval,
        "execution.checkpointing.min-pause": "0ms",
        "execution.checkpointing.timeout": "20s",
        "execution.checkpointing.unaligned.enabled": "true",
        "execution.checkpointing.tolerable-failed-checkpoints": "1000000",
        "execution.checkpointing.storage": "filesystem",
        "execution.checkpointing.dir": "file://" + ckpt,
        "state.backend.type": "hashmap",
        "restart-strategy.type": "none",
        # Python UDFs in the JVM (PEMJA): no Beam worker process
        "python.execution-mode": "thread",
        "python.executable": sys.executable,
        "python.client.executable": sys.executable,
    }
    conf = Configuration()
    for k, v in settings.items():
        conf.set_string(k, v)

    env = StreamExecutionEnvironment.get_execution_environment(conf)
    t_env = StreamTableEnvironment.create(env)

    sleep_s = args.sleep_ms / 1000.0

    @udf(result_type=DataTypes.BIGINT())
    def slow(x):
        time.sleep(sleep_s)
        return x

    t_env.create_temporary_function("slow", slow)

    # Source: NumberSequenceSource, a FLIP-27 source. SQL 'datagen' in 2.3.0 is still a legacy
    # SourceFunction whose thread holds the checkpoint lock while blocked on backpressure, so every
    # checkpoint waited 2-4 s to start. This source has no rate limit: the slow UDF sets the pace.
    numbers = env.from_source(NumberSequenceSource(0, 2 ** 63 - 1),
                              WatermarkStrategy.no_watermarks(), "numbers")
    t_env.create_temporary_view("src", t_env.from_data_stream(
        numbers,
        Schema.new_builder()
        .column("f0", DataTypes.BIGINT())
        .column_by_expression("k", "CAST(MOD(f0, 10) AS INT)")
        # 1 record in 20 is ten minutes old: always behind the watermark, so dropped as late
        .column_by_expression(
            "ts", "CASE WHEN MOD(f0, 20) = 0 THEN TIMESTAMPADD(MINUTE, -10, CURRENT_TIMESTAMP) "
                  "ELSE CURRENT_TIMESTAMP END")
        .watermark("ts", "ts - INTERVAL '1' SECOND")
        .build()))
    t_env.execute_sql("""
        CREATE TEMPORARY TABLE window_sink (
            window_start TIMESTAMP(3), window_end TIMESTAMP(3), k INT, cnt BIGINT
        ) WITH ('connector' = 'blackhole')""")
    t_env.execute_sql("""
        CREATE TEMPORARY TABLE slow_sink (k INT, v BIGINT) WITH ('connector' = 'blackhole')""")

    stmts = t_env.create_statement_set()
    stmts.add_insert_sql("""
        INSERT INTO window_sink
        SELECT window_start, window_end, k, COUNT(*)
        FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '2' SECOND))
        GROUP BY window_start, window_end, k""")
    # The slow UDF sits behind a hash exchange (GROUP BY k: 10 keys, tiny state), so it runs in its
    # own task, the source task upstream is the one backpressured, and unaligned checkpoint barriers
    # overtake the data queued on that exchange (they do not on forward edges).
    stmts.add_insert_sql("""
        INSERT INTO slow_sink
        SELECT k, slow(cnt) FROM (SELECT k, COUNT(*) AS cnt FROM src GROUP BY k)""")
    return stmts.execute().get_job_client()


def wait_ready(ports, job_id, timeout, stop):
    """The port whose /metrics shows job_id, or None."""
    needle = 'job_id="%s"' % job_id
    end = time.monotonic() + timeout
    while time.monotonic() < end and not stop.is_set():
        for port in ports:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                            timeout=2) as r:
                    if needle in r.read().decode("utf-8", "replace"):
                        return port
            except Exception:
                pass
        stop.wait(0.5)
    return None


def shutdown(jvms):
    """Stop the gateway JVM (and anything it started) and wait until it is gone."""
    pids = [p for p in descendants(os.getpid()) if p not in jvms] + list(jvms)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    end = time.monotonic() + 20
    while time.monotonic() < end and any(alive(p) for p in pids):
        time.sleep(0.1)
    for pid in pids:
        if alive(pid):
            log("pid %d still alive after SIGTERM, sending SIGKILL" % pid)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    for pid in pids:
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass


def main():
    args = parse_args()
    t0 = time.monotonic()
    try:
        ports = ports_of(args.port)
    except ValueError:
        log("bad --port %r" % args.port)
        return 2
    if len(ports) == 1 and not port_free(ports[0]):
        log("port %d is already in use" % ports[0])
        return 2
    ckpt = os.path.abspath(args.checkpoint_dir)
    os.makedirs(ckpt, exist_ok=True)

    stop = threading.Event()
    reason = {"why": None}

    def on_signal(signum, _frame):
        reason["why"] = signal.Signals(signum).name
        stop.set()

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)

    work = tempfile.mkdtemp(prefix="flink-job-")
    log_dir = os.path.abspath(args.log_dir) if args.log_dir else os.path.join(work, "log")
    os.makedirs(log_dir, exist_ok=True)
    os.environ["FLINK_LOG_DIR"] = log_dir
    tmp_dir = os.path.join(work, "tmp")
    os.makedirs(tmp_dir)
    # Gateway JVM (PyFlink passes JVM_ARGS through): C1 only and the serial GC start Flink with
    # about 40% less CPU; 512 MiB of heap is plenty for this job.
    os.environ.setdefault("JVM_ARGS", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx512m")
    os.environ["JVM_ARGS"] += " -Djava.io.tmpdir=" + tmp_dir
    # The interpreter PEMJA embeds in the JVM starts from the base Python, not the venv: give it
    # the venv's site-packages (pemja, pyflink).
    os.environ["PYTHONPATH"] = os.pathsep.join(
        site.getsitepackages() + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])

    rc = 0
    client = None
    jvms = []
    try:
        client = build_job(args, ckpt, tmp_dir)
        jvms = descendants(os.getpid())
        job_id = str(client.get_job_id())
        log("submitted job %s after %.1f s; waiting for the reporter" % (job_id, time.monotonic() - t0))
        port = wait_ready(ports, job_id, args.ready_timeout, stop)
        if port is None and not stop.is_set():
            log("the Prometheus reporter did not show job %s on port(s) %s within %.0f s "
                "(port taken? see %s)" % (job_id, args.port, args.ready_timeout, log_dir))
            rc = 2
        elif port is not None:
            print("flink-job: ready job_id=%s port=%d checkpoint_dir=%s log_dir=%s jvm_pid=%s "
                  "startup_s=%.1f" % (job_id, port, ckpt, log_dir, ",".join(map(str, jvms)),
                                      time.monotonic() - t0), flush=True)
        deadline = t0 + args.duration if args.duration > 0 else None
        while rc == 0 and not stop.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                reason["why"] = "duration"
                break
            stop.wait(1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic())))
            if stop.is_set():
                break
            try:
                status = client.get_job_status().result().name
            except Exception as e:
                if stop.is_set():  # a signal to the whole process group also stops the JVM
                    break
                log("cannot read the job status (JVM gone?): %s" % str(e).splitlines()[0])
                rc = 1
                break
            if status not in ("RUNNING", "CREATED", "INITIALIZING", "RESTARTING"):
                log("job is %s" % status)
                rc = 1
    except Exception as e:
        log("error: %s" % e)
        rc = 1
    finally:
        log("stopping (%s)" % (reason["why"] or ("error" if rc else "done")))
        # py4j logs a traceback for every call that races with the JVM shutting down
        logging.disable(logging.CRITICAL)
        if client is not None:
            try:
                client.cancel().result()
            except Exception:
                pass
        shutdown(jvms or descendants(os.getpid()))
        if rc != 0 and not args.log_dir:
            keep = tempfile.mkdtemp(prefix="flink-job-log-")
            shutil.rmtree(keep)
            shutil.move(log_dir, keep)
            log("Flink log kept in %s" % keep)
        shutil.rmtree(work, ignore_errors=True)
        log("stopped after %.1f s" % (time.monotonic() - t0))
    return rc


if __name__ == "__main__":
    # os._exit: skip interpreter teardown, where py4j's daemon threads can print noise
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

"""Deterministic, kafka-shaped OpenMetrics test data for scripts/differential-test.

`generate(end_ms, seed)` returns an OpenMetrics 1.0 document (with `# EOF`) holding three hours
of samples with explicit timestamps that end at `end_ms`, shaped like what strmscope sees in real
life (kafka_exporter plus the strm_* RED metrics of producers and consumers):

  strm_records_produced_total{job,instance,topic,partition}   counter; pod-b restarts (reset);
                                                               partition audit/3 is deleted
  strm_records_consumed_total{job,instance,consumergroup,topic,partition}
                                                               counter; the analytics consumer has
                                                               a 12-minute outage (> lookback), the
                                                               billing consumer restarts (reset)
  strm_processing_errors_total{job,instance,topic,reason}     sparse counter (escaped label value)
  strm_dlq_records_total{job,instance,topic}                  sparse counter; audit appears late
  strm_processing_duration_seconds{job,instance,topic}        histogram (buckets, _count, _sum);
                                                               a latency incident; reset on restart
  strm_consumer_fetch_latency_seconds{job,instance,consumergroup}
                                                               float gauge with NaN samples
  kafka_consumergroup_lag{job,instance,consumergroup,topic,partition}
                                                               integer gauge, random walk hitting 0;
                                                               group audit-replay lives 90 minutes
  kafka_topic_partition_current_offset{job,instance,topic,partition}   monotonic gauge
  kafka_consumergroup_members{job,instance,consumergroup}     small integer gauge (rebalances)
  kafka_topic_partition_info{job,instance,topic,partition,leader}      info

Every scrape target has its own schedule: a nominal interval (15 s or 30 s) with jitter in
multiples of 125 ms (so seconds*1000 is exact in binary floating point, whether a reader
truncates or rounds) and the odd missed scrape. The document is laid out canonically: families
are contiguous, a metric's points are contiguous and in increasing time order, a histogram point
is its buckets (ascending `le`, ending with +Inf), then `_count` (== the +Inf bucket), then `_sum`.
"""
import math
import random

HOURS = 3
MINUTE = 60_000

TOPICS = ["orders", "payments", "audit"]
PARTITIONS = ["0", "1", "2", "3"]
PODS = ["pod-a:9100", "pod-b:9100"]
GROUP_TOPICS = {"billing": ["orders", "payments"], "analytics": ["orders", "payments", "audit"]}
BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]
REASONS = ["deserialization", 'schema "v2" mismatch', "délai dépassé"]


def _escape(value):
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels):
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


def _ts(ms):
    return f"{ms // 1000}.{ms % 1000:03d}"


def _num(v):
    if isinstance(v, int):
        return str(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


def _le(b):
    return "+Inf" if b == math.inf else repr(b)


class Doc:
    def __init__(self):
        self.lines = []
        self.series = 0  # distinct series (a histogram metric counts buckets + _count + _sum)

    def family(self, name, typ, help_, unit=None):
        self.lines.append(f"# TYPE {name} {typ}")
        if unit:
            self.lines.append(f"# UNIT {name} {unit}")
        self.lines.append(f"# HELP {name} {help_}")

    def metric(self, name, labels, points):
        """points: [(ms, value)] in increasing time order."""
        if not points:
            return
        self.series += 1
        prefix = name + _labels(labels) + " "
        self.lines.extend(prefix + _num(v) + " " + _ts(ms) for ms, v in points)

    def histogram(self, name, labels, points):
        """points: [(ms, cumulative bucket counts (len(BUCKETS)+1), sum)]."""
        if not points:
            return
        self.series += len(BUCKETS) + 3
        les = [_le(b) for b in BUCKETS + [math.inf]]
        for ms, counts, total in points:
            ts = _ts(ms)
            for le, c in zip(les, counts):
                self.lines.append(f"{name}_bucket{_labels({**labels, 'le': le})} {c} {ts}")
            self.lines.append(f"{name}_count{_labels(labels)} {counts[-1]} {ts}")
            self.lines.append(f"{name}_sum{_labels(labels)} {_num(total)} {ts}")

    def text(self):
        return "\n".join(self.lines) + "\n# EOF\n"


def _schedule(rng, start, end, interval, gaps=()):
    """Scrape times: nominal grid with ±2 s jitter in 125 ms steps, ~1 % missed scrapes, and no
    scrapes inside `gaps` ([from, to) pairs)."""
    out = []
    t = start
    while t <= end:
        ms = t + rng.randint(-16, 16) * 125 if start < t < end else t
        if rng.random() >= 0.01 and not any(a <= ms < b for a, b in gaps):
            out.append(ms)
        t += interval
    return out


def generate(end_ms, seed=20240611):
    """Returns (openmetrics_text, info) for the HOURS hours ending at end_ms (a multiple of 15 s)."""
    rng = random.Random(seed)
    t0 = end_ms - HOURS * 60 * MINUTE
    restart_b = t0 + 80 * MINUTE           # pod-b restarts: its counters and histograms reset
    restart_billing = t0 + 150 * MINUTE    # the billing consumer restarts
    audit3_gone = t0 + 125 * MINUTE        # partition audit/3 deleted: its series stop
    outage = (t0 + 100 * MINUTE, t0 + 112 * MINUTE)  # analytics consumer not scraped
    replay = (t0 + 60 * MINUTE, t0 + 150 * MINUTE)   # consumer group audit-replay exists
    incident = (t0 + 60 * MINUTE, t0 + 75 * MINUTE)  # payments latency ×10
    lag_spike = (t0 + 90 * MINUTE, t0 + 110 * MINUTE)

    sched = {pod: _schedule(rng, t0, end_ms, 15_000) for pod in PODS}
    exporter = _schedule(rng, t0, end_ms, 30_000)
    consumers = {
        "billing": _schedule(rng, t0, end_ms, 15_000),
        "analytics": _schedule(rng, t0, end_ms, 15_000, gaps=[outage]),
    }
    doc = Doc()

    def counter(times, rate, reset_at=None, stop_at=None, start_at=None, p_inc=1.0, burst=1):
        points, value, prev = [], 0, None
        for ms in times:
            if stop_at is not None and ms >= stop_at:
                break
            if start_at is not None and ms < start_at:
                continue
            if reset_at is not None and prev is not None and prev < reset_at <= ms:
                value = 0
            if rng.random() < p_inc:
                dt = (ms - prev) / 1000 if prev is not None else 15
                wave = 1 + 0.5 * math.sin((ms - t0) / (37 * MINUTE) + rate)
                value += max(0, int(rate * dt * wave * rng.uniform(0.7, 1.3))) if burst == 1 else rng.randint(1, burst)
            points.append((ms, value))
            prev = ms
        return points

    # --- producers and their processing -------------------------------------------------------
    doc.family("strm_records_produced", "counter", "Records acknowledged by the log.")
    for pod in PODS:
        for topic in TOPICS:
            for part in PARTITIONS:
                doc.metric("strm_records_produced_total",
                           {"job": "strm", "instance": pod, "topic": topic, "partition": part},
                           counter(sched[pod], rng.uniform(5, 200),
                                   reset_at=restart_b if pod == "pod-b:9100" else None,
                                   stop_at=audit3_gone if (topic, part) == ("audit", "3") else None))

    doc.family("strm_processing_errors", "counter", "Records whose processing failed.")
    for pod in PODS:
        for topic in TOPICS:
            for reason in REASONS:
                doc.metric("strm_processing_errors_total",
                           {"job": "strm", "instance": pod, "topic": topic, "reason": reason},
                           counter(sched[pod], 1, reset_at=restart_b if pod == "pod-b:9100" else None,
                                   p_inc=0.03, burst=3))

    doc.family("strm_dlq_records", "counter", "Records written to a dead-letter topic.")
    for topic in TOPICS:
        doc.metric("strm_dlq_records_total", {"job": "strm", "instance": "pod-a:9100", "topic": topic},
                   counter(sched["pod-a:9100"], 1, p_inc=0.05, burst=4,
                           start_at=t0 + 40 * MINUTE if topic == "audit" else None))

    doc.family("strm_processing_duration_seconds", "histogram", "Time to process one record.", unit="seconds")
    for pod in PODS:
        for topic in ["orders", "payments"]:
            points, counts, total, prev = [], [0] * (len(BUCKETS) + 1), 0.0, None
            mu = math.log(0.03 if topic == "orders" else 0.08)
            for ms in sched[pod]:
                if pod == "pod-b:9100" and prev is not None and prev < restart_b <= ms:
                    counts, total = [0] * (len(BUCKETS) + 1), 0.0
                shift = math.log(10) if topic == "payments" and incident[0] <= ms < incident[1] else 0.0
                for _ in range(rng.randint(5, 60)):
                    x = rng.lognormvariate(mu + shift, 0.9)
                    total += x
                    for i, b in enumerate(BUCKETS):
                        if x <= b:
                            counts[i] += 1
                    counts[-1] += 1
                points.append((ms, list(counts), total))
                prev = ms
            doc.histogram("strm_processing_duration_seconds", {"job": "strm", "instance": pod, "topic": topic}, points)

    # --- consumers ----------------------------------------------------------------------------
    doc.family("strm_records_consumed", "counter", "Records handed to the application.")
    for group, topics in GROUP_TOPICS.items():
        inst = f"consumer-{group}:9200"
        for topic in topics:
            for part in PARTITIONS:
                doc.metric("strm_records_consumed_total",
                           {"job": "strm-consumer", "instance": inst, "consumergroup": group, "topic": topic, "partition": part},
                           counter(consumers[group], rng.uniform(5, 200),
                                   reset_at=restart_billing if group == "billing" else None,
                                   stop_at=audit3_gone if (topic, part) == ("audit", "3") else None))

    doc.family("strm_consumer_fetch_latency_seconds", "gauge", "Latency of the last fetch.", unit="seconds")
    for group in GROUP_TOPICS:
        points, nan_run = [], 0
        for ms in consumers[group]:
            if group == "analytics" and (nan_run > 0 or rng.random() < 0.03):
                nan_run = nan_run - 1 if nan_run > 0 else rng.choice([0, 0, 6])
                points.append((ms, math.nan))
            else:
                points.append((ms, round(rng.lognormvariate(math.log(0.02), 0.6), 6)))
        doc.metric("strm_consumer_fetch_latency_seconds",
                   {"job": "strm-consumer", "instance": f"consumer-{group}:9200", "consumergroup": group}, points)

    # --- kafka_exporter -----------------------------------------------------------------------
    kx = {"job": "kafka", "instance": "kafka-exporter:9308"}
    doc.family("kafka_consumergroup_lag", "gauge", "Current approximate lag of a consumer group at topic/partition.")
    lag_series = [(g, t, p) for g, ts in GROUP_TOPICS.items() for t in ts for p in PARTITIONS]
    lag_series += [("audit-replay", "orders", p) for p in PARTITIONS]
    for group, topic, part in lag_series:
        points, lag = [], rng.randint(0, 400)
        for ms in exporter:
            if group == "audit-replay" and not replay[0] <= ms < replay[1]:
                continue
            if (topic, part) == ("audit", "3") and ms >= audit3_gone:
                break
            lag = max(0, lag + rng.randint(-60, 55))
            if (group, topic, part) == ("billing", "orders", "1") and lag_spike[0] <= ms < lag_spike[1]:
                lag += rng.randint(300, 700)
            points.append((ms, lag))
        doc.metric("kafka_consumergroup_lag", {**kx, "consumergroup": group, "topic": topic, "partition": part}, points)

    doc.family("kafka_topic_partition_current_offset", "gauge", "Current offset of a partition.")
    for topic in TOPICS:
        for part in PARTITIONS:
            points, offset = [], rng.randint(10_000, 90_000)
            for ms in exporter:
                if (topic, part) == ("audit", "3") and ms >= audit3_gone:
                    break
                offset += rng.randint(0, 4000)
                points.append((ms, offset))
            doc.metric("kafka_topic_partition_current_offset", {**kx, "topic": topic, "partition": part}, points)

    doc.family("kafka_consumergroup_members", "gauge", "Number of members in a consumer group.")
    for group in list(GROUP_TOPICS) + ["audit-replay"]:
        points, members = [], {"billing": 3, "analytics": 2, "audit-replay": 1}[group]
        for ms in exporter:
            if group == "audit-replay" and not replay[0] <= ms < replay[1]:
                continue
            if rng.random() < 0.03:
                members = min(4, max(1, members + rng.choice([-1, 1])))
            points.append((ms, members))
        doc.metric("kafka_consumergroup_members", {**kx, "consumergroup": group}, points)

    doc.family("kafka_topic_partition", "info", "Partition metadata.")
    for topic in TOPICS:
        for i, part in enumerate(PARTITIONS):
            points = [(ms, 1) for ms in exporter if not ((topic, part) == ("audit", "3") and ms >= audit3_gone)]
            doc.metric("kafka_topic_partition_info",
                       {**kx, "topic": topic, "partition": part, "leader": f"broker-{(i + len(topic)) % 3}"}, points)

    info = {"start_ms": t0, "end_ms": end_ms, "series": doc.series, "samples": len(doc.lines),
            "restart_b": restart_b, "replay": replay, "outage": outage, "audit3_gone": audit3_gone}
    return doc.text(), info


if __name__ == "__main__":
    import sys
    import time
    end = (int(time.time()) - 3600) // 15 * 15 * 1000
    text, info = generate(end)
    sys.stdout.write(text)
    print(info, file=sys.stderr)

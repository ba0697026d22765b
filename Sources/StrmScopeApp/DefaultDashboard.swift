/// The dashboard `strmscope scope` shows without --dashboard: Dashboards/streaming.yml, built in
/// so the binary works from any directory. A test keeps the two identical.
public let defaultDashboardYAML = """
# The default scope: a streaming pipeline at a glance.
# Every expression uses kafka_exporter's metric names where one exists, so this dashboard works
# unchanged on the embedded log, on a scraped kafka_exporter / kminion / Redpanda, or on a
# Prometheus server; the strm_* series come from strmscope's log or from instrumented apps.
title: Streaming pipeline
time_per_div: 5s
refresh: 1s
channels:
  - name: EVENTS/s
    unit: /s
    color: green
    per_div: auto
    traces:
      - label: produced
        expr: sum(rate(kafka_topic_partition_current_offset{topic!~"__.*|.*\\\\.dlq"}[30s]))
      - label: consumed
        expr: sum(rate(kafka_consumergroup_current_offset{topic!~"__.*|.*\\\\.dlq"}[30s]))
  - name: LAG
    unit: s
    color: yellow
    per_div: auto
    threshold: 30
    traces:
      - label: seconds
        expr: max(strm_consumergroup_lag_seconds)
      - label: records
        unit: rec
        expr: sum(kafka_consumergroup_lag{topic!~"__.*|.*\\\\.dlq"})
  - name: DLQ
    unit: rec
    color: magenta
    per_div: auto
    traces:
      - label: depth
        expr: sum(kafka_topic_partition_current_offset{topic=~".*\\\\.dlq"})
  - name: ERRORS
    unit: /s
    color: red
    per_div: auto
    traces:
      - label: errors/s
        expr: sum(rate(strm_processing_errors_total[30s]))
      - label: p99 latency
        unit: s
        expr: histogram_quantile(0.99, sum by (le) (rate(strm_processing_duration_seconds_bucket[30s])))
trigger:
  channel: 2
  edge: rising
  level: 5
  mode: auto
markers: [rebalance, alert, marker]

"""

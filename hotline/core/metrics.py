"""Prometheus metrics. Labels never carry victims' data: routes are templates, not paths."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_REQUESTS = Counter(
    "hotline_http_requests_total",
    "HTTP requests by method, route template and status",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "hotline_http_request_duration_seconds",
    "HTTP request latency by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REQUESTS_SHED = Counter(
    "hotline_requests_shed_total", "Requests answered 503 after waiting too long for a free slot (overload)"
)
TIPS_RECEIVED = Counter("hotline_tips_received_total", "Tips stored, by channel", ["channel"])
SMS_REPLIES = Counter(
    "hotline_sms_replies_total",
    "SMS reply send attempts by outcome (sent, retrying, failed, suppressed)",
    ["outcome"],
)
TWILIO_WEBHOOKS_REFUSED = Counter(
    "hotline_twilio_webhooks_refused_total", "Twilio webhooks refused, by reason", ["reason"]
)


def render_latest() -> tuple[bytes, str]:
    # With several server processes, each writes its samples to PROMETHEUS_MULTIPROC_DIR and we merge them.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST

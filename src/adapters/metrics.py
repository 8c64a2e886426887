"""Prometheus metrics. With several server processes, PROMETHEUS_MULTIPROC_DIR makes them one set."""

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

REQUESTS = Counter(
    "booking_http_requests_total", "HTTP requests by route and status", ["method", "route", "status"]
)
LATENCY = Histogram(
    "booking_http_request_duration_seconds",
    "HTTP request latency by route",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
RESERVATIONS = Counter(
    "booking_reservations_total", "Reservation attempts by source and outcome", ["source", "outcome"]
)
WEBHOOKS = Counter(
    "booking_webhook_events_total", "Payment provider events by type and outcome", ["type", "outcome"]
)
RATE_LIMITED = Counter("booking_rate_limit_rejections_total", "Requests refused by a rate limit", ["limit"])
HOLDS_EXPIRED = Counter("booking_holds_expired_total", "Payment holds the worker expired")
RECONCILED = Counter("booking_payments_reconciled_total", "Pending payments reconciled with the provider")
EVENTS = Counter("booking_outbox_events_total", "Domain events handed to their consumers, by type", ["type"])


class PrometheusMetrics:
    def reservation(self, source: str, outcome: str) -> None:
        RESERVATIONS.labels(source, outcome).inc()

    def webhook_event(self, event_type: str, outcome: str) -> None:
        WEBHOOKS.labels(event_type, outcome).inc()

    def rate_limited(self, limit: str) -> None:
        RATE_LIMITED.labels(limit).inc()

    def holds_expired(self, count: int) -> None:
        HOLDS_EXPIRED.inc(count)

    def payments_reconciled(self, count: int) -> None:
        RECONCILED.inc(count)

    def outbox_event(self, event_type: str) -> None:
        EVENTS.labels(event_type).inc()


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


def exposition() -> tuple[bytes, str]:
    """The metrics page: this process's, or every server process's in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST

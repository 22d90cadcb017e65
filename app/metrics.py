"""Prometheus metrics of one app (its own registry, so tests can build many apps).

Exposed at ``/metrics``: live calls, audio seconds in, decode queue depth, cue
latency (audio of the evidence arriving -> cue published), plus the store's
write queue and ingest errors by connector and close code.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

LATENCY_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.live_calls = Gauge("heard_live_calls", "Calls live or on hold now", registry=r)
        self.calls_started = Counter("heard_calls_started", "Calls started", ["source"], registry=r)
        self.audio_seconds_in = Counter(
            "heard_audio_seconds_in", "Seconds of call audio received", ["speaker"], registry=r
        )
        self.decode_queue_depth = Gauge(
            "heard_decode_queue_depth", "Utterances waiting for the speech decoder", registry=r
        )
        self.cue_latency = Histogram(
            "heard_cue_latency_seconds",
            "From the arrival of the evidence's audio to the cue's publication",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.cues = Counter("heard_cues", "Cues raised", ["kind"], registry=r)
        self.utterances = Counter(
            "heard_final_utterances", "Final utterances", ["speaker"], registry=r
        )
        self.revisions = Counter(
            "heard_revised_utterances",
            "Final utterances re-heard by the recognizer's second pass",
            ["speaker"],
            registry=r,
        )
        self.store_queue_depth = Gauge(
            "heard_store_queue_depth", "Writes waiting for the store writer", registry=r
        )
        self.ingest_errors = Counter(
            "heard_ingest_errors",
            "Ingest connections closed on an error",
            ["connector", "code"],
            registry=r,
        )
        self.pipeline_errors = Counter(
            "heard_pipeline_errors",
            "Errors inside a call's pipeline (the call went on)",
            ["stage"],
            registry=r,
        )

    def bind(self, *, decode_depth: Callable[[], float], store_depth: Callable[[], float]) -> None:
        """Read the gauges that belong to other components at scrape time."""
        self.decode_queue_depth.set_function(decode_depth)
        self.store_queue_depth.set_function(store_depth)

    def render(self) -> bytes:
        return generate_latest(self.registry)

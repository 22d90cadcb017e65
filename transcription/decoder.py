"""One decoder per process: every live channel shares one queue and its decode lanes.

A *lane* is a worker thread with its own engine (for Whisper its own one-thread
model instance): by default two, so two finals of different calls decode side by
side. Scheduling (each lane takes one batch at a time):

* finals first, oldest first, up to the engine's ``max_batch`` per decode, but
  no more than leaves work for the lanes that are idle (so a burst of turns
  ending together across calls is spread over the lanes; with the ``packed``
  strategy decoded in one window);
* partials only when no final waits, and only the newest per channel: a newer
  partial replaces a queued one (its future resolves to ``None``), and a final
  cancels its channel's queued partial. While the decoder has been busy more
  than 60 % of the last 5 s, queued partials are dropped outright. Stale
  partials are the only thing ever dropped; finals never are.
* speculative finals (a stream's utterance decoded before its end silence is
  complete, see :mod:`transcription.stream`) queue with the finals, so they run
  next; they are only accepted while :meth:`Decoder.can_speculate` (no final
  queued or decoding, decoder not busy of late), so they never delay another call's
  final, and a stream can :meth:`Decoder.cancel` one that is still queued.
* background work (revisions: a stream's recent finals decoded again together, see
  :mod:`transcription.stream`). With a ``background_engine`` (its own model
  instance, one thread) it runs in a second worker thread at the lowest CPU
  priority (nice 19), so the live worker's threads always win the cores and a
  live final never waits for a revision. Without one it shares the live worker,
  last in line, only while the decoder was busy less than
  :data:`BACKGROUND_BUSY_LIMIT` of late, or once its stream calls :meth:`expedite`.
* nothing to do -> the worker sleeps on a condition variable: no CPU while
  nobody speaks.

Why lanes and not one engine with 2 threads: CTranslate2's intra-op threads do
little for tiny.en on short windows. Measured (tiny.en int8, 2-core machine, 2-7 s
read-speech utterances, guarded 20 s window): one final at a time 0.28 s wall with
2 threads and 0.29 s with 1; pairs with 2 threads 0.51 s a pair (0.25 s each);
two lanes of 1 thread in parallel 0.37 s each, 0.19 s of wall per final. So lanes
keep a lone final as fast and serve a burst a third faster, and no final waits
for another call's batch. Engines that keep per-stream state between decodes
(Vosk, Whisper conditioned on the previous text) get one lane.

All engine work (for Whisper: feature extraction, encoder, generate, alignment)
runs in the worker thread; the event loop only receives results through
``call_soon_threadsafe``. A failing decode fails only its own futures.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace

from transcription.config import TranscriptionConfig
from transcription.engine import DecodeRequest, DecodeResult, Engine, StreamKey
from transcription.errors import RecognizerError
from transcription.service import TranscriptionStats

log = logging.getLogger(__name__)

#: partials are dropped while the decoder was busy more than this share of the
#: last BUSY_WINDOW_S seconds: under load every cycle goes to finals
PARTIAL_BUSY_LIMIT = 0.6
BUSY_WINDOW_S = 5.0
#: speculative finals only while the decoder was busy less than this share
SPECULATE_BUSY_LIMIT = 0.5
#: background jobs (revisions) only while the decoder was busy less than this share
BACKGROUND_BUSY_LIMIT = 0.5
#: while the decoder was busy more than config.shed_busy of late, finals are decoded as
#: if this many more waited (Whisper: the shortest window, 10 s instead of 20 s)
SHED_BACKLOG = 2
#: how often a worker holding background work re-checks the busy fraction
BACKGROUND_POLL_S = 0.25


def build_lanes(config: TranscriptionConfig) -> list[Engine]:
    """One engine per live lane (blocking; raises ModelLoadError). Whisper lanes share one
    loaded model (CTranslate2 replicas: one copy of the weights, measured 70 MB against
    124 MB for two models), each with ``threads // lanes`` threads."""
    lanes = config.live_lanes
    lane = replace(config, threads=max(1, config.threads // lanes))
    first = build_engine(lane, workers=lanes)
    sibling = getattr(first, "sibling", None)
    if sibling is None:
        return [first, *(build_engine(lane) for _ in range(lanes - 1))]
    return [first, *(sibling() for _ in range(lanes - 1))]


def build_engine(config: TranscriptionConfig, *, workers: int = 1) -> Engine:
    """Load the configured engine (blocking; raises ModelLoadError)."""
    if config.engine == "vosk":
        from transcription.vosk_engine import VoskEngine

        assert config.model is not None
        return VoskEngine(config.model, threads=config.threads)
    from transcription.whisper import Guards, WhisperEngine

    return WhisperEngine(
        config.model,
        threads=config.threads,
        compute_type=config.compute_type,
        language=config.language,
        beam_size=config.beam_size,
        strategy=config.strategy,
        condition=config.condition_on_previous,
        guards=Guards(min_window_s=config.min_window_s),
        workers=workers,
    )


@dataclass(slots=True)
class _Job:
    request: DecodeRequest
    future: asyncio.Future[DecodeResult | None]
    loop: asyncio.AbstractEventLoop
    queued_at: float
    #: background job that no longer waits for an idle decoder
    due: bool = False


class Decoder:
    """Priority queue + worker thread in front of one :class:`Engine`."""

    def __init__(
        self,
        engine: Engine | Sequence[Engine],
        config: TranscriptionConfig,
        stats: TranscriptionStats,
        background_engine: Engine | None = None,
    ) -> None:
        """``engine``: one engine, or one per lane (each used only by its lane's thread)."""
        self.engines: tuple[Engine, ...] = (
            tuple(engine) if isinstance(engine, Sequence) else (engine,)
        )
        if not self.engines:
            raise ValueError("a decoder needs at least one engine")
        self.engine = self.engines[0]  # its traits (max_batch, incremental) stand for all
        self.background_engine = background_engine
        self._bg_thread: threading.Thread | None = None
        self.config = config
        self.stats = stats
        self._cond = threading.Condition()
        self._finals: deque[_Job] = deque()
        self._partials: dict[StreamKey, _Job] = {}
        self._background: deque[_Job] = deque()
        self._releases: list[StreamKey] = []
        self._closing = False
        self._threads: list[threading.Thread] = []
        #: per lane: what it is decoding ("" when idle): final, partial or background
        self._lane_work = [""] * len(self.engines)
        self._waiting = 0  # lanes asleep on the condition (idle)
        self.busy_seconds = 0.0
        #: (end time, seconds) of recent decodes, for the busy fraction
        self._recent: deque[tuple[float, float]] = deque()
        #: the same for partial decodes only, for config.partial_budget
        self._recent_partials: deque[tuple[float, float]] = deque()

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        if not self._threads:
            for lane in range(len(self.engines)):
                name = "heard-decoder" if lane == 0 else f"heard-decoder-{lane}"
                t = threading.Thread(target=self._run, args=(lane,), name=name, daemon=True)
                t.start()
                self._threads.append(t)
        if self.background_engine is not None and self._bg_thread is None:
            self._bg_thread = threading.Thread(
                target=self._run_background, name="heard-revise", daemon=True
            )
            self._bg_thread.start()

    async def aclose(self) -> None:
        """Finish queued finals, drop queued partials, stop the worker."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        for t in self._threads:
            await asyncio.to_thread(t.join)
        self._threads = []
        if self._bg_thread is not None:
            await asyncio.to_thread(self._bg_thread.join)
            self._bg_thread = None

    def queue_depth(self) -> int:
        with self._cond:
            return len(self._finals) + len(self._partials) + len(self._background)

    def live_depth(self) -> int:
        """Finals and partials queued, plus one per lane decoding finals (no background)."""
        with self._cond:
            return (
                len(self._finals) + len(self._partials) + self._lane_work.count("final")
            )

    def can_speculate(self) -> bool:
        """True when a speculative final would delay nobody: no final waiting, a lane not
        on a final, and the decoder busy less than :data:`SPECULATE_BUSY_LIMIT` of late."""
        if getattr(self.engine, "incremental", False):
            # Kaldi: a final only feeds the tail, and a discarded speculative final
            # ends the recognizer, so resumed speech is fed again from the start.
            return False
        with self._cond:
            on_finals = self._lane_work.count("final")
            if self._closing or self._finals or on_finals >= len(self.engines):
                return False
            return self.busy_fraction() <= SPECULATE_BUSY_LIMIT

    def cancel(self, fut: asyncio.Future[DecodeResult | None]) -> bool:
        """Withdraw a still queued final or background job: its future gets ``None``.

        False when it is no longer queued (decoding or done: its result is just ignored).
        """
        with self._cond:
            for queue in (self._finals, self._background):
                at = next((i for i, j in enumerate(queue) if j.future is fut), None)
                if at is not None:
                    del queue[at]  # by position: _Job equality would compare audio
                    break
            else:
                return False
        if not fut.done():
            fut.set_result(None)
        return True

    # -- submission (event loop side) -------------------------------------------------------
    def submit(
        self, request: DecodeRequest, *, background: bool = False
    ) -> asyncio.Future[DecodeResult | None]:
        """Queue a request; the future gets the result, or ``None`` if a newer one superseded it.

        ``background`` (a final-quality decode nobody waits for live, e.g. a
        revision): run only when the decoder is otherwise idle, or once the stream
        calls :meth:`expedite` on it; ``None`` if the decoder closes first.
        """
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[DecodeResult | None] = loop.create_future()
        job = _Job(request, fut, loop, time.perf_counter())
        dropped: list[_Job] = []
        with self._cond:
            if self._closing:
                raise RecognizerError("decoder is closed")
            if background:
                self._background.append(job)
                self._cond.notify_all()  # two workers wait here: wake the right one
                return fut
            old = self._partials.pop(request.key, None)
            if old is not None:
                dropped.append(old)
            if request.final:
                self._finals.append(job)
            else:
                if len(self._partials) >= self.config.max_pending_partials:
                    oldest = min(self._partials, key=lambda k: self._partials[k].queued_at)
                    dropped.append(self._partials.pop(oldest))
                self._partials[request.key] = job
            self._cond.notify_all()  # two workers wait on this condition
        for d in dropped:
            self.stats.partials_dropped += 1
            if not d.future.done():
                d.future.set_result(None)
        return fut

    def expedite(self, key: StreamKey) -> None:
        """The stream is flushing: its background jobs run right after the finals."""
        with self._cond:
            for job in self._background:
                if job.request.key == key:
                    job.due = True
            self._cond.notify_all()

    def release(self, key: StreamKey) -> None:
        """A stream closed: let the engine drop its state (done on the worker thread)."""
        with self._cond:
            self._releases.append(key)
            self._cond.notify_all()  # two workers wait on this condition

    # -- worker -----------------------------------------------------------------------------
    def _take(self, lane: int) -> list[_Job] | None:
        engine = self.engines[lane]
        with self._cond:
            while True:
                if self._releases:
                    for key in self._releases:
                        for e in self.engines:
                            e.release(key)
                    self._releases.clear()
                if self._lane_work[lane] and self._waiting and (self._partials or self._background):
                    self._cond.notify_all()  # a lane held back by the rule below may go
                self._lane_work[lane] = ""
                if self._finals:
                    # Leave work for the idle lanes: 3 finals, 2 lanes -> 2 here, 1 there.
                    share = -(-len(self._finals) // (1 + self._waiting))
                    n = min(share, max(1, engine.max_batch))
                    batch = [self._finals.popleft() for _ in range(n)]
                    shed = self.config.shed_busy
                    behind = shed is not None and self.busy_fraction() > shed
                    engine.backlog = len(self._finals) + (SHED_BACKLOG if behind else 0)
                    self._lane_work[lane] = "final"
                    if self._finals and self._waiting:
                        self._cond.notify_all()
                    return batch
                if self._closing:
                    for job in [*self._partials.values(), *self._background]:
                        job.loop.call_soon_threadsafe(_resolve, job.future, None)
                    self._partials.clear()
                    self._background.clear()
                    return None
                shared = self.background_engine is None
                due = next((i for i, j in enumerate(self._background) if j.due), None)
                if shared and due is not None:
                    job = self._background[due]
                    del self._background[due]  # by position: _Job equality compares audio
                    engine.backlog = 0
                    self._lane_work[lane] = "background"
                    return [job]
                # With lanes, one is always kept for finals: partials and revisions on every
                # lane measured 2.4x the partial decodes, each slowing the finals beside it.
                others = self._lane_work[:lane] + self._lane_work[lane + 1 :]
                side = others.count("partial") + others.count("background")
                spare = len(self.engines) == 1 or side < len(self.engines) - 1
                incremental = getattr(self.engine, "incremental", False)
                if self._partials and not incremental and self.busy_fraction() > PARTIAL_BUSY_LIMIT:
                    # Saturated: a partial decode would only delay the next final.
                    for job in self._partials.values():
                        job.loop.call_soon_threadsafe(_resolve, job.future, None)
                    self.stats.partials_dropped += len(self._partials)
                    self._partials.clear()
                # Over budget, partials wait: a newer one replaces each, a final cancels it.
                budgeted = self._partial_share() < self.config.partial_budget
                if self._partials and spare and budgeted:
                    keys = sorted(self._partials, key=lambda k: self._partials[k].queued_at)
                    keys = keys[: max(1, engine.max_batch)]
                    engine.backlog = 0
                    self._lane_work[lane] = "partial"
                    return [self._partials.pop(k) for k in keys]
                if shared and self._background and spare:
                    if self.busy_fraction() <= BACKGROUND_BUSY_LIMIT:
                        engine.backlog = 0
                        self._lane_work[lane] = "background"
                        return [self._background.popleft()]
                    # The busy share decays with time alone: look again shortly.
                    self._sleep(BACKGROUND_POLL_S)
                    continue
                # Held partials: the budget frees with time alone, as the busy share does.
                self._sleep(BACKGROUND_POLL_S if self._partials and spare else None)

    def _sleep(self, timeout: float | None) -> None:
        """Wait on the condition as an idle lane (hold ``_cond``)."""
        self._waiting += 1
        try:
            self._cond.wait(timeout)
        finally:
            self._waiting -= 1

    def _run(self, lane: int = 0) -> None:
        while True:
            jobs = self._take(lane)
            if jobs is None:
                return
            self._decode(jobs, self.engines[lane])

    def _run_background(self) -> None:
        """The revision worker: its own engine, oldest job first.

        Its compute threads (CTranslate2's, made when the engine loaded) run at the
        lowest CPU priority; this Python thread does not: it holds the GIL while it
        prepares features, and a thread at nice 19 preempted with the GIL held would
        stall the event loop and the live lanes until the scheduler came back to it.
        """
        assert self.background_engine is not None
        engine = self.background_engine
        while True:
            with self._cond:
                while not self._background and not self._closing:
                    self._cond.wait()
                if self._closing:
                    for job in self._background:
                        job.loop.call_soon_threadsafe(_resolve, job.future, None)
                    self._background.clear()
                    return
                job = self._background.popleft()
            try:
                res: DecodeResult | BaseException = engine.decode([job.request])[0]
            except Exception as exc:
                log.warning("revision decode failed: %s", type(exc).__name__)
                res = RecognizerError(f"decode failed: {type(exc).__name__}")
            job.loop.call_soon_threadsafe(_resolve, job.future, res)

    def _partial_share(self) -> float:
        """Share of one core that partial decodes took over the last :data:`BUSY_WINDOW_S`
        seconds (hold ``_cond``)."""
        return _window_seconds(self._recent_partials) / BUSY_WINDOW_S

    def busy_fraction(self) -> float:
        """Share of the lanes' last :data:`BUSY_WINDOW_S` seconds spent decoding (hold
        ``_cond``)."""
        capacity = BUSY_WINDOW_S * len(self.engines)
        return min(1.0, _window_seconds(self._recent) / capacity)

    def _decode(self, jobs: list[_Job], engine: Engine) -> None:
        t0 = time.perf_counter()
        try:
            results: list[DecodeResult | BaseException] = list(
                engine.decode([j.request for j in jobs])
            )
        except Exception as exc:  # one bad batch must not stop the decoder
            if len(jobs) > 1:
                for job in jobs:  # isolate the culprit: retry one by one
                    self._decode([job], engine)
                return
            log.warning("decode failed: %s", type(exc).__name__)
            results = [RecognizerError(f"decode failed: {type(exc).__name__}: {exc}")]
            with self._cond:
                self.stats.errors += 1
        elapsed = time.perf_counter() - t0
        with self._cond:  # lanes add up concurrently; busy_fraction() also runs on the loop
            self.busy_seconds += elapsed
            done = (time.perf_counter(), elapsed)
            self._recent.append(done)
            if not jobs[0].request.final:
                self._recent_partials.append(done)
            self.stats.decodes += 1
            self.stats.decode_seconds += elapsed
            for job, res in zip(jobs, results, strict=True):
                self.stats.audio_seconds_decoded += job.request.duration
                self.stats.fallbacks += isinstance(res, DecodeResult) and res.fallback
        for job, res in zip(jobs, results, strict=True):
            job.loop.call_soon_threadsafe(_resolve, job.future, res)


def _window_seconds(recent: deque[tuple[float, float]]) -> float:
    """Decode seconds of the ``(end time, seconds)`` entries ended within the last
    :data:`BUSY_WINDOW_S` seconds; older entries are dropped from ``recent``."""
    horizon = time.perf_counter() - BUSY_WINDOW_S
    while recent and recent[0][0] < horizon:
        recent.popleft()
    return sum(s for _, s in recent)


def _resolve(fut: asyncio.Future[DecodeResult | None], res: object) -> None:
    if fut.done():
        return
    if isinstance(res, BaseException):
        fut.set_exception(res)
    else:
        fut.set_result(res)  # type: ignore[arg-type]

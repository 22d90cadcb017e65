"""One decoder per process: every live channel shares one model and one worker thread.

Scheduling (the worker takes one batch at a time):

* finals first, oldest first, up to the engine's ``max_batch`` per decode (so a
  burst of turns ending together across calls is decoded in one go, and with
  the ``packed`` strategy in one window);
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

Why batching and not parallel workers: on a 2-core CPU one CTranslate2 call
with 2 intra-op threads already saturates the machine, so a second worker would
only contend. Batching finals that end together shares the per-call overhead
(greedy generate is as costly as the encoder for short utterances; see the
table in :mod:`transcription.whisper`).

All engine work (for Whisper: feature extraction, encoder, generate, alignment)
runs in the worker thread; the event loop only receives results through
``call_soon_threadsafe``. A failing decode fails only its own futures.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass

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


def build_engine(config: TranscriptionConfig) -> Engine:
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
        engine: Engine,
        config: TranscriptionConfig,
        stats: TranscriptionStats,
        background_engine: Engine | None = None,
    ) -> None:
        self.engine = engine
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
        self._thread: threading.Thread | None = None
        self._decoding_finals = False  # the worker is on a batch of finals
        self.busy_seconds = 0.0
        #: (end time, seconds) of recent decodes, for the busy fraction
        self._recent: deque[tuple[float, float]] = deque()

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="heard-decoder", daemon=True)
            self._thread.start()
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
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)
            self._thread = None
        if self._bg_thread is not None:
            await asyncio.to_thread(self._bg_thread.join)
            self._bg_thread = None

    def queue_depth(self) -> int:
        with self._cond:
            return len(self._finals) + len(self._partials) + len(self._background)

    def live_depth(self) -> int:
        """Finals and partials queued, plus one while a final is decoding (no background)."""
        with self._cond:
            return len(self._finals) + len(self._partials) + int(self._decoding_finals)

    def can_speculate(self) -> bool:
        """True when a speculative final would delay nobody: no final waiting or decoding
        and the decoder busy less than :data:`SPECULATE_BUSY_LIMIT` of late."""
        if getattr(self.engine, "incremental", False):
            # Kaldi: a final only feeds the tail, and a discarded speculative final
            # ends the recognizer, so resumed speech is fed again from the start.
            return False
        with self._cond:
            if self._closing or self._finals or self._decoding_finals:
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
    def _take(self) -> list[_Job] | None:
        with self._cond:
            while True:
                if self._releases:
                    for key in self._releases:
                        self.engine.release(key)
                    self._releases.clear()
                self._decoding_finals = False
                if self._finals:
                    n = min(len(self._finals), max(1, self.engine.max_batch))
                    batch = [self._finals.popleft() for _ in range(n)]
                    shed = self.config.shed_busy
                    behind = shed is not None and self.busy_fraction() > shed
                    self.engine.backlog = len(self._finals) + (SHED_BACKLOG if behind else 0)
                    self._decoding_finals = True
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
                    self.engine.backlog = 0
                    return [job]
                incremental = getattr(self.engine, "incremental", False)
                if self._partials and not incremental and self.busy_fraction() > PARTIAL_BUSY_LIMIT:
                    # Saturated: a partial decode would only delay the next final.
                    for job in self._partials.values():
                        job.loop.call_soon_threadsafe(_resolve, job.future, None)
                    self.stats.partials_dropped += len(self._partials)
                    self._partials.clear()
                if self._partials:
                    keys = sorted(self._partials, key=lambda k: self._partials[k].queued_at)
                    keys = keys[: max(1, self.engine.max_batch)]
                    self.engine.backlog = 0
                    return [self._partials.pop(k) for k in keys]
                if shared and self._background:
                    if self.busy_fraction() <= BACKGROUND_BUSY_LIMIT:
                        self.engine.backlog = 0
                        return [self._background.popleft()]
                    # The busy share decays with time alone: look again shortly.
                    self._cond.wait(BACKGROUND_POLL_S)
                    continue
                self._cond.wait()

    def _run(self) -> None:
        while True:
            jobs = self._take()
            if jobs is None:
                return
            self._decode(jobs)

    def _run_background(self) -> None:
        """The revision worker: its own engine, lowest CPU priority, oldest job first."""
        import os

        with contextlib.suppress(OSError, AttributeError):  # not everywhere: then plain
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
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

    def busy_fraction(self) -> float:
        """Share of the last :data:`BUSY_WINDOW_S` seconds spent decoding (hold ``_cond``)."""
        now = time.perf_counter()
        while self._recent and self._recent[0][0] < now - BUSY_WINDOW_S:
            self._recent.popleft()
        return min(1.0, sum(s for _, s in self._recent) / BUSY_WINDOW_S)

    def _decode(self, jobs: list[_Job]) -> None:
        t0 = time.perf_counter()
        try:
            results: list[DecodeResult | BaseException] = list(
                self.engine.decode([j.request for j in jobs])
            )
        except Exception as exc:  # one bad batch must not stop the decoder
            if len(jobs) > 1:
                for job in jobs:  # isolate the culprit: retry one by one
                    self._decode([job])
                return
            log.warning("decode failed: %s", type(exc).__name__)
            results = [RecognizerError(f"decode failed: {type(exc).__name__}: {exc}")]
            self.stats.errors += 1
        elapsed = time.perf_counter() - t0
        self.busy_seconds += elapsed
        with self._cond:  # busy_fraction() also runs on the event loop
            self._recent.append((time.perf_counter(), elapsed))
        self.stats.decodes += 1
        self.stats.decode_seconds += elapsed
        for job, res in zip(jobs, results, strict=True):
            self.stats.audio_seconds_decoded += job.request.duration
            if isinstance(res, DecodeResult) and res.fallback:
                self.stats.fallbacks += 1
            job.loop.call_soon_threadsafe(_resolve, job.future, res)


def _resolve(fut: asyncio.Future[DecodeResult | None], res: object) -> None:
    if fut.done():
        return
    if isinstance(res, BaseException):
        fut.set_exception(res)
    else:
        fut.set_result(res)  # type: ignore[arg-type]

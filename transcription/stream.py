"""The real :class:`~transcription.recognizer.Recognizer`: one speaker of one call.

``push`` (event loop, never blocks) -> :class:`~transcription.vad.Endpointer`
(inline when the audio is under the energy gate, else in the shared VAD thread)
-> :class:`~transcription.decoder.Decoder` (shared worker) -> ``async for``.

Ordering: finals are emitted in utterance order, each after its partials; a
partial that comes back after its final is dropped. ``seq`` is dense per
speaker: it is assigned when an utterance first produces text, so an utterance
the model hears as nothing (a cough) leaves no gap.

Revisions (``config.revise``): every first-pass final is also handed to a
:class:`~transcription.revise.Reviser`; when the speaker pauses, the group of
their recent finals is decoded again as background work and the utterances it
changed are emitted again with ``revision=1`` (same ``seq``). ``flush`` submits the
last group without waiting for it (the live path's last finals are out);
``aclose`` expedites the stream's revisions past the idle rule and waits for them
(at most :data:`REVISE_CLOSE_WAIT_S`) before the stream ends.

Speculative finals (``config.speculate_after_s``): after a short silence the
endpointer hands over the utterance exactly as its final would be; if the
decoder is idle it is decoded at once as a final. When the end silence
completes, the final segment is checked against it (same start, same samples)
and takes over its future: the result is emitted as soon as it exists, with no
second decode. When speech resumes the speculative decode is cancelled (if still
queued) or its result ignored. So a final's text never depends on speculation.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from transcription.config import TranscriptionConfig
from transcription.decoder import Decoder
from transcription.engine import DecodeRequest, DecodeResult
from transcription.errors import RecognizerError
from transcription.outbox import Outbox
from transcription.revise import EDGE_S, KEEP_S, Reviser, RevisionJob, Said, revised
from transcription.service import TranscriptionStats
from transcription.types import AudioChunk, Speaker, Utterance
from transcription.vad import Endpointer, Segment, SileroVad

#: one thread runs every stream's VAD model (Silero is ~0.1 ms per window)
_VAD_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="heard-vad")
#: audio waiting for the VAD beyond this many seconds is dropped (and counted)
MAX_BACKLOG_S = 30.0
#: aclose waits this long for the stream's revisions, then drops them (counted)
REVISE_CLOSE_WAIT_S = 30.0
#: let a few 20 ms frames gather before a VAD pass: one thread hop per ~2 windows
#: instead of one per frame (endpointing works in 32 ms windows anyway)
COALESCE_S = 0.04


class StreamRecognizer:
    def __init__(
        self,
        call_id: str,
        speaker: Speaker,
        vad: SileroVad,
        decoder: Decoder,
        config: TranscriptionConfig,
        stats: TranscriptionStats,
        *,
        on_close: Callable[[], object] | None = None,
    ) -> None:
        self.call_id = call_id
        self.speaker = speaker
        self.key = (call_id, speaker)
        self.config = config
        self.stats = stats
        self.closed = False
        self._decoder = decoder
        # A discarded speculative decode would leave its text as the next prompt.
        speculate = None if config.condition_on_previous else config.speculate_after_s
        self._endpointer = Endpointer(
            vad, config.vad,
            partial_interval_s=config.partial_interval_s if config.partials else None,
            speculate_after_s=speculate,
        )
        #: the standing speculative final: its segment and decode
        self._spec: tuple[Segment, asyncio.Future[DecodeResult | None]] | None = None
        self._on_close = on_close
        self._inbox: deque[AudioChunk] = deque()
        self._backlog_s = 0.0
        self._wake = asyncio.Event()
        self._pump_task: asyncio.Task[None] | None = None
        self._emit_queue: asyncio.Queue[tuple[Segment, asyncio.Future[DecodeResult | None]]]
        self._emit_queue = asyncio.Queue()
        self._emit_task: asyncio.Task[None] | None = None
        self._out = Outbox()
        self._seq_of: dict[int, int] = {}
        self._next_seq = 0
        self._finalized = -1  # highest segment index whose final was emitted
        self._busy = False
        self._reviser = Reviser() if config.revise else None
        #: call time where each final queued for emission (not yet emitted) starts
        self._inflight: deque[float] = deque()
        self._revisions: set[asyncio.Future[DecodeResult | None]] = set()

    # -- Recognizer -------------------------------------------------------------------------
    def push(self, chunk: AudioChunk) -> None:
        if self.closed:
            raise RecognizerError(f"stream {self.call_id}/{self.speaker} is closed")
        if chunk.call_id != self.call_id or chunk.speaker != self.speaker:
            raise RecognizerError(
                f"chunk of {chunk.call_id}/{chunk.speaker} pushed to {self.call_id}/{self.speaker}"
            )
        self.stats.audio_seconds_in += chunk.duration
        self._ensure_tasks()
        if self._reviser is not None:
            self._reviser.audio(chunk)
        if not self._inbox and not self._busy and not self._endpointer.needs_model(chunk.pcm):
            # Silence under the energy gate: no model, no thread hop, no task switch.
            self._handle(self._endpointer.feed(chunk.pcm, chunk.start))
            self._check_pause()
            return
        self._inbox.append(chunk)
        self._backlog_s += chunk.duration
        while self._backlog_s > MAX_BACKLOG_S and len(self._inbox) > 1:
            old = self._inbox.popleft()
            self._backlog_s -= old.duration
            self.stats.dropped_chunks += 1
        self._wake.set()

    async def flush(self) -> None:
        await self._drain_inbox()
        self._handle(self._endpointer.flush())
        await self._emit_queue.join()
        if self._reviser is not None:
            self._revise(self._reviser.take())
        await self._out.delivered()

    def __aiter__(self) -> AsyncIterator[Utterance]:
        return self._out.__aiter__()

    async def aclose(self) -> None:
        if self.closed:
            return
        try:
            await self.flush()
            await self._await_revisions()
        finally:
            self.closed = True
            self._drop_spec()
            if self._reviser is not None:
                self.stats.revisions_dropped += self._reviser.missed
            for task in (self._pump_task, self._emit_task):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            self._decoder.release(self.key)
            self._out.close()
            if self._on_close is not None:
                self._on_close()

    @property
    def settled(self) -> bool:
        """No audio waiting for the VAD and no final waiting to be emitted."""
        return not self._inbox and not self._busy and not self._inflight

    # -- internals --------------------------------------------------------------------------
    def _ensure_tasks(self) -> None:
        if self._pump_task is None:
            self._pump_task = asyncio.create_task(self._pump(), name=f"vad-{self.key}")
            self._emit_task = asyncio.create_task(self._emitter(), name=f"emit-{self.key}")

    async def _drain_inbox(self) -> None:
        while self._inbox or self._busy:
            self._wake.set()
            await asyncio.sleep(0.005)

    async def _pump(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            if self._backlog_s < COALESCE_S:
                await asyncio.sleep(COALESCE_S)
            self._wake.clear()
            while self._inbox:
                chunks = list(self._inbox)
                self._inbox.clear()
                self._backlog_s = 0.0
                self._busy = True
                try:
                    segments = await loop.run_in_executor(_VAD_POOL, self._feed_all, chunks)
                finally:
                    self._busy = False
                self._handle(segments)
            self._check_pause()

    def _feed_all(self, chunks: list[AudioChunk]) -> list[Segment]:
        out: list[Segment] = []
        for c in chunks:
            out += self._endpointer.feed(c.pcm, c.start)
        return out

    def _handle(self, segments: list[Segment]) -> None:
        for seg in segments:
            if seg.retract:
                self._drop_spec()
                continue
            if seg.speculative:
                self._speculate(seg)
                continue
            if seg.final and self._spec is not None:
                spec, spec_fut = self._spec
                if (
                    spec.index == seg.index
                    and spec.start == seg.start
                    and np.array_equal(spec.audio, seg.audio)
                ):
                    self._spec = None
                    self.stats.speculative_used += 1
                    self.stats.speech_seconds += len(seg.audio) / 16000
                    self._inflight.append(seg.start)
                    self._emit_queue.put_nowait((seg, spec_fut))
                    continue
                self._drop_spec()  # not the same audio: decode the final as usual
            if seg.final:
                self.stats.speech_seconds += len(seg.audio) / 16000
            elif not self.config.partials:
                continue
            req = DecodeRequest(self.key, seg.index, seg.audio, seg.start, seg.final)
            fut = self._decoder.submit(req)
            if seg.final:
                self._inflight.append(seg.start)
                self._emit_queue.put_nowait((seg, fut))
            else:
                fut.add_done_callback(functools.partial(self._on_partial, seg))

    def _speculate(self, seg: Segment) -> None:
        self._drop_spec()
        if not self._decoder.can_speculate():
            self.stats.speculative_skipped += 1
            return
        req = DecodeRequest(self.key, seg.index, seg.audio, seg.start, True)
        self._spec = (seg, self._decoder.submit(req))
        self.stats.speculative += 1

    def _drop_spec(self) -> None:
        if self._spec is None:
            return
        _, fut = self._spec
        self._spec = None
        self.stats.speculative_discarded += 1
        self._decoder.cancel(fut)
        # if it was already decoding, its result is simply never looked at
        fut.add_done_callback(_consume)

    def _on_partial(self, seg: Segment, fut: asyncio.Future[DecodeResult | None]) -> None:
        if fut.cancelled() or fut.exception() is not None or self.closed:
            return
        res = fut.result()
        if res is None or not res.text or seg.index <= self._finalized:
            return
        self._put(seg, res, final=False)

    async def _emitter(self) -> None:
        while True:
            seg, fut = await self._emit_queue.get()
            try:
                try:
                    res = await fut
                except RecognizerError:
                    res = None  # counted by the decoder; the stream goes on
                self._finalized = max(self._finalized, seg.index)
                if res is not None and (res.text or seg.index in self._seq_of):
                    self._put(seg, res, final=True)
            finally:
                self._inflight.popleft()
                self._emit_queue.task_done()
                self._check_pause()

    def _put(self, seg: Segment, res: DecodeResult, *, final: bool) -> None:
        seq = self._seq_of.get(seg.index)
        if seq is None:
            seq = self._seq_of[seg.index] = self._next_seq
            self._next_seq += 1
        if final:
            self._seq_of.pop(seg.index, None)
            self.stats.finals += 1
            if self._reviser is not None and res.text:
                said = Said(seq, seg.start, seg.end, res.text,
                            res.words[0].start if res.words else None,
                            res.words[-1].end if res.words else None)
                for job in self._reviser.final(said):
                    self._revise(job)
        else:
            self.stats.partials += 1
        words = res.words
        start = words[0].start if words else seg.start
        end = words[-1].end if words else seg.end
        start, end = float(np.round(start, 3)), float(np.round(max(end, start), 3))
        self._out.put(
            Utterance(self.call_id, self.speaker, seq, res.text, start, end, final, words)
        )


    async def _await_revisions(self) -> None:
        if not self._revisions:
            return
        self._decoder.expedite(self.key)
        pending = list(self._revisions)
        _, late = await asyncio.wait(pending, timeout=REVISE_CLOSE_WAIT_S)
        for fut in late:  # the decoder is saturated: the first pass stands
            self._decoder.cancel(fut)

    def _check_pause(self) -> None:
        """Revise the speaker's pending finals once they have been silent long enough."""
        if self._reviser is None:
            return
        clock = self._endpointer.clock
        keep = clock - KEEP_S
        if self._inflight:
            keep = min(keep, self._inflight[0] - EDGE_S)
        self._reviser.keep_from(keep)
        if self._inflight or self._endpointer.speaking:
            return
        self._revise(self._reviser.silent_until(clock))

    def _revise(self, job: RevisionJob | None) -> None:
        if job is None or self.closed:
            return
        req = DecodeRequest(self.key, -1, job.audio, job.offset, True)
        try:
            fut = self._decoder.submit(req, background=True)
        except RecognizerError:
            self.stats.revisions_dropped += 1
            return
        self.stats.revisions += 1
        self._revisions.add(fut)
        fut.add_done_callback(functools.partial(self._on_revision, job))

    def _on_revision(self, job: RevisionJob, fut: asyncio.Future[DecodeResult | None]) -> None:
        self._revisions.discard(fut)
        if fut.cancelled() or fut.exception() is not None or self.closed:
            self.stats.revisions_dropped += 1
            return
        res = fut.result()
        if res is None:
            self.stats.revisions_dropped += 1
            return
        utts = revised(self.call_id, self.speaker, job, res.words)
        if utts:
            self.stats.revisions_changed += 1
            self.stats.revised_utterances += len(utts)
        for utt in utts:
            self._out.put(utt)


def _consume(fut: asyncio.Future[DecodeResult | None]) -> None:
    """Retrieve a discarded future's outcome so asyncio never logs it as unhandled."""
    if not fut.cancelled():
        fut.exception()

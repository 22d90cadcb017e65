"""Scripted fakes of the recognizer and the service, for tests of everything above them.

They honour the same contracts as the real ones (:class:`Recognizer`,
:class:`~transcription.service.Transcriber`) without any model:

* a :class:`ScriptedUtterance` is emitted (a partial with its first half of
  words, then the final) as soon as the audio pushed for its speaker reaches its
  ``end`` on the call clock, so a test that streams real audio frames through the
  audio edge gets utterances at the right moments;
* :meth:`FakeRecognizer.flush` emits the utterance that has begun but not ended
  (end of call), like the real endpointing does;
* :meth:`FakeRecognizer.emit` injects an utterance right now, for tests that
  push no audio at all.

Example::

    svc = FakeTranscriptionService([ScriptedUtterance("caller", "hello there", 0.5, 1.4)])
    await svc.start()
    rec = svc.open_stream("call-1", "caller")
    rec.push(chunk)              # chunk reaching 1.4 s on the call clock
    async for utt in rec: ...    # partial "hello", then final "hello there"
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from transcription.errors import RecognizerError
from transcription.outbox import Outbox
from transcription.service import TranscriptionStats
from transcription.types import AudioChunk, Speaker, Utterance, Word


@dataclass(frozen=True, slots=True)
class ScriptedUtterance:
    """What the fake will "recognise": ``text`` said by ``speaker`` from ``start`` to ``end``.

    ``call_id`` restricts it to one call; ``None`` plays it on every call.
    """

    speaker: Speaker
    text: str
    start: float
    end: float
    call_id: str | None = None


def _words(text: str, start: float, end: float, confidence: float) -> tuple[Word, ...]:
    tokens = text.split()
    if not tokens:
        return ()
    step = (end - start) / len(tokens)
    return tuple(
        Word(tok, round(start + i * step, 3), round(start + (i + 1) * step, 3), confidence)
        for i, tok in enumerate(tokens)
    )


class FakeRecognizer:
    """A :class:`~transcription.recognizer.Recognizer` playing a script against the call clock."""

    def __init__(
        self,
        call_id: str,
        speaker: Speaker,
        script: Iterable[ScriptedUtterance] = (),
        *,
        partials: bool = True,
        confidence: float = 0.9,
        stats: TranscriptionStats | None = None,
    ) -> None:
        self.call_id = call_id
        self.speaker = speaker
        self.partials = partials
        self.confidence = confidence
        self.pushed: list[AudioChunk] = []
        self.clock = 0.0
        self.closed = False
        self._pending = sorted(
            (
                s
                for s in script
                if s.speaker == speaker and (s.call_id is None or s.call_id == call_id)
            ),
            key=lambda s: s.start,
        )
        self._seq = 0
        self._out = Outbox()
        self._stats = stats

    # -- Recognizer -------------------------------------------------------------------------
    def push(self, chunk: AudioChunk) -> None:
        if self.closed:
            raise RecognizerError(f"stream {self.call_id}/{self.speaker} is closed")
        if chunk.call_id != self.call_id or chunk.speaker != self.speaker:
            raise RecognizerError(
                f"chunk of {chunk.call_id}/{chunk.speaker} pushed to {self.call_id}/{self.speaker}"
            )
        self.pushed.append(chunk)
        self.clock = max(self.clock, chunk.end)
        if self._stats is not None:
            self._stats.audio_seconds_in += chunk.duration
        while self._pending and self._pending[0].end <= self.clock + 1e-9:
            self._play(self._pending.pop(0))

    async def flush(self) -> None:
        while self._pending and self._pending[0].start < self.clock:
            self._play(self._pending.pop(0))
        await asyncio.sleep(0)
        await self._out.delivered()

    def __aiter__(self) -> AsyncIterator[Utterance]:
        return self._out.__aiter__()

    async def aclose(self) -> None:
        if not self.closed:
            self.closed = True
            self._out.close()

    # -- test helpers -----------------------------------------------------------------------
    def emit(
        self,
        text: str,
        *,
        final: bool = True,
        start: float | None = None,
        end: float | None = None,
    ) -> Utterance:
        """Emit an utterance now (a partial keeps the seq; the next final reuses it)."""
        s = self.clock if start is None else start
        e = s + 0.3 * max(1, len(text.split())) if end is None else end
        utt = Utterance(
            self.call_id,
            self.speaker,
            self._seq,
            text,
            s,
            e,
            final,
            _words(text, s, e, self.confidence),
        )
        self._deliver(utt)
        if final:
            self._seq += 1
        return utt

    def revise(self, seq: int, text: str, *, start: float, end: float) -> Utterance:
        """Emit a second-pass revision of final ``seq`` (as the real stream does)."""
        utt = Utterance(self.call_id, self.speaker, seq, text, start, end, True,
                        _words(text, start, end, self.confidence), revision=1)
        self._deliver(utt)
        return utt

    def _play(self, line: ScriptedUtterance) -> None:
        tokens = line.text.split()
        if self.partials and len(tokens) > 1:
            half = " ".join(tokens[: len(tokens) // 2])
            mid = line.start + (line.end - line.start) / 2
            self.emit(half, final=False, start=line.start, end=mid)
        self.emit(line.text, final=True, start=line.start, end=line.end)

    def _deliver(self, utt: Utterance) -> None:
        if self.closed:
            raise RecognizerError(f"stream {self.call_id}/{self.speaker} is closed")
        if self._stats is not None:
            if utt.final:
                self._stats.finals += 1
            else:
                self._stats.partials += 1
        self._out.put(utt)


class FakeTranscriptionService:
    """Same surface as :class:`~transcription.service.TranscriptionService`, scripted.

    ``streams[(call_id, speaker)]`` gives tests the open :class:`FakeRecognizer`
    (e.g. to :meth:`~FakeRecognizer.emit` into it).
    """

    def __init__(self, script: Iterable[ScriptedUtterance] = (), *, partials: bool = True) -> None:
        self.script = tuple(script)
        self.partials = partials
        self.streams: dict[tuple[str, Speaker], FakeRecognizer] = {}
        self.started = False
        self._stats = TranscriptionStats()

    async def start(self) -> None:
        self.started = True

    def open_stream(self, call_id: str, speaker: Speaker) -> FakeRecognizer:
        if not self.started:
            raise RecognizerError("service not started: await start() first")
        key = (call_id, speaker)
        old = self.streams.get(key)
        if old is not None and not old.closed:
            raise RecognizerError(f"stream {call_id}/{speaker} is already open")
        rec = FakeRecognizer(
            call_id, speaker, self.script, partials=self.partials, stats=self._stats
        )
        self.streams[key] = rec
        return rec

    def stats(self) -> TranscriptionStats:
        self._stats.streams_open = sum(1 for r in self.streams.values() if not r.closed)
        return self._stats

    async def aclose(self) -> None:
        for rec in self.streams.values():
            await rec.aclose()
        self.started = False

    async def __aenter__(self) -> FakeTranscriptionService:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

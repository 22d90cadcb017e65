"""The facade the server uses: one model per process, one recognizer per speaker channel.

Usage::

    service = TranscriptionService(TranscriptionConfig())   # embedded tiny.en, int8, CPU
    await service.start()                                     # loads models off the loop
    edge = AudioEdge(call_id, AudioFormat("mulaw", 8000, 1, ("caller",)))
    rec = service.open_stream(call_id, "caller")              # VAD + endpointing + shared decoder
    for chunk in edge.decode(payload):
        rec.push(chunk)                                       # never blocks, never decodes
    async for utt in rec: ...                                 # partial/final Utterances
    await rec.flush(); await rec.aclose()
    await service.aclose()

:class:`Transcriber` is the structural type both this class and
:class:`~transcription.fake.FakeTranscriptionService` satisfy; code above the
transcription stage should depend on it, not on either class.

Failure isolation: bad audio raises :class:`~transcription.errors.AudioFormatError`
at the edge of the call that sent it; a decode error fails only the utterance
being decoded (it is counted in ``stats().errors`` and the stream goes on).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from transcription.config import TranscriptionConfig
from transcription.errors import RecognizerError
from transcription.recognizer import Recognizer
from transcription.types import Speaker

if TYPE_CHECKING:
    from transcription.decoder import Decoder
    from transcription.engine import Engine
    from transcription.vad import SileroVad


@dataclass(slots=True)
class TranscriptionStats:
    """Counters for /metrics (monotonic except ``streams_open`` and ``queue_depth``)."""

    streams_open: int = 0
    queue_depth: int = 0
    audio_seconds_in: float = 0.0
    speech_seconds: float = 0.0
    audio_seconds_decoded: float = 0.0
    decode_seconds: float = 0.0
    decodes: int = 0
    finals: int = 0
    partials: int = 0
    partials_dropped: int = 0
    dropped_chunks: int = 0
    fallbacks: int = 0
    errors: int = 0
    #: speculative finals submitted / emitted as the final / discarded / not tried (busy)
    speculative: int = 0
    speculative_used: int = 0
    speculative_discarded: int = 0
    speculative_skipped: int = 0
    #: second-pass revisions submitted / that changed at least one utterance /
    #: utterances re-emitted / dropped (decoder closed, cut-short decode)
    revisions: int = 0
    revisions_changed: int = 0
    revised_utterances: int = 0
    revisions_dropped: int = 0

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


class Transcriber(Protocol):
    """What the server needs from the transcription stage (real or fake)."""

    async def start(self) -> None: ...

    def open_stream(self, call_id: str, speaker: Speaker) -> Recognizer: ...

    def stats(self) -> TranscriptionStats: ...

    async def aclose(self) -> None: ...


def _thread_ids() -> set[int]:
    try:
        return {int(t) for t in os.listdir("/proc/self/task")}
    except OSError:  # not Linux: no per-thread priority either
        return set()


def _build_low_priority(config: TranscriptionConfig) -> Engine:
    """Build an engine whose compute threads run at the lowest CPU priority (nice 19).

    CTranslate2 computes in threads of its own, created when the model loads, not
    in the thread that calls it: so the threads that appear while this model loads
    are the ones lowered. Elsewhere than Linux the engine is just built.
    """
    from transcription.decoder import build_engine

    before = _thread_ids()
    engine = build_engine(config)
    for tid in _thread_ids() - before:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, tid, 19)
    return engine


class TranscriptionService:
    """One shared decoder (one model) and one Silero VAD session serving every call."""

    def __init__(
        self, config: TranscriptionConfig | None = None, *, engine: Engine | None = None
    ) -> None:
        """``engine``: an already loaded engine (tests, sharing); default: load per config."""
        self.config = config or TranscriptionConfig()
        self._engine = engine
        self._stats = TranscriptionStats()
        self._decoder: Decoder | None = None
        self._vad: SileroVad | None = None
        self._streams: dict[tuple[str, Speaker], Any] = {}

    async def start(self) -> None:
        """Load the model and the VAD (in a worker thread); raises ModelLoadError."""
        if self._decoder is not None:
            return
        from transcription.decoder import Decoder, build_lanes
        from transcription.vad import SileroVad

        engines: list[Engine]
        if self._engine is not None:
            engines = [self._engine]
        else:
            engines = await asyncio.to_thread(build_lanes, self.config)
        background = None
        if self._engine is None and self.config.revise and self.config.engine == "whisper":
            # Revisions get their own model instance (~40 MB for tiny.en), one thread,
            # lowest priority: the live decoder never waits behind one.
            low = replace(self.config, threads=1)
            background = await asyncio.to_thread(_build_low_priority, low)
        self._vad = await asyncio.to_thread(SileroVad)
        self._decoder = Decoder(engines, self.config, self._stats, background)
        self._decoder.start()

    def open_stream(self, call_id: str, speaker: Speaker) -> Recognizer:
        """A recognizer for one speaker of one call (VAD, endpointing, shared decoder)."""
        from transcription.stream import StreamRecognizer

        if self._decoder is None or self._vad is None:
            raise RecognizerError("service not started: await start() first")
        key = (call_id, speaker)
        old = self._streams.get(key)
        if old is not None and not old.closed:
            raise RecognizerError(f"stream {call_id}/{speaker} is already open")
        rec = StreamRecognizer(
            call_id, speaker, self._vad, self._decoder, self.config, self._stats,
            on_close=lambda: self._streams.pop(key, None),
        )
        self._streams[key] = rec
        return rec

    def settled(self) -> bool:
        """Every stream has endpointed what it was given and the decoder has no live work
        (background revisions aside): what a real-time stream sees between two frames."""
        if self._decoder is not None and self._decoder.live_depth():
            return False
        return all(rec.settled for rec in self._streams.values())

    def stats(self) -> TranscriptionStats:
        self._stats.streams_open = len(self._streams)
        if self._decoder is not None:
            self._stats.queue_depth = self._decoder.queue_depth()
        return self._stats

    async def aclose(self) -> None:
        """Close every open stream (pending finals are emitted), then stop the decoder."""
        for rec in list(self._streams.values()):
            with contextlib.suppress(RecognizerError):
                await rec.aclose()
        if self._decoder is not None:
            await self._decoder.aclose()
            self._decoder = None

    async def __aenter__(self) -> TranscriptionService:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

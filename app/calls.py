"""Call sessions: one per live call, from decoded audio to the bus and the store.

Pipeline of one call::

    connector --AudioChunk--> CallSession.push --> recorder (WAV per speaker)
                                              \\-> Recognizer (one per speaker)
    Recognizer --Utterance--> CallSession._on_utterance --> bus (partials, finals)
                                                       \\-> store (finals)
                                                       \\-> CueEngine.feed --> bus + store (cues,
                                                                               context, alerts)

The life of a call as phone systems live it:

* **hold** (AudioHook ``paused``, or no audio at all for ``hold_after_silence_s``)
  puts the call ``on_hold``; it is not ended. Audio (or ``resumed``) makes it live.
* **transfer**: a connection for the same call id naming another agent continues
  the same session (history, engine, seq) and publishes the agent change.
* **reconnect**: a connection that drops without a stop keeps its session for
  ``reconnect_grace_s``; a new connection with the same call id resumes it. After
  a server restart the session is rebuilt from the store (transcript, cues, the
  engine re-fed with the stored finals; seq numbers continue).
* **end**: recognizers flushed and drained, ``engine.end_call()`` (``take_a_reset``
  on a heavy call), rubric stored, state ``ended``.

Errors are contained: a failing recognizer, engine step or store write is logged
and counted for that call; no other call is touched.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from app.bus import Bus
from app.events import (
    Alert,
    CallEnded,
    CallStarted,
    CallState,
    CallUpdated,
    ContextEvent,
    CueEvent,
    UtteranceEvent,
)
from app.metrics import Metrics
from app.settings import Settings
from app.store import Recorder, Store, Writer
from cues.types import (
    ALERT_KINDS,
    CallContext,
    ContextChanged,
    Cue,
    CueRaised,
    CueRefreshed,
    Rubric,
)
from transcription.errors import RecognizerError
from transcription.recognizer import Recognizer
from transcription.service import Transcriber
from transcription.types import SPEAKERS, AudioChunk, Speaker, Utterance

log = logging.getLogger("heard.calls")

#: How long ``end`` waits for a recognizer to emit its last finals.
DRAIN_TIMEOUT_S = 30.0


#: Below this RMS (about -50 dBFS) a chunk is silence for hold detection.
SILENCE_RMS = 0.003


def _voiced(chunk: AudioChunk) -> bool:
    pcm = chunk.pcm
    return bool(len(pcm)) and float(np.sqrt(np.mean(pcm * pcm))) > SILENCE_RMS


class CueEngineLike(Protocol):
    """What a session needs of :class:`cues.engine.CueEngine`."""

    def feed(self, utt: Utterance) -> Sequence[Any]: ...

    def end_call(self) -> Sequence[Any]: ...

    @property
    def context(self) -> CallContext: ...

    def rubric(self) -> Rubric: ...


EngineFactory = Callable[[str], CueEngineLike]


class NullEngine:
    """No cues: stands in when the real engine failed to build (the call goes on)."""

    context = CallContext()

    def feed(self, utt: Utterance) -> Sequence[Any]:
        return ()

    def end_call(self) -> Sequence[Any]:
        return ()

    def rubric(self) -> Rubric:
        return Rubric(())


def default_engine_factory(call_id: str) -> CueEngineLike:
    from cues.engine import CueEngine  # imported lazily: the engine loads its playbook

    engine: CueEngineLike = CueEngine(call_id)
    return engine


@dataclass
class CallServices:
    """What every session shares (built once by the app's lifespan)."""

    settings: Settings
    bus: Bus
    store: Store
    writer: Writer
    recorder: Recorder
    transcriber: Transcriber
    metrics: Metrics
    engine_factory: EngineFactory = default_engine_factory


class CallError(Exception):
    """A call cannot be opened or continued (e.g. its recognizers cannot start)."""


#: Modules whose exception messages Heard writes itself: ids, formats, states, never
#: what was said. Any other message (a library's ValueError, a database error with
#: its parameters) may quote a transcript, so only its type and place are logged.
_OWN_MESSAGE_MODULES = ("app.calls", "cues.engine", "transcription.errors")
MAX_ERROR_MSG = 120


def describe_error(e: BaseException) -> dict[str, str]:
    """A pipeline error for the logs without patient data.

    ``error`` the type; ``error_msg`` a short message only when it cannot carry
    transcript text (Heard's own errors, an OS error's strerror), else empty;
    ``error_at`` ``file:function:line`` where it was raised.
    """
    msg = ""
    if isinstance(e, RecognizerError) or type(e).__module__ in _OWN_MESSAGE_MODULES:
        msg = str(e)
    elif isinstance(e, OSError) and e.strerror:
        msg = e.strerror  # never the filename: it could name a recording
    msg = " ".join(msg.split())
    if len(msg) > MAX_ERROR_MSG:
        msg = msg[: MAX_ERROR_MSG - 1] + "…"
    frames = traceback.extract_tb(e.__traceback__) if e.__traceback__ else []
    at = f"{Path(frames[-1].filename).name}:{frames[-1].name}:{frames[-1].lineno}" if frames else ""
    return {"error": type(e).__name__, "error_msg": msg, "error_at": at}


class CapacityError(CallError):
    """The server already carries ``max_live_calls`` calls (a new one is refused, 1013)."""


@dataclass
class _Arrivals:
    """When (monotonic) audio reaching each call-clock time arrived, per speaker."""

    ends: list[float] = field(default_factory=list)
    at: list[float] = field(default_factory=list)

    def add(self, end: float, at: float) -> None:
        self.ends.append(end)
        self.at.append(at)
        if len(self.ends) > 20_000:  # ~7 min of 20 ms frames: plenty for any evidence
            del self.ends[:10_000], self.at[:10_000]

    def arrival_of(self, t: float) -> float | None:
        i = bisect.bisect_left(self.ends, t - 1e-3)
        return self.at[i] if i < len(self.at) else None


class CallSession:
    """The live state and pipeline of one call. Create through :class:`CallRegistry`."""

    def __init__(self, services: CallServices, call_id: str, agent: str, source: str) -> None:
        self.s = services
        self.call_id = call_id
        self.agent = agent
        self.source = source
        self.state: CallState = "live"
        self.started_at = time.time()
        self.errors = 0
        self.engine: CueEngineLike = self._make_engine()
        self.context: CallContext = CallContext()
        self.finals: list[Utterance] = []
        self.partials: dict[Speaker, Utterance] = {}
        self.cues: dict[str, Cue] = {}
        self.rubric: Rubric | None = None
        self.clock = 0.0  # call time just after the latest audio received
        self.connections = 0
        self.disconnected_at: float | None = None  # wall clock
        self.last_audio = time.monotonic()
        #: why the call is on hold: "hold" (the phone system said so: only its resume
        #: ends it) or "silence" (no sound for a while: sound ends it)
        self.hold_reason: str | None = None
        self.ended = asyncio.Event()
        self._seq_offset: dict[str, int] = {}
        self._recognizers: dict[Speaker, Recognizer] = {}
        self._readers: dict[Speaker, asyncio.Task[None]] = {}
        self._dead: set[str] = set()  # speakers whose recognizer failed
        self._arrivals: dict[str, _Arrivals] = {sp: _Arrivals() for sp in SPEAKERS}
        self._grace: asyncio.Task[None] | None = None
        self._end_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._ending = False

    # -- set-up ----------------------------------------------------------------------------

    def _make_engine(self) -> CueEngineLike:
        """The cue engine; if it cannot be built the call is still transcribed and stored."""
        try:
            return self.s.engine_factory(self.call_id)
        except Exception as e:
            self._error("cue_engine", e)
            return NullEngine()

    def _open_streams(self) -> None:
        for speaker in SPEAKERS:
            try:
                rec = self.s.transcriber.open_stream(self.call_id, speaker)
            except RecognizerError as e:
                raise CallError(f"call {self.call_id}: cannot open {speaker} stream: {e}") from e
            self._recognizers[speaker] = rec
            self._readers[speaker] = asyncio.create_task(
                self._read(speaker, rec), name=f"recognizer:{self.call_id}:{speaker}"
            )

    def _restore(self, finals: list[Utterance], cues: list[Cue], next_seqs: dict[str, int]) -> None:
        """Rebuild a call's state after a restart: re-feed the engine, continue seq numbers."""
        for utt in finals:
            with contextlib.suppress(Exception):
                self.engine.feed(utt)  # events already stored; only the engine's state matters
        self.finals = list(finals)
        self.cues = {c.id: c for c in cues}
        self.context = self.engine.context
        self._seq_offset = dict(next_seqs)
        if finals:
            self.clock = max(u.end for u in finals)

    # -- audio in --------------------------------------------------------------------------

    def edge_start(self) -> float:
        """Where a new connection's audio starts on the call clock.

        The time a dropped connection was away is call time too (the call went on),
        so the clock skips it.
        """
        if self.disconnected_at is None:
            return self.clock
        return self.clock + max(0.0, time.time() - self.disconnected_at)

    def push(self, chunk: AudioChunk) -> None:
        """One speaker's decoded audio (never blocks; decoding happens elsewhere)."""
        if self._ending:
            return
        now = time.monotonic()
        if _voiced(chunk):
            # Only sound counts: phone systems keep sending frames of silence on hold.
            self.last_audio = now
            if self.state == "on_hold" and self.hold_reason == "silence":
                self.set_state("live", "resume")
        self.clock = max(self.clock, chunk.end)
        self._arrivals[chunk.speaker].add(chunk.end, now)
        self.s.metrics.audio_seconds_in.labels(chunk.speaker).inc(chunk.duration)
        self.s.recorder.append(chunk)
        rec = self._recognizers.get(chunk.speaker)
        if rec is None or chunk.speaker in self._dead:
            return
        try:
            rec.push(chunk)
        except Exception as e:
            # This speaker's recognizer is broken: stop feeding it (one error, not one per
            # frame); the other speaker, the recording and every other call go on.
            self._dead.add(chunk.speaker)
            self._error("recognizer", e)

    # -- state -----------------------------------------------------------------------------

    def set_state(self, state: CallState, reason: str) -> None:
        if state == self.state or self._ending:
            return
        self.state = state
        self.hold_reason = reason if state == "on_hold" else None
        self.s.recorder.flush_call(self.call_id)  # on hold or away: audio so far to disk
        self.s.bus.publish(CallUpdated(self.call_id, state, self.agent, reason))
        self.s.writer.submit(self.s.store.set_state, self.call_id, state, duration_s=self.clock)
        log.info("call state", extra={"call_id": self.call_id, "state": state, "reason": reason})

    async def hold(self, reason: str = "hold") -> None:
        """On hold (not ended): close the open utterances so nothing lingers unfinalised."""
        self.set_state("on_hold", reason)
        await self._flush_all()

    def resume(self, reason: str = "resume") -> None:
        self.set_state("live", reason)

    def transfer(self, agent: str) -> None:
        """Another agent takes the call: same session, history and engine."""
        if not agent or agent == self.agent:
            return
        previous, self.agent = self.agent, agent
        self.s.bus.publish(
            CallUpdated(self.call_id, self.state, agent, "transfer", previous_agent=previous)
        )
        self.s.writer.submit(self.s.store.set_agent, self.call_id, agent, from_s=self.clock)
        log.info("call transferred", extra={"call_id": self.call_id})

    def check_silence(self, now: float, hold_after: float) -> None:
        if self.state == "live" and self.connections > 0 and now - self.last_audio > hold_after:
            self.set_state("on_hold", "silence")

    # -- recognizer output -----------------------------------------------------------------

    async def _read(self, speaker: Speaker, rec: Recognizer) -> None:
        try:
            async for utt in rec:
                try:
                    self._on_utterance(utt)
                except Exception as e:  # one bad step must not stop the stream
                    self._error("pipeline", e)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self._error("recognizer", e)

    def _on_utterance(self, utt: Utterance) -> None:
        offset = self._seq_offset.get(utt.speaker, 0)
        if offset:
            utt = replace(utt, seq=utt.seq + offset)
        self.s.bus.publish(UtteranceEvent(utt))
        if not utt.final:
            self.partials[utt.speaker] = utt
            return
        if utt.revision:
            self._on_revision(utt)
            return
        self.partials.pop(utt.speaker, None)
        self.finals.append(utt)
        self.s.metrics.utterances.labels(utt.speaker).inc()
        self.s.writer.submit(self.s.store.add_utterance, utt)
        try:
            events = self.engine.feed(utt)
        except Exception as e:
            self._error("cue_engine", e)
            return
        self._apply(events)

    def _on_revision(self, utt: Utterance) -> None:
        """The recognizer's second pass re-heard a final: the record and the screens take
        the better text. The cue engine does not see it again: cues were raised live on
        the first final, and a card that appeared must not be taken back or repeated."""
        for i, old in enumerate(self.finals):
            if old.speaker == utt.speaker and old.seq == utt.seq:
                self.finals[i] = utt
                break
        self.s.metrics.revisions.labels(utt.speaker).inc()
        self.s.writer.submit(self.s.store.revise_utterance, utt)

    def _apply(self, events: Sequence[Any]) -> None:
        now = time.time()
        mono = time.monotonic()
        for ev in events:
            if isinstance(ev, CueRaised | CueRefreshed):
                cue = ev.cue
                arrived = self._arrivals.get(cue.evidence.speaker, _Arrivals()).arrival_of(
                    cue.evidence.end
                )
                latency = (mono - arrived) if arrived is not None else None
                if latency is not None and isinstance(ev, CueRaised):
                    self.s.metrics.cue_latency.observe(latency)
                if isinstance(ev, CueRaised):
                    self.s.metrics.cues.labels(cue.kind).inc()
                self.cues[cue.id] = cue
                self.s.bus.publish(CueEvent(ev, delivered_at=now, latency_s=latency))
                self.s.writer.submit(
                    self.s.store.upsert_cue, cue, delivered_at=now, latency_s=latency
                )
                if isinstance(ev, CueRaised) and (cue.alert or cue.kind in ALERT_KINDS):
                    self.s.bus.publish(Alert(self.call_id, self.agent, cue, at=now))
            elif isinstance(ev, ContextChanged):
                self.context = ev.context
                self.s.bus.publish(ContextEvent(self.call_id, ev.context))
                self.s.writer.submit(self.s.store.set_context, self.call_id, ev.context)

    def _error(self, stage: str, e: BaseException) -> None:
        self.errors += 1
        self.s.metrics.pipeline_errors.labels(stage).inc()
        what = describe_error(e)
        # In the message too: plain-text logs (log_json off) do not show the extras.
        log.error(
            "call pipeline error in %s (call %s): %s%s at %s",
            stage,
            self.call_id,
            what["error"],
            f": {what['error_msg']}" if what["error_msg"] else "",
            what["error_at"],
            extra={"call_id": self.call_id, "stage": stage, **what},
        )

    # -- connections -----------------------------------------------------------------------

    def attach(self, agent: str) -> None:
        self.connections += 1
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        if self.disconnected_at is not None:
            self.disconnected_at = None
            self.s.bus.publish(CallUpdated(self.call_id, self.state, self.agent, "reconnect"))
            log.info("call reconnected", extra={"call_id": self.call_id})
        self.last_audio = time.monotonic()
        self.transfer(agent)

    def detach(self, *, clean: bool) -> asyncio.Task[None] | None:
        """A connection is gone. ``clean`` (a stop) ends the call; a drop leaves it open
        while another connection is attached, else ``reconnect_grace_s`` for a reconnect.

        Synchronous on purpose: what follows runs in tasks of its own, so a
        connection handler being cancelled cannot cut a call's ending short.
        """
        self.connections = max(0, self.connections - 1)
        if self._ending:
            return None
        if clean:
            # A stop ends the call even while another connection is counted: that one
            # is a superseded connection (a reload, a reconnect that raced the drop)
            # whose close the server has not seen yet, and it must not keep the call
            # open for the whole reconnect grace.
            return self._spawn(self.end("ended", "stop"), "end")
        if self.connections > 0:
            return None
        self.disconnected_at = time.time()
        self.s.recorder.flush_call(self.call_id)
        self.s.bus.publish(CallUpdated(self.call_id, self.state, self.agent, "disconnect"))
        log.info("call disconnected", extra={"call_id": self.call_id})
        self._grace = self._spawn(self._grace_then_end(), "grace")
        return self._grace

    def _spawn(self, coro: Coroutine[Any, Any, None], what: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro, name=f"{what}:{self.call_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _grace_then_end(self) -> None:
        await self._flush_all()  # nothing said before the drop lingers unfinalised
        await asyncio.sleep(self.s.settings.reconnect_grace_s)
        if self.connections == 0:
            await self.end("ended", "disconnected")

    async def _flush_all(self) -> None:
        for speaker, rec in list(self._recognizers.items()):
            try:
                await rec.flush()
            except RecognizerError as e:
                self._error("recognizer", e)
            except Exception as e:
                self._error(f"flush:{speaker}", e)

    # -- the end ---------------------------------------------------------------------------

    def _engine_heavy(self) -> bool:
        try:
            return bool(self.engine.context.heavy)
        except Exception:
            return False

    async def end(self, state: CallState = "ended", reason: str = "stop") -> None:
        """Finish the call: last finals, ``end_call`` cues, rubric; idempotent.

        The work runs in its own task (shielded): a caller that is cancelled while
        waiting does not leave the call half-ended.
        """
        if self._end_task is None:
            self._ending = True
            self._end_task = asyncio.get_running_loop().create_task(
                self._end(state, reason), name=f"end:{self.call_id}"
            )
        await asyncio.shield(self._end_task)

    async def _end(self, state: CallState, reason: str) -> None:
        try:
            await self._finish(state, reason)
        finally:
            self.ended.set()  # whatever happened, nobody waits on this call forever

    async def _finish(self, state: CallState, reason: str) -> None:
        if self._grace is not None and self._grace is not asyncio.current_task():
            self._grace.cancel()
        await self._flush_all()  # every first-pass final is in and cued
        try:
            self._apply(self.engine.end_call())
        except Exception as e:
            self._error("cue_engine", e)
        heavy = self.context.heavy or self._engine_heavy()
        try:
            self.rubric = self.engine.rubric()
        except Exception as e:
            self._error("rubric", e)
        # Closing waits for the recognizers' second pass (revised lines for the record);
        # the agent's end-of-call cues above did not.
        for rec in self._recognizers.values():
            with contextlib.suppress(Exception):
                await rec.aclose()
        readers = list(self._readers.values())
        if readers:
            _done, pending = await asyncio.wait(readers, timeout=DRAIN_TIMEOUT_S)
            for t in pending:
                t.cancel()
        self.state = state
        st = self.s.store
        self.s.writer.submit(st.set_rubric, self.call_id, self.rubric, heavy=heavy)
        self.s.writer.submit(
            st.set_state, self.call_id, state, reason=reason, duration_s=self.clock
        )
        self.s.recorder.close_call(self.call_id)
        self.s.bus.publish(
            CallEnded(
                self.call_id, self.agent, state, reason, self.clock, heavy=heavy, rubric=self.rubric
            )
        )
        log.info(
            "call ended",
            extra={
                "call_id": self.call_id,
                "state": state,
                "reason": reason,
                "finals": len(self.finals),
            },
        )


class CallRegistry:
    """The live calls of this server, by call id. One per app (on ``app.state.calls``)."""

    def __init__(self, services: CallServices) -> None:
        self.s = services
        self._calls: dict[str, CallSession] = {}
        self._opening: dict[str, asyncio.Lock] = {}
        self._watchdog: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._watchdog = asyncio.create_task(self._watch(), name="calls:watchdog")

    def get(self, call_id: str) -> CallSession | None:
        return self._calls.get(call_id)

    def live(self) -> list[CallSession]:
        return list(self._calls.values())

    async def open(self, call_id: str, agent: str, source: str) -> CallSession:
        """The session for ``call_id``: the live one (reconnect/transfer), one rebuilt from
        the store (after a restart), or a new one. The caller must ``detach`` it later."""
        lock = self._opening.setdefault(call_id, asyncio.Lock())
        async with lock:
            session = self._calls.get(call_id)
            if session is not None and not session._ending:
                session.attach(agent)
                return session
            if session is not None:
                await session.ended.wait()
            if len(self._calls) >= self.s.settings.max_live_calls:
                raise CapacityError(f"server at capacity ({len(self._calls)} live calls)")
            session = await self._create(call_id, agent, source)
            self._calls[call_id] = session
            self.s.metrics.live_calls.set(len(self._calls))
            session.attach(agent)
            asyncio.get_running_loop().create_task(self._forget_when_ended(session))
            return session

    async def _create(self, call_id: str, agent: str, source: str) -> CallSession:
        store = self.s.store
        await self.s.writer.flush()  # a previous session's writes land first
        existing = await asyncio.to_thread(store.get_call, call_id)
        session = CallSession(
            self.s, call_id, agent or (existing.agent if existing else ""), source
        )
        if existing is not None:
            finals = await asyncio.to_thread(store.transcript, call_id)
            cues = [c.cue for c in await asyncio.to_thread(store.cues, call_id)]
            seqs = await asyncio.to_thread(store.next_seqs, call_id)
            session._restore(finals, cues, seqs)
            session.clock = max(session.clock, existing.duration_s)
            session.agent = existing.agent
            session.started_at = existing.started_at.timestamp()
        session._open_streams()
        new = await asyncio.wrap_future(
            self.s.writer.submit(
                store.open_call,
                call_id,
                session.agent,
                source,
                started_at=session.started_at,
                record_audio=self.s.settings.record_audio,
            )
        )
        self.s.metrics.calls_started.labels(source).inc()
        if new:
            self.s.bus.publish(CallStarted(call_id, session.agent, source, session.started_at))
            log.info("call started", extra={"call_id": call_id, "source": source})
        else:
            self.s.bus.publish(CallUpdated(call_id, "live", session.agent, "resume"))
            log.info("call resumed from store", extra={"call_id": call_id, "source": source})
        return session

    async def _forget_when_ended(self, session: CallSession) -> None:
        await session.ended.wait()
        if self._calls.get(session.call_id) is session:
            del self._calls[session.call_id]
            self._opening.pop(session.call_id, None)
        self.s.metrics.live_calls.set(len(self._calls))

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            for session in list(self._calls.values()):
                session.check_silence(now, self.s.settings.hold_after_silence_s)

    async def shutdown(self) -> None:
        """Server stopping: every open call is flushed and marked interrupted."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
        await asyncio.gather(
            *(s.end("interrupted", "server_shutdown") for s in list(self._calls.values())),
            return_exceptions=True,
        )


Opener = Callable[[str, str, str], Awaitable[CallSession]]

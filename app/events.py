"""The app-level typed events: what flows on the bus from call sessions to browsers.

Every event names its call (except :class:`ResetTaken`, which is about an agent).
They wrap the stage contracts (:class:`transcription.types.Utterance`,
:class:`cues.types.Cue`, :class:`cues.types.CallContext`) rather than copying
them, so a subscriber sees exactly what the pipeline produced.

Delivery classes (see :mod:`app.bus`): a partial :class:`UtteranceEvent` is
*droppable* (a newer partial or the final replaces it); everything else is
*kept* — finals, cues, context, alerts and lifecycle events are never dropped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

from cues.types import CallContext, Cue, CueRaised, CueRefreshed, Rubric
from transcription.types import Utterance

CallState = Literal["live", "on_hold", "ended", "interrupted"]
CALL_STATES: tuple[CallState, ...] = ("live", "on_hold", "ended", "interrupted")

#: Which connector a call's audio came in through.
Source = Literal["twilio", "audiohook", "pcm", "browser", "replay", "import"]


def _now() -> float:
    return time.time()


@dataclass(frozen=True, slots=True)
class CallStarted:
    """A new call (first connection for this call id in this server's life)."""

    call_id: str
    agent: str
    source: str
    started_at: float = field(default_factory=_now)  # wall clock, epoch seconds


@dataclass(frozen=True, slots=True)
class CallUpdated:
    """The call's state or agent changed.

    ``reason`` says why: ``hold``, ``resume``, ``transfer``, ``reconnect``,
    ``disconnect``, ``silence``. On a transfer ``previous_agent`` is the agent
    who had the call before ``agent``.
    """

    call_id: str
    state: CallState
    agent: str
    reason: str = ""
    previous_agent: str | None = None
    at: float = field(default_factory=_now)


@dataclass(frozen=True, slots=True)
class CallEnded:
    """The call is over (``ended``) or was cut off (``interrupted``)."""

    call_id: str
    agent: str
    state: CallState  # "ended" | "interrupted"
    reason: str = ""  # "stop", "close", "disconnected", "server_restart"...
    duration_s: float = 0.0  # call clock
    heavy: bool = False
    rubric: Rubric | None = None
    at: float = field(default_factory=_now)


@dataclass(frozen=True, slots=True)
class UtteranceEvent:
    """A partial or final utterance of one speaker (``utterance.id`` is stable)."""

    utterance: Utterance

    @property
    def call_id(self) -> str:
        return self.utterance.call_id

    @property
    def final(self) -> bool:
        return self.utterance.final


@dataclass(frozen=True, slots=True)
class CueEvent:
    """A cue raised for the first time, or refreshed (same ``cue.id``: update in place).

    ``delivered_at`` is the wall-clock time the pipeline published it;
    ``latency_s`` the time from the arrival of the audio holding the end of the
    evidence to publication (``None`` when unknown, e.g. text-only replays).
    """

    event: CueRaised | CueRefreshed
    delivered_at: float = field(default_factory=_now)
    latency_s: float | None = None

    @property
    def cue(self) -> Cue:
        return self.event.cue

    @property
    def call_id(self) -> str:
        return self.event.cue.call_id

    @property
    def refreshed(self) -> bool:
        return isinstance(self.event, CueRefreshed)


@dataclass(frozen=True, slots=True)
class ContextEvent:
    """The call's context (inherited difficulty) changed."""

    call_id: str
    context: CallContext


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert cue (``urgent_risk``, ``abuse``) for the supervisor, at once."""

    call_id: str
    agent: str
    cue: Cue
    at: float = field(default_factory=_now)


@dataclass(frozen=True, slots=True)
class ResetTaken:
    """An agent took a reset (after a heavy call, usually)."""

    agent: str
    call_id: str | None = None
    at: float = field(default_factory=_now)


@dataclass(frozen=True, slots=True)
class FeedbackGiven:
    """An agent answered "used it" / "not helpful" on a cue card."""

    call_id: str
    cue_id: str
    verdict: Literal["used", "not_helpful"]
    username: str
    at: float = field(default_factory=_now)


CallEvent = (
    CallStarted
    | CallUpdated
    | CallEnded
    | UtteranceEvent
    | CueEvent
    | ContextEvent
    | Alert
    | FeedbackGiven
)
Event = CallEvent | ResetTaken

#: Events the supervisor topic carries (the queue: calls, their context and alerts).
SUPERVISOR_EVENTS: tuple[type, ...] = (
    CallStarted,
    CallUpdated,
    CallEnded,
    ContextEvent,
    Alert,
    ResetTaken,
    CueEvent,
)


def is_droppable(event: Event) -> bool:
    """Only partial utterances may be dropped by a lagging subscriber's queue."""
    return isinstance(event, UtteranceEvent) and not event.utterance.final

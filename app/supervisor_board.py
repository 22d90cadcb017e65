"""The supervisor's picture of the floor, folded from bus events (pure, no I/O).

One :class:`SupervisorBoard` per app: live calls (agent, state, context, alerts),
and per agent today's calls, heavy calls and last reset. It is fed by every
consumer of the supervisor topic (the app-wide task and each supervisor
websocket), so :meth:`SupervisorBoard.apply` is idempotent: applying the same
event twice changes nothing the second time. Whoever sees an event first does
the work; the others render from the same state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from app.events import (
    Alert,
    CallEnded,
    CallStarted,
    CallUpdated,
    ContextEvent,
    CueEvent,
    Event,
    ResetTaken,
)
from app.render import AgentLoad, CallHeader, CallRow, DifficultyView, difficulty_view
from cues.types import ALERT_KINDS, CallContext, Cue

DifficultyFn = Callable[[CallContext], Any]


def default_difficulty() -> DifficultyFn | None:
    """``cues.difficulty.inherited_difficulty`` when that module exists (it is optional)."""
    try:
        from cues.difficulty import inherited_difficulty
    except ImportError:
        return None
    fn: DifficultyFn = inherited_difficulty
    return fn


@dataclass(slots=True)
class LiveCall:
    header: CallHeader
    context: CallContext = field(default_factory=CallContext)
    alerts: dict[str, Cue] = field(default_factory=dict)  # kind -> latest alert cue
    cue_kinds: set[str] = field(default_factory=set)


@dataclass(slots=True)
class AgentDay:
    agent: str
    day: date
    calls: set[str] = field(default_factory=set)
    heavy: set[str] = field(default_factory=set)
    last_reset_at: float | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """What one event changed, so a websocket pushes only those rows."""

    calls: tuple[str, ...] = ()  # call ids whose row changed
    removed: tuple[str, ...] = ()  # call ids no longer live
    agents: tuple[str, ...] = ()  # agents whose row changed
    new_alerts: tuple[tuple[str, Cue], ...] = ()  # (call id, cue) first seen now

    def __bool__(self) -> bool:
        return bool(self.calls or self.removed or self.agents or self.new_alerts)


class SupervisorBoard:
    """Live calls and agents' load today. ``today`` is injectable for tests."""

    def __init__(
        self,
        difficulty: DifficultyFn | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.calls: dict[str, LiveCall] = {}
        self.agents: dict[str, AgentDay] = {}
        self._difficulty = difficulty
        self._today = today

    # -- folding ---------------------------------------------------------------

    def apply(self, event: Event) -> Change:
        if isinstance(event, CallStarted):
            return self._started(event.call_id, event.agent, event.source, event.started_at)
        if isinstance(event, CallUpdated):
            return self._updated(event)
        if isinstance(event, CallEnded):
            return self._ended(event)
        if isinstance(event, ContextEvent):
            call = self.calls.get(event.call_id)
            if call is None or call.context == event.context:
                return Change()
            call.context = event.context
            return Change(calls=(event.call_id,))
        if isinstance(event, CueEvent):
            return self._cue(event.cue)
        if isinstance(event, Alert):
            return self._cue(event.cue, agent=event.agent)
        if isinstance(event, ResetTaken):
            day = self._agent(event.agent)
            if day.last_reset_at is not None and day.last_reset_at >= event.at:
                return Change()
            day.last_reset_at = event.at
            return Change(agents=(event.agent,))
        return Change()

    def _started(self, call_id: str, agent: str, source: str, started_at: float) -> Change:
        if call_id in self.calls:
            return Change()
        self.calls[call_id] = LiveCall(CallHeader(call_id, agent, started_at, "live", source))
        if agent:
            self._agent(agent).calls.add(call_id)
        return Change(calls=(call_id,), agents=(agent,) if agent else ())

    def _updated(self, ev: CallUpdated) -> Change:
        call = self.calls.get(ev.call_id)
        if call is None:
            # A reconnect after a server restart or a subscriber that joined late.
            change = self._started(ev.call_id, ev.agent, "", ev.at)
            call = self.calls[ev.call_id]
        else:
            change = Change()
        if call.header.status == ev.state and call.header.agent == ev.agent:
            return change
        agents = {a for a in (call.header.agent, ev.agent) if a}
        call.header = replace(call.header, status=ev.state, agent=ev.agent)
        if ev.agent:
            self._agent(ev.agent).calls.add(ev.call_id)
        return Change(calls=(ev.call_id,), agents=tuple(sorted(agents)))

    def _ended(self, ev: CallEnded) -> Change:
        call = self.calls.pop(ev.call_id, None)
        agent = ev.agent or (call.header.agent if call else "")
        heavy = ev.heavy or bool(call and (call.context.heavy or call.alerts))
        agents: tuple[str, ...] = ()
        if agent:
            day = self._agent(agent)
            day.calls.add(ev.call_id)
            if heavy and ev.call_id not in day.heavy:
                day.heavy.add(ev.call_id)
            agents = (agent,)
        if call is None:
            return Change(agents=agents)
        return Change(removed=(ev.call_id,), agents=agents)

    def _cue(self, cue: Cue, agent: str = "") -> Change:
        call = self.calls.get(cue.call_id)
        if call is None:
            return Change()
        changed = cue.kind not in call.cue_kinds
        call.cue_kinds.add(cue.kind)
        new_alerts: tuple[tuple[str, Cue], ...] = ()
        if cue.alert or cue.kind in ALERT_KINDS:
            if cue.kind not in call.alerts:
                new_alerts = ((cue.call_id, cue),)
                changed = True
            call.alerts[cue.kind] = cue
        if agent and not call.header.agent:
            call.header = replace(call.header, agent=agent)
            changed = True
        return Change(calls=(cue.call_id,), new_alerts=new_alerts) if changed else Change()

    def _agent(self, agent: str) -> AgentDay:
        today = self._today()
        day = self.agents.get(agent)
        if day is None or day.day != today:
            day = AgentDay(agent, today)
            self.agents[agent] = day
        return day

    # -- seeding (start-up: what happened before this board existed) -----------

    def seed_day(
        self, calls: Iterable[tuple[str, str, bool]], resets: Mapping[str, float | None]
    ) -> None:
        """Today's calls ``(agent, call_id, heavy)`` and each agent's last reset (epoch).

        Sets keyed by call id make this idempotent with the events the board
        folds afterwards (a call both seeded and ended live counts once).
        """
        for agent, call_id, heavy in calls:
            if not agent:
                continue
            day = self._agent(agent)
            day.calls.add(call_id)
            if heavy:
                day.heavy.add(call_id)
        for agent, at in resets.items():
            if at is None:
                continue
            day = self._agent(agent)
            if day.last_reset_at is None or day.last_reset_at < at:
                day.last_reset_at = at

    def seed_live(self, sessions: Iterable[Any]) -> None:
        """Live calls from the registry (duck-typed :class:`app.calls.CallSession`)."""
        for sess in sessions:
            call_id = getattr(sess, "call_id", None)
            if not isinstance(call_id, str) or call_id in self.calls:
                continue
            agent = str(getattr(sess, "agent", "") or "")
            self._started(
                call_id, agent, str(getattr(sess, "source", "")), getattr(sess, "started_at", 0.0)
            )
            live = self.calls[call_id]
            live.header = replace(live.header, status=str(getattr(sess, "state", "live")))
            ctx = getattr(sess, "context", None)
            if isinstance(ctx, CallContext):
                live.context = ctx
            cues = getattr(sess, "cues", {})
            for cue in cues.values() if isinstance(cues, Mapping) else ():
                if isinstance(cue, Cue):
                    self._cue(cue)

    # -- views -----------------------------------------------------------------

    def difficulty(self, context: CallContext) -> DifficultyView | None:
        if self._difficulty is None:
            return None
        return difficulty_view(self._difficulty(context))

    def row(self, call_id: str) -> CallRow | None:
        call = self.calls.get(call_id)
        if call is None:
            return None
        return CallRow(
            header=call.header,
            context=call.context,
            alerts=tuple(call.alerts[k] for k in sorted(call.alerts)),
            difficulty=self.difficulty(call.context),
            cue_count=len(call.cue_kinds),
        )

    def rows(self) -> list[CallRow]:
        """Alerts first, then the longest-running calls."""
        rows = [r for r in (self.row(c) for c in self.calls) if r is not None]
        return sorted(rows, key=lambda r: (not r.alerts, r.header.started_at))

    def load(self, agent: str) -> AgentLoad:
        day = self._agent(agent)
        live = sum(1 for c in self.calls.values() if c.header.agent == agent)
        return AgentLoad(
            agent=agent,
            heavy_today=len(day.heavy),
            calls_today=len(day.calls),
            live_calls=live,
            last_reset_at=day.last_reset_at,
        )

    def loads(self) -> list[AgentLoad]:
        names = set(self.agents) | {c.header.agent for c in self.calls.values() if c.header.agent}
        return [self.load(a) for a in sorted(names)]


def get_board(app: Any) -> SupervisorBoard:
    """The app's board (``app.state.supervisor_board``), made on first use.

    The supervisor router's lifespan makes it and keeps it fed from the bus; an
    app built without that router gets an empty board here rather than an error.
    """
    board: SupervisorBoard | None = getattr(app.state, "supervisor_board", None)
    if board is None:
        board = SupervisorBoard(difficulty=default_difficulty())
        app.state.supervisor_board = board
    return board

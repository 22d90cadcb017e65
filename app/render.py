"""Events in, HTML out: the one place the agent and supervisor screens are rendered.

Pages and the fragments pushed over websockets come from the SAME Jinja2 partials
(``templates/agent/_cue.html`` renders a card on the page and in a push), with
autoescaping on: a transcript is untrusted input.

Element ids are a contract (see the brief's URL contract); machine readers such as
``heard eval e2e`` parse these attributes, so change them only with the readers:

- cue card ``<article id="cue-{kind}" class="cue" data-cue-kind data-cue-id
  data-evidence-end data-evidence-speaker data-turn ...>``; one per kind per call,
  updated in place;
- transcript line ``<li id="utt-{speaker}-{seq}" data-final="0|1" data-speaker
  data-start data-end>``; a partial is replaced by the final with the same id;
- call context ``<section id="call-context">``; supervisor row ``<tr id="call-{call_id}">``,
  alert ``<div id="alert-{call_id}-{kind}">``, agent row ``<tr id="agent-{name}">``.

Fragments for the htmx websocket extension: every top-level element of a message
is swapped out of band. An element already on the page is replaced by id
(``hx-swap-oob="true"``); a new one is wrapped in ``<div hx-swap-oob="afterbegin:#cues">``
(or ``beforeend:#transcript``) so its container receives it. Which of the two a
push needs depends on what that browser already holds, so each connection keeps a
:class:`SidebarStream` (what it has sent) and the page/snapshot resets it.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from cues.types import ALERT_KINDS, CallContext, Cue
from transcription.types import Utterance

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

#: Human labels for the cue kinds (the card's small kind tag; the title comes from the cue).
KIND_LABELS: Mapping[str, str] = {
    "orient": "Orient",
    "own_it": "Own it",
    "reflect_back": "Reflect back",
    "validate_first": "Validate first",
    "offer_choice": "Offer a choice",
    "subtext_fear": "Subtext: fear",
    "subtext_cost": "Subtext: cost",
    "subtext_exhausted": "Subtext: exhausted",
    "close_the_loop": "Close the loop",
    "real_timeline": "Real timeline",
    "explain_the_no": "Explain the no",
    "urgent_risk": "Urgent risk",
    "abuse": "Abuse",
    "take_a_reset": "Take a reset",
}

STAKE_LABELS: Mapping[str, str] = {
    "care_access": "care access",
    "medication": "medication",
    "money": "money",
    "legal_rights": "legal rights",
    "urgent_timing": "urgent timing",
}

#: Arrival states that colour the context strip as distressed.
HARD_ARRIVALS = frozenset({"distressed", "angry", "grieving", "overwhelmed"})


# --------------------------------------------------------------------------- view models


@dataclass(frozen=True, slots=True)
class CallHeader:
    """What the screens show about a call besides its transcript and cues."""

    call_id: str
    agent: str = ""
    started_at: float = 0.0  # wall clock, epoch seconds (for the ticking duration)
    status: str = "live"  # app.events.CallState: live | on_hold | ended | interrupted
    source: str = ""  # twilio | audiohook | pcm | browser | replay


@dataclass(frozen=True, slots=True)
class DifficultyView:
    """Inherited difficulty as shown: a 0..1 score and the factors behind it."""

    score: float
    factors: tuple[str, ...] = ()
    band: str = ""  # the difficulty module's word for it, when it gives one

    @property
    def level(self) -> str:
        """A CSS class: high / medium / low."""
        return "high" if self.score >= 0.6 else "medium" if self.score >= 0.35 else "low"

    @property
    def word(self) -> str:
        return self.band or self.level


@dataclass(frozen=True, slots=True)
class SidebarState:
    """Everything the sidebar shows for one call (the page and a websocket's snapshot)."""

    header: CallHeader
    context: CallContext = field(default_factory=CallContext)
    cues: tuple[Cue, ...] = ()
    utterances: tuple[Utterance, ...] = ()  # finals and the latest partial per speaker
    read_only: bool = False  # a supervisor listening in: no feedback or capture buttons
    feedback: Mapping[str, str] = field(default_factory=dict)  # cue id -> verdict given


@dataclass(frozen=True, slots=True)
class CallRow:
    """One live call on the supervisor queue."""

    header: CallHeader
    context: CallContext = field(default_factory=CallContext)
    alerts: tuple[Cue, ...] = ()
    difficulty: DifficultyView | None = None
    cue_count: int = 0


@dataclass(frozen=True, slots=True)
class AgentLoad:
    """One agent's load today, for the supervisor."""

    agent: str
    heavy_today: int = 0
    calls_today: int = 0
    live_calls: int = 0
    last_reset_at: float | None = None  # epoch seconds; None: no reset today


def difficulty_view(result: Any) -> DifficultyView | None:
    """Adapt what ``cues.difficulty.inherited_difficulty`` returns (duck-typed).

    Reads ``score`` (0..1; 0..100 is scaled) and the factors that made the call
    harder: ``active`` when the result has it (largest share first), else
    ``factors`` without the zero ones; each shown by its ``label`` (or ``name``,
    or the string itself). ``band`` ("routine" ... "very hard"), when present,
    is kept as the level word. ``None`` or no score shows nothing.
    """
    if result is None:
        return None

    def get(key: str) -> Any:
        if isinstance(result, Mapping):
            return result.get(key)
        return getattr(result, key, None)

    score = get("score")
    if isinstance(score, bool) or not isinstance(score, int | float) or math.isnan(score):
        return None
    value = float(score) / 100.0 if score > 1.0 else float(score)
    raw = get("active")
    if raw is None:
        raw = get("factors") or ()
    factors: list[str] = []
    for f in raw if isinstance(raw, Iterable) and not isinstance(raw, str) else ():
        if isinstance(f, str):
            factors.append(f)
            continue
        if getattr(f, "value", 1.0) == 0:
            continue
        label = getattr(f, "label", None) or getattr(f, "name", None)
        factors.append(str(label if label is not None else f))
    band = get("band")
    return DifficultyView(
        score=max(0.0, min(1.0, value)),
        factors=tuple(factors),
        band=band if isinstance(band, str) else "",
    )


# --------------------------------------------------------------------------- jinja


def clock(seconds: float | None) -> str:
    """Call-clock seconds as ``m:ss`` (``h:mm:ss`` past an hour)."""
    if seconds is None or seconds < 0 or math.isnan(seconds):
        return "0:00"
    s = int(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def ago(seconds: float | None) -> str:
    """A coarse elapsed time for people: ``just now``, ``25 min ago``, ``3 h 07 min ago``."""
    if seconds is None or seconds < 60 or math.isnan(seconds):
        return "just now"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    return f"{minutes // 60} h {minutes % 60:02d} min ago"


_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def dom_id(value: str) -> str:
    """A value made safe for an element id and a CSS ``#selector`` (ids are escaped anyway)."""
    return _ID_UNSAFE.sub("_", value)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clock"] = clock
    env.filters["ago"] = ago
    env.filters["dom_id"] = dom_id
    env.filters["f3"] = lambda v: f"{float(v):.3f}"
    env.filters["pathseg"] = lambda v: quote(str(v), safe="")
    env.globals["KIND_LABELS"] = KIND_LABELS
    env.globals["STAKE_LABELS"] = STAKE_LABELS
    env.globals["HARD_ARRIVALS"] = HARD_ARRIVALS
    env.globals["ALERT_KINDS"] = ALERT_KINDS
    env.globals["wall_now"] = time.time
    return env


def render(template: str, **ctx: Any) -> str:
    return environment().get_template(template).render(**ctx)


def _macro(template: str, name: str, *args: Any, **kwargs: Any) -> str:
    module = environment().get_template(template).module
    return str(getattr(module, name)(*args, **kwargs))


def wrap_oob(swap: str, inner: str) -> str:
    """Wrap ``inner`` so the ws extension inserts it with ``swap`` (e.g. ``afterbegin:#cues``)."""
    return f'<div hx-swap-oob="{Markup.escape(swap)}">{inner}</div>'


# --------------------------------------------------------------------------- sidebar


def sort_cues(cues: Iterable[Cue]) -> list[Cue]:
    """Newest first (by when raised on the call's clock); alerts first among equals."""
    return sorted(cues, key=lambda c: (c.raised_at, c.alert), reverse=True)


def transcript_order(utterances: Iterable[Utterance]) -> list[Utterance]:
    """One line per (speaker, seq), the final winning over a partial, in call-clock order."""
    lines: dict[tuple[str, int], Utterance] = {}
    for u in utterances:
        held = lines.get((u.speaker, u.seq))
        if held is None or u.final or not held.final:
            lines[(u.speaker, u.seq)] = u
    return sorted(lines.values(), key=lambda u: (u.start, u.speaker, u.seq))


def cue_card(
    cue: Cue, *, read_only: bool = False, oob: bool = False, fresh: bool = False, verdict: str = ""
) -> str:
    return _macro(
        "agent/_cue.html",
        "cue_card",
        cue,
        read_only=read_only,
        oob=oob,
        fresh=fresh,
        verdict=verdict,
    )


def utterance_line(utt: Utterance, *, oob: bool = False) -> str:
    return _macro("agent/_utterance.html", "utterance_line", utt, oob=oob)


def context_panel(ctx: CallContext, *, oob: bool = False) -> str:
    return _macro("agent/_context.html", "context_panel", ctx, oob=oob)


def sidebar_page(state: SidebarState, *, principal_name: str = "") -> str:
    return render(
        "agent/sidebar.html",
        state=state,
        cues=sort_cues(state.cues),
        utterances=transcript_order(state.utterances),
        principal_name=principal_name,
        feedback=state.feedback,
    )


class SidebarStream:
    """Per-websocket renderer: remembers which cards and lines this browser holds.

    Not shared between connections (each browser's page differs). ``snapshot``
    replaces every container wholesale, so a late or reconnecting sidebar is
    complete and the ids it holds are exactly the snapshot's. Events queued
    before the snapshot was taken may arrive after it: a partial for a line the
    browser already holds as final, or an older refresh of a card, renders
    nothing (``""``), so the screen never steps back.
    """

    def __init__(self, *, read_only: bool = False, username: str = "") -> None:
        self.read_only = read_only
        self.username = username  # whose answers show on the cards ("" = anyone's)
        self._cues: dict[str, int] = {}  # kind -> refreshed count on screen
        self._lines: dict[str, bool] = {}  # "speaker-seq" -> final on screen
        self._feedback: dict[str, str] = {}  # cue id -> verdict
        self._by_id: dict[str, Cue] = {}

    def snapshot(self, state: SidebarState) -> str:
        self._cues = {c.kind: c.refreshed for c in state.cues}
        self._by_id = {c.id: c for c in state.cues}
        lines = transcript_order(state.utterances)
        self._lines = {f"{u.speaker}-{u.seq}": u.final for u in lines}
        self._feedback = dict(state.feedback)
        return render(
            "agent/_snapshot.html",
            state=state,
            cues=sort_cues(state.cues),
            utterances=lines,
            read_only=self.read_only or state.read_only,
            feedback=self._feedback,
        )

    def cue(self, cue: Cue) -> str:
        """A raised or refreshed cue: in place if this browser has the card, else on top."""
        shown = self._cues.get(cue.kind)
        self._by_id[cue.id] = cue
        if shown is not None:
            if cue.refreshed <= shown:
                return ""
            self._cues[cue.kind] = cue.refreshed
            return self._card(cue, oob=True)
        self._cues[cue.kind] = cue.refreshed
        out = wrap_oob("afterbegin:#cues", self._card(cue, oob=False))
        if cue.alert or cue.kind in ALERT_KINDS:
            out += alert_banner(cue)
        return out

    def _card(self, cue: Cue, *, oob: bool) -> str:
        verdict = self._feedback.get(cue.id, "")
        return cue_card(cue, read_only=self.read_only, oob=oob, fresh=True, verdict=verdict)

    def feedback(self, cue_id: str, verdict: str, by: str = "") -> str:
        """This browser's person answered on a card (maybe from another tab): show it."""
        if self.username and by and by != self.username:
            return ""
        self._feedback[cue_id] = verdict
        cue = self._by_id.get(cue_id)
        if cue is None or self.read_only:
            return ""
        return _macro("agent/_cue.html", "feedback_box", cue, verdict=verdict, oob=True)

    def utterance(self, utt: Utterance) -> str:
        key = f"{utt.speaker}-{utt.seq}"
        shown_final = self._lines.get(key)
        if shown_final is None:
            self._lines[key] = utt.final
            return wrap_oob("beforeend:#transcript", utterance_line(utt))
        if shown_final and not utt.final:
            return ""  # a stale partial queued before the final reached this browser
        self._lines[key] = utt.final
        return utterance_line(utt, oob=True)

    def context(self, ctx: CallContext) -> str:
        return context_panel(ctx, oob=True)

    def status(self, header: CallHeader) -> str:
        return _macro("agent/_header.html", "call_status", header, oob=True)


def alert_banner(cue: Cue) -> str:
    """The sidebar's banner for an alert kind (urgent_risk, abuse), above the cards."""
    return _macro("agent/_cue.html", "alert_banner", cue, oob=True)


# --------------------------------------------------------------------------- agent home


def agent_calls(calls: Sequence[CallHeader]) -> str:
    return _macro("agent/_calls.html", "call_list", calls)


# --------------------------------------------------------------------------- supervisor


def call_row(row: CallRow, *, oob: bool = False, replay: bool = False) -> str:
    """A queue row; ``replay`` adds the link to the call's replay (``/trainer/calls/...``),
    for viewers whose role may open it."""
    return _macro("supervisor/_rows.html", "call_row", row, oob=oob, replay=replay)


def agent_row(load: AgentLoad, *, oob: bool = False) -> str:
    return _macro("supervisor/_rows.html", "agent_row", load, oob=oob)


def supervisor_alert(call_id: str, cue: Cue, header: CallHeader | None = None) -> str:
    """A new alert: on top of the banner list (prominent, flashing once)."""
    inner = _macro("supervisor/_rows.html", "alert_item", call_id, cue, header)
    return wrap_oob("afterbegin:#alerts", inner)


def supervisor_remove(element_id: str) -> str:
    """Remove an element by id (a call that ended, an alert dismissed)."""
    return f'<div id="{Markup.escape(element_id)}" hx-swap-oob="delete"></div>'


def supervisor_snapshot(
    rows: Sequence[CallRow], loads: Sequence[AgentLoad], *, replay: bool = False
) -> str:
    """Pushed once when a supervisor socket connects: alerts, calls and agents replaced."""
    return render("supervisor/_snapshot.html", rows=rows, loads=loads, replay=replay)


def supervisor_page(
    rows: Sequence[CallRow],
    loads: Sequence[AgentLoad],
    *,
    principal_name: str = "",
    replay: bool = False,
) -> str:
    return render(
        "supervisor/queue.html", rows=rows, loads=loads, principal_name=principal_name,
        replay=replay,
    )

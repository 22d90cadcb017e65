"""The trainer's library: what the trainer screens, reports and exports read and write.

Pure queries over the store (no web types): the router (``app.routers.trainer``)
and the reports (``app.reports``) call these. Every function takes the
:class:`~app.store.Store` and returns plain dataclasses / dicts.

Scores: the *automatic* rubric stays as the engine scored it; a trainer's
override of a criterion is kept beside it with its author (the latest override
per criterion wins in the *effective* score). Difficulty comes from the call's
context (:func:`cues.difficulty.inherited_difficulty`); the *adjusted* score reads
the effective overall against what is expected at that difficulty, refitted on
the library (:func:`cues.difficulty.fit_expectation`).
"""

from __future__ import annotations

import difflib
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.store import Store
from app.store.models import CallRow, CueFeedbackRow, CueRow, ResetRow, UtteranceRow, utcnow
from app.store.records import context_from_json, context_to_json, rubric_from_json
from app.store.trainer_models import DebriefRow, ImportFileRow, NoteRow, ScoreOverrideRow
from cues.difficulty import (
    Difficulty,
    Expectation,
    adjusted_score,
    expected_score,
    fit_expectation,
    inherited_difficulty,
)
from cues.types import CRITERIA, CallContext, Rubric

Redact = Callable[[str], str]
LIVE_STATES = ("live", "on_hold")
#: "Hard calls that went well": at least this difficulty and this effective overall.
HARD_MIN = 0.35
WELL_MIN = 0.7
SORTS = ("date", "difficulty", "rubric", "adjusted", "duration", "agent")


def _aware(dt: datetime | None) -> datetime | None:
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt


def no_redaction(text: str) -> str:
    return text


# --- scores ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Override:
    criterion: str
    score: float
    author: str
    comment: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CriterionView:
    """One criterion as the trainer sees it: automatic score, override, effective."""

    criterion: str
    auto: float | None
    evidence: tuple[str, ...]
    reason: str
    override: Override | None

    @property
    def effective(self) -> float | None:
        return self.override.score if self.override else self.auto


def criteria_view(rubric: Rubric | None, overrides: Iterable[Override]) -> list[CriterionView]:
    latest: dict[str, Override] = {}
    for o in sorted(overrides, key=lambda o: o.created_at):
        latest[o.criterion] = o
    out = []
    for name in CRITERIA:
        auto = rubric.get(name) if rubric else None
        out.append(
            CriterionView(
                criterion=name,
                auto=auto.score if auto else None,
                evidence=auto.evidence if auto else (),
                reason=auto.reason if auto else "",
                override=latest.get(name),
            )
        )
    return out


def effective_overall(view: list[CriterionView]) -> float | None:
    scores = [c.effective for c in view if c.effective is not None]
    return sum(scores) / len(scores) if scores else None


# --- the library list ------------------------------------------------------------------------


@dataclass(slots=True)
class LibraryFilter:
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    agent: str | None = None
    difficulty_min: float | None = None
    difficulty_max: float | None = None
    arrival: str | None = None
    stake: str | None = None
    heavy: bool | None = None
    cue_kind: str | None = None
    rubric_min: float | None = None
    rubric_max: float | None = None
    feedback: str | None = None  # any | used | not_helpful | none
    went_well: bool = False  # hard calls that went well
    include_live: bool = True
    sort: str = "date"
    descending: bool = True
    limit: int = 100
    offset: int = 0


@dataclass(slots=True)
class LibraryEntry:
    id: str
    agent: str
    source: str
    state: str
    started_at: datetime
    duration_s: float
    context: CallContext
    difficulty: Difficulty
    criteria: list[CriterionView]
    auto_overall: float | None
    overall: float | None  # effective (overrides applied)
    adjusted: float | None
    expected: float
    cue_kinds: tuple[str, ...]
    feedback: dict[str, int] = field(default_factory=dict)  # verdict -> count
    mono: bool = False
    overridden: bool = False

    @property
    def live(self) -> bool:
        return self.state in LIVE_STATES

    @property
    def heavy(self) -> bool:
        return self.context.heavy

    @property
    def went_well(self) -> bool:
        return (
            self.difficulty.score >= HARD_MIN
            and self.overall is not None
            and self.overall >= WELL_MIN
        )


def _overrides_by_call(store: Store, ids: Iterable[str] | None = None) -> dict[str, list[Override]]:
    q = select(ScoreOverrideRow)
    if ids is not None:
        q = q.where(ScoreOverrideRow.call_id.in_(list(ids)))
    out: dict[str, list[Override]] = defaultdict(list)
    with store.session() as s:
        for r in s.scalars(q):
            out[r.call_id].append(
                Override(r.criterion, r.score, r.author, r.comment, _aware(r.created_at))  # type: ignore[arg-type]
            )
    return out


def load_entries(
    store: Store,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    ids: Iterable[str] | None = None,
) -> list[LibraryEntry]:
    """Calls (all, a start-time range, or the given ``ids``) with their scores and facts.

    Adjusted scores use the expected line fitted on the whole library: refitted here
    when loading everything, else taken from :func:`library_expectation` (cached).
    """
    wanted = list(ids) if ids is not None else None
    with store.session() as s:
        q = select(CallRow)
        kq = select(CueRow.call_id, CueRow.kind).distinct()
        fq = select(CueFeedbackRow.call_id, CueFeedbackRow.verdict, func.count()).group_by(
            CueFeedbackRow.call_id, CueFeedbackRow.verdict
        )
        mq = select(ImportFileRow.call_id).where(
            ImportFileRow.mono.is_(True), ImportFileRow.status == "done"
        )
        if wanted is not None:
            q = q.where(CallRow.id.in_(wanted))
            kq = kq.where(CueRow.call_id.in_(wanted))
            fq = fq.where(CueFeedbackRow.call_id.in_(wanted))
            mq = mq.where(ImportFileRow.call_id.in_(wanted))
        if since is not None:
            q = q.where(CallRow.started_at >= since)
        if until is not None:
            q = q.where(CallRow.started_at < until)
        rows = list(s.scalars(q))
        kinds: dict[str, set[str]] = defaultdict(set)
        for call_id, kind in s.execute(kq):
            kinds[call_id].add(kind)
        feedback: dict[str, dict[str, int]] = defaultdict(dict)
        for call_id, verdict, n in s.execute(fq):
            feedback[call_id][verdict] = int(n)
        mono = set(s.scalars(mq))
    overrides = _overrides_by_call(store, wanted)
    entries = []
    for r in rows:
        ctx = context_from_json(r.context)
        if r.heavy and not ctx.heavy:
            ctx = CallContext(
                ctx.arrival, ctx.departments, ctx.repeat_contact, ctx.stakes, ctx.resolvable, True
            )
        rubric = rubric_from_json(r.rubric)
        view = criteria_view(rubric, overrides.get(r.id, ()))
        entries.append(
            LibraryEntry(
                id=r.id,
                agent=r.agent,
                source=r.source,
                state=r.state,
                started_at=_aware(r.started_at),  # type: ignore[arg-type]
                duration_s=r.duration_s,
                context=ctx,
                difficulty=inherited_difficulty(ctx),
                criteria=view,
                auto_overall=rubric.overall if rubric and rubric.scores else None,
                overall=effective_overall(view),
                adjusted=None,
                expected=0.0,
                cue_kinds=tuple(sorted(kinds.get(r.id, ()))),
                feedback=feedback.get(r.id, {}),
                mono=r.id in mono,
                overridden=r.id in overrides,
            )
        )
    whole = wanted is None and since is None and until is None
    model = expectation_for(entries) if whole else library_expectation(store)
    if whole:
        _EXPECTATIONS[id(store)] = (time.monotonic(), model)
    for e in entries:
        e.expected = expected_score(e.difficulty, model)
        if e.overall is not None:
            e.adjusted = adjusted_score(e.overall, e.difficulty, model)
    return entries


#: store -> (when fitted, line): the fit reads every call, so it is reused for a while.
_EXPECTATIONS: dict[int, tuple[float, Expectation]] = {}
EXPECTATION_MAX_AGE_S = 120.0


def library_expectation(store: Store) -> Expectation:
    """The expected-score line of the whole library (refitted at most every 2 minutes)."""
    hit = _EXPECTATIONS.get(id(store))
    if hit is not None and time.monotonic() - hit[0] < EXPECTATION_MAX_AGE_S:
        return hit[1]
    load_entries(store)  # refits and caches
    return _EXPECTATIONS[id(store)][1]


def expectation_for(entries: Iterable[LibraryEntry]) -> Expectation:
    """The expected-score line refitted on the library's finished, scored calls."""
    return fit_expectation(
        (e.difficulty.score, e.overall) for e in entries if e.overall is not None and not e.live
    )


def _keep(e: LibraryEntry, f: LibraryFilter) -> bool:
    day = e.started_at.date()
    if f.date_from and day < f.date_from:
        return False
    if f.date_to and day > f.date_to:
        return False
    if f.agent and e.agent != f.agent:
        return False
    if not f.include_live and e.live:
        return False
    d = e.difficulty.score
    if f.difficulty_min is not None and d < f.difficulty_min:
        return False
    if f.difficulty_max is not None and d > f.difficulty_max:
        return False
    if f.arrival and e.context.arrival != f.arrival:
        return False
    if f.stake and f.stake not in e.context.stakes:
        return False
    if f.heavy is not None and e.heavy != f.heavy:
        return False
    if f.cue_kind and f.cue_kind not in e.cue_kinds:
        return False
    if f.rubric_min is not None and (e.overall is None or e.overall < f.rubric_min):
        return False
    if f.rubric_max is not None and (e.overall is None or e.overall > f.rubric_max):
        return False
    if f.feedback == "none" and e.feedback:
        return False
    if f.feedback == "any" and not e.feedback:
        return False
    if f.feedback in ("used", "not_helpful") and not e.feedback.get(f.feedback):
        return False
    return not (f.went_well and not e.went_well)


def _sort_key(sort: str) -> Callable[[LibraryEntry], Any]:
    missing = -1.0
    keys: dict[str, Callable[[LibraryEntry], Any]] = {
        "date": lambda e: e.started_at,
        "difficulty": lambda e: e.difficulty.score,
        "rubric": lambda e: e.overall if e.overall is not None else missing,
        "adjusted": lambda e: e.adjusted if e.adjusted is not None else missing,
        "duration": lambda e: e.duration_s,
        "agent": lambda e: e.agent.lower(),
    }
    return keys.get(sort, keys["date"])


def list_library(store: Store, f: LibraryFilter) -> tuple[list[LibraryEntry], int]:
    """The calls matching ``f``, sorted, one page of them, and how many matched in all."""
    entries = [e for e in load_entries(store) if _keep(e, f)]
    entries.sort(key=_sort_key(f.sort), reverse=f.descending)
    return entries[f.offset : f.offset + f.limit], len(entries)


def agents(store: Store) -> list[str]:
    with store.session() as s:
        return sorted(set(s.scalars(select(CallRow.agent).distinct())))


# --- one call ---------------------------------------------------------------------------------


def entry(store: Store, call_id: str) -> LibraryEntry | None:
    found = load_entries(store, ids=[call_id])
    return found[0] if found else None


def add_override(
    store: Store, call_id: str, criterion: str, score: float, author: str, comment: str = ""
) -> bool:
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}")
    if not 0.0 <= score <= 1.0:
        raise ValueError("score must be between 0 and 1")
    with store.session() as s:
        if s.get(CallRow, call_id) is None:
            return False
        s.add(
            ScoreOverrideRow(
                call_id=call_id,
                criterion=criterion,
                score=score,
                author=author,
                comment=comment[:2000],
                created_at=utcnow(),
            )
        )
    return True


def overrides(store: Store, call_id: str) -> list[Override]:
    return sorted(_overrides_by_call(store, [call_id]).get(call_id, []), key=lambda o: o.created_at)


@dataclass(frozen=True, slots=True)
class Debrief:
    id: int
    call_id: str
    team: str
    requested_by: str
    reason: str
    status: str
    created_at: datetime
    agent: str = ""
    difficulty: float | None = None


def mark_debrief(store: Store, call_id: str, team: str, by: str, reason: str = "") -> int | None:
    team = (team or "default").strip()[:64] or "default"
    with store.session() as s:
        if s.get(CallRow, call_id) is None:
            return None
        existing = s.scalar(
            select(DebriefRow).where(
                DebriefRow.call_id == call_id, DebriefRow.team == team, DebriefRow.status == "open"
            )
        )
        if existing is not None:  # one open debrief per call and team
            return existing.id
        row = DebriefRow(
            call_id=call_id,
            team=team,
            requested_by=by,
            reason=reason[:2000],
            status="open",
            created_at=utcnow(),
        )
        s.add(row)
        s.flush()
        return row.id


def close_debrief(store: Store, debrief_id: int, by: str) -> bool:
    with store.session() as s:
        row = s.get(DebriefRow, debrief_id)
        if row is None or row.status != "open":
            return False
        row.status, row.done_by, row.done_at = "done", by, utcnow()
        return True


def debrief_queue(
    store: Store, team: str | None = None, *, call_id: str | None = None, open_only: bool = True
) -> list[Debrief]:
    with store.session() as s:
        q = (
            select(DebriefRow, CallRow.agent, CallRow.context)
            .join(CallRow, CallRow.id == DebriefRow.call_id)
            .order_by(DebriefRow.created_at)
        )
        if team:
            q = q.where(DebriefRow.team == team)
        if call_id:
            q = q.where(DebriefRow.call_id == call_id)
        if open_only:
            q = q.where(DebriefRow.status == "open")
        out = []
        for row, agent, ctx in s.execute(q):
            out.append(
                Debrief(
                    row.id,
                    row.call_id,
                    row.team,
                    row.requested_by,
                    row.reason,
                    row.status,
                    _aware(row.created_at),  # type: ignore[arg-type]
                    agent,
                    inherited_difficulty(context_from_json(ctx)).score,
                )
            )
        return out


def teams(store: Store) -> list[str]:
    with store.session() as s:
        return sorted(set(s.scalars(select(DebriefRow.team).distinct())))


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    call_id: str
    author: str
    comment: str
    at_s: float | None
    created_at: datetime


def add_note(store: Store, call_id: str, author: str, comment: str, at_s: float | None) -> bool:
    comment = comment.strip()
    if not comment:
        raise ValueError("a note needs a comment")
    with store.session() as s:
        if s.get(CallRow, call_id) is None:
            return False
        s.add(
            NoteRow(
                call_id=call_id,
                author=author,
                comment=comment[:4000],
                at_s=at_s,
                created_at=utcnow(),
            )
        )
    return True


def notes(store: Store, call_id: str | None = None) -> list[Note]:
    with store.session() as s:
        q = select(NoteRow).order_by(NoteRow.created_at.desc())
        if call_id is not None:
            q = q.where(NoteRow.call_id == call_id)
        return [
            Note(r.id, r.call_id, r.author, r.comment, r.at_s, _aware(r.created_at))  # type: ignore[arg-type]
            for r in s.scalars(q)
        ]


# --- the replay's data -----------------------------------------------------------------------


def replay_payload(
    store: Store, call_id: str, *, after: int = 0, redact: Redact = no_redaction
) -> dict[str, Any] | None:
    """Everything the replay view needs, in one compact JSON-able dict.

    ``after`` is the cursor from a previous answer: only utterances stored since
    are sent (a live call is polled with it). Utterances are lists
    ``[cursor_id, speaker, seq, start, end, text, words]`` where ``words`` is a list
    of ``[start, end]`` aligned with the (redacted) text's whitespace-separated
    tokens (see :func:`word_times`), or ``None`` when the engine gave no words.
    """
    e = entry(store, call_id)
    if e is None:
        return None
    with store.session() as s:
        rows = s.execute(
            select(
                UtteranceRow.id,
                UtteranceRow.speaker,
                UtteranceRow.seq,
                UtteranceRow.start,
                UtteranceRow.end,
                UtteranceRow.text,
                UtteranceRow.words,
            )
            .where(UtteranceRow.call_id == call_id, UtteranceRow.id > after)
            .order_by(UtteranceRow.start, UtteranceRow.id)
        ).all()
        cursor = s.scalar(select(func.max(UtteranceRow.id)).where(UtteranceRow.call_id == call_id))
    utts = []
    for uid, speaker, seq, start, end, text, words in rows:
        shown = redact(text)
        utts.append(
            [
                uid,
                speaker,
                seq,
                round(start, 2),
                round(end, 2),
                shown,
                word_times(text, shown, words),
            ]
        )
    cues = []
    for sc in store.cues(call_id):
        c = sc.cue
        cues.append(
            {
                "id": c.id,
                "kind": c.kind,
                "title": c.title,
                "line": c.line,
                "severity": c.severity,
                "raised_at": round(c.raised_at, 3),
                "turn": c.turn,
                "alert": c.alert,
                "evidence": {
                    "quote": redact(c.evidence.quote),
                    "speaker": c.evidence.speaker,
                    "start": round(c.evidence.start, 3),
                    "end": round(c.evidence.end, 3),
                    "utterance_id": c.evidence.utterance_id,
                },
                "feedback": sorted(set(sc.feedback.values())),
            }
        )
    return {
        "call": call_json(e, redact),
        "utterances": utts,
        "cues": cues,
        "cursor": int(cursor or 0),
        "live": e.live,
    }


def word_times(text: str, shown: str, words: list[list[Any]] | None) -> list[list[float]] | None:
    """Word [start, end] pairs aligned with ``shown.split()`` (None if they cannot be).

    ``words`` are the stored ``[text, start, end, conf]`` of ``text``'s tokens. When
    redaction replaced some tokens by a mask ("[PHONE]"), the mask takes the time of
    the words it hides, so the line is still highlighted word by word as it plays.
    """
    if not words:
        return None
    tokens = text.split()
    if len(tokens) != len(words):
        return None
    if shown == text:
        return [[w[1], w[2]] for w in words]  # stored rounded to ms
    masked = shown.split()
    out: list[list[float]] = []
    matcher = difflib.SequenceMatcher(a=tokens, b=masked, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out += [[words[i][1], words[i][2]] for i in range(i1, i2)]
        elif j2 > j1:  # replaced (or inserted) tokens share the hidden words' time
            lo = words[i1][1] if i2 > i1 else words[max(i1 - 1, 0)][2]
            hi = words[i2 - 1][2] if i2 > i1 else lo
            step = (hi - lo) / (j2 - j1)
            out += [
                [round(lo + k * step, 3), round(lo + (k + 1) * step, 3)] for k in range(j2 - j1)
            ]
    return out if len(out) == len(masked) else None


def call_json(e: LibraryEntry, redact: Redact = no_redaction) -> dict[str, Any]:
    ctx = e.context
    return {
        "id": e.id,
        "agent": e.agent,
        "source": e.source,
        "state": e.state,
        "live": e.live,
        "mono": e.mono,
        "started_at": e.started_at.isoformat(),
        "duration_s": round(e.duration_s, 3),
        "context": context_to_json(ctx),
        "difficulty": {
            "score": round(e.difficulty.score, 3),
            "band": e.difficulty.band,
            "factors": [
                {
                    "name": f.name,
                    "label": f.label,
                    "value": round(f.value, 3),
                    "weight": f.weight,
                    "contribution": round(f.contribution, 3),
                }
                for f in e.difficulty.factors
            ],
        },
        "rubric": [
            {
                "criterion": c.criterion,
                "auto": c.auto,
                "evidence": [redact(x) for x in c.evidence],
                "reason": c.reason,
                "override": (
                    {
                        "score": c.override.score,
                        "author": c.override.author,
                        "comment": c.override.comment,
                        "at": c.override.created_at.isoformat(),
                    }
                    if c.override
                    else None
                ),
                "effective": c.effective,
            }
            for c in e.criteria
        ],
        "overall": e.overall,
        "auto_overall": e.auto_overall,
        "expected": round(e.expected, 3),
        "adjusted": e.adjusted,
        "went_well": e.went_well,
    }


# --- per agent -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeavyCall:
    call_id: str
    started_at: datetime
    ended_at: datetime | None
    reset_at: datetime | None  # the first reset after the call ended (None: none taken)
    minutes_to_reset: float | None


@dataclass(frozen=True, slots=True)
class Period:
    """An agent's calls in one week: raw and difficulty-adjusted means."""

    start: date
    calls: int
    difficulty: float
    overall: float | None
    adjusted: float | None


def heavy_calls(store: Store, agent: str, since: datetime | None = None) -> list[HeavyCall]:
    """The agent's heavy calls and the reset taken after each (before the next heavy call)."""
    with store.session() as s:
        q = (
            select(CallRow.id, CallRow.started_at, CallRow.ended_at)
            .where(CallRow.agent == agent, CallRow.heavy.is_(True))
            .order_by(CallRow.started_at)
        )
        if since is not None:
            q = q.where(CallRow.started_at >= since)
        calls = [(i, _aware(a), _aware(b)) for i, a, b in s.execute(q)]
        resets = [
            _aware(t)
            for t in s.scalars(
                select(ResetRow.taken_at).where(ResetRow.agent == agent).order_by(ResetRow.taken_at)
            )
        ]
    out = []
    for i, (call_id, started, ended) in enumerate(calls):
        after = ended or started
        nxt = calls[i + 1][1] if i + 1 < len(calls) else None
        reset = next(
            (
                r
                for r in resets
                if r is not None and after is not None and r >= after and (nxt is None or r < nxt)
            ),
            None,
        )
        minutes = (reset - after).total_seconds() / 60 if reset and after else None
        out.append(HeavyCall(call_id, started, ended, reset, minutes))  # type: ignore[arg-type]
    return out


def scores_over_time(entries: Iterable[LibraryEntry], agent: str) -> list[Period]:
    """Weekly means of an agent's finished calls: difficulty, raw overall, adjusted."""
    weeks: dict[date, list[LibraryEntry]] = defaultdict(list)
    for e in entries:
        if e.agent != agent or e.live:
            continue
        day = e.started_at.date()
        weeks[day - timedelta(days=day.weekday())].append(e)
    out = []
    for start in sorted(weeks):
        es = weeks[start]
        scored = [e for e in es if e.overall is not None]
        out.append(
            Period(
                start=start,
                calls=len(es),
                difficulty=sum(e.difficulty.score for e in es) / len(es),
                overall=(
                    sum(e.overall for e in scored if e.overall is not None) / len(scored)
                    if scored
                    else None
                ),
                adjusted=(
                    sum(e.adjusted for e in scored if e.adjusted is not None) / len(scored)
                    if scored
                    else None
                ),
            )
        )
    return out

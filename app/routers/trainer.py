"""The trainer's screens: the library, the replay view, reviews, reports and exports.

Routes (every one behind ``require``; T = trainer, A = admin, S = supervisor):

- ``GET  /trainer``                                 library, filters and sort (T, A)
- ``GET  /trainer/calls/{id}``                      replay view (T, A, S: listen-in)
- ``GET  /trainer/calls/{id}/replay.json?after=N``  its data; live calls poll it (T, A, S)
- ``GET  /trainer/calls/{id}/audio.wav``            both speakers as one stereo WAV,
                                                    byte ranges for seeking (T, A, S)
- ``POST /trainer/calls/{id}/overrides``            override a rubric criterion (T, A)
- ``POST /trainer/calls/{id}/notes``                a "went well" note (T, A)
- ``POST /trainer/calls/{id}/debrief``              mark for peer debrief (T, A, S)
- ``GET  /trainer/debriefs?team=``                  the debrief queue per team (T, A, S)
- ``POST /trainer/debriefs/{n}/done``               debriefed (T, A, S)
- ``GET  /trainer/agents/{agent}``                  heavy calls, resets, scores over time (T, A, S)
- ``GET  /trainer/calls/{id}/report.html|.pdf``     one-call report (T, A)
- ``GET  /trainer/scores.csv?from=&to=``            scores for a date range (T, A)

Transcripts, evidence and exports shown here are redacted by the trainer policy
(:mod:`app.security.redaction`); who opened which call's transcript, recording or
report is logged by the access-audit middleware (:mod:`app.security.access`).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, status
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from markupsafe import Markup

from app import library, reports
from app.library import LibraryFilter
from app.mixdown import RangeNotSatisfiable, StereoMix
from app.render import environment
from app.security.roles import Principal, Role, require
from app.store import Store
from cues.types import CRITERIA, CUE_KINDS

log = logging.getLogger("heard.trainer")

router = APIRouter(tags=["trainer"])

Trainer = Annotated[Principal, Depends(require("trainer", "admin"))]
#: Who may open a call's replay and debrief (the supervisor queue links to it for them).
REVIEWER_ROLES: frozenset[Role] = frozenset({"trainer", "admin", "supervisor"})
Reviewer = Annotated[Principal, Depends(require(*sorted(REVIEWER_ROLES)))]

ARRIVALS = ("calm", "anxious", "distressed", "angry", "grieving", "overwhelmed")
STAKES = ("care_access", "medication", "money", "legal_rights", "urgent_timing")
PAGE = 50
#: 422 (its starlette name changed between versions)
UNPROCESSABLE = 422


def _store(request: Request) -> Store:
    store: Store | None = getattr(request.app.state, "store", None)
    if store is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the store is not ready")
    return store


def redactor(request: Request) -> library.Redact:
    """What trainers see: the configured policy (``Settings.security.redaction``)."""
    from app.security.redaction import policy_kinds

    security = getattr(getattr(request.app.state, "settings", None), "security", None)
    kinds = policy_kinds("trainer", getattr(security, "redaction", None))
    today = date.today()

    def apply(text: str) -> str:
        return _redacted(text, kinds, today)

    return apply


@lru_cache(maxsize=50_000)
def _redacted(text: str, kinds: frozenset[Any], today: date) -> str:
    # About 0.5 ms a line: a replay reopened or polled would redo the same lines.
    from app.security.redaction import redact

    return redact(text, kinds, today=today).text


def _csrf(request: Request) -> str:
    """The token plain forms post back (``csrf_token``; see app.security.csrf)."""
    auth = getattr(request.app.state, "session_auth", None)
    if auth is None:
        return ""
    from app.security.sessions import SESSION_COOKIE, read_cookie

    return str(auth.csrf_for(read_cookie(request, SESSION_COOKIE) or ""))


def _page(template: str, request: Request, principal: Principal, **ctx: Any) -> HTMLResponse:
    html = (
        environment()
        .get_template(template)
        .render(
            principal=principal,
            roles=sorted(principal.roles),
            is_trainer=bool({"trainer", "admin"} & set(principal.roles)),
        csrf_token=_csrf(request),
            **ctx,
        )
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def _call_url(call_id: str, suffix: str = "") -> str:
    return f"/trainer/calls/{quote(call_id, safe='')}{suffix}"


# --- the library -----------------------------------------------------------------------------


def _float(value: str | None) -> float | None:
    if value is None or value.strip() == "":
        return None
    try:
        x = float(value)
    except ValueError as exc:
        raise HTTPException(UNPROCESSABLE, f"not a number: {value!r}") from exc
    return x / 100 if x > 1 else x


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise HTTPException(UNPROCESSABLE, "dates are YYYY-MM-DD") from exc


def filter_from_query(q: dict[str, str]) -> LibraryFilter:
    heavy = q.get("heavy")
    sort = q.get("sort", "date")
    page = max(1, int(q["page"])) if q.get("page", "").isdigit() else 1
    return LibraryFilter(
        date_from=_date(q.get("from")),
        date_to=_date(q.get("to")),
        agent=q.get("agent") or None,
        difficulty_min=_float(q.get("dmin")),
        difficulty_max=_float(q.get("dmax")),
        arrival=q.get("arrival") if q.get("arrival") in ARRIVALS else None,
        stake=q.get("stake") if q.get("stake") in STAKES else None,
        heavy=True if heavy == "yes" else False if heavy == "no" else None,
        cue_kind=q.get("cue") if q.get("cue") in CUE_KINDS else None,
        rubric_min=_float(q.get("rmin")),
        rubric_max=_float(q.get("rmax")),
        feedback=q.get("feedback")
        if q.get("feedback") in ("any", "used", "not_helpful", "none")
        else None,
        went_well=q.get("went_well") == "1",
        sort=sort if sort in library.SORTS else "date",
        descending=q.get("order", "desc") != "asc",
        limit=PAGE,
        offset=(page - 1) * PAGE,
    )


@router.get("/trainer", response_class=HTMLResponse)
def library_page(request: Request, principal: Trainer) -> HTMLResponse:
    q = dict(request.query_params)
    f = filter_from_query(q)
    store = _store(request)
    entries, total = library.list_library(store, f)
    page = f.offset // PAGE + 1

    def link(**changes: Any) -> str:
        params = {**q, **{k: v for k, v in changes.items() if v is not None}}
        return "/trainer?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})

    return _page(
        "trainer/library.html",
        request,
        principal,
        entries=entries,
        total=total,
        q=q,
        f=f,
        page=page,
        pages=max(1, -(-total // PAGE)),
        link=link,
        agents=library.agents(store),
        arrivals=ARRIVALS,
        stakes=STAKES,
        kinds=CUE_KINDS,
        sorts=library.SORTS,
        call_url=_call_url,
    )


# --- the replay ------------------------------------------------------------------------------


def _json_script(payload: dict[str, Any]) -> Markup:
    # Inside <script type="application/json">: "<" escaped so "</script>" cannot close it.
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace("\u2028", "\\u2028"))


@router.get("/trainer/calls/{call_id}", response_class=HTMLResponse)
def replay_page(call_id: str, request: Request, principal: Reviewer) -> HTMLResponse:
    store = _store(request)
    payload = library.replay_payload(store, call_id, redact=redactor(request))
    if payload is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such call")
    has_audio = any(store.audio_file(call_id, s) for s in ("caller", "agent"))
    return _page(
        "trainer/replay.html",
        request,
        principal,
        call=payload["call"],
        data=_json_script(payload),
        json_url=_call_url(call_id, "/replay.json"),
        audio_url=_call_url(call_id, "/audio.wav") if has_audio else "",
        call_url=_call_url,
        criteria=CRITERIA,
        notes=library.notes(store, call_id),
        debriefs=library.debrief_queue(store, call_id=call_id, open_only=False),
    )


@router.get("/trainer/calls/{call_id}/replay.json")
def replay_json(
    call_id: str,
    request: Request,
    principal: Reviewer,
    after: Annotated[int, Query(ge=0)] = 0,
) -> JSONResponse:
    payload = library.replay_payload(
        _store(request), call_id, after=after, redact=redactor(request)
    )
    if payload is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such call")
    return JSONResponse(payload, headers={"Cache-Control": "no-store"})


@router.get("/trainer/calls/{call_id}/audio.wav", response_model=None)
def replay_audio(call_id: str, request: Request, principal: Reviewer) -> Response:
    store = _store(request)
    mix = StereoMix.open(store.audio_file(call_id, "caller"), store.audio_file(call_id, "agent"))
    if mix is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no recording for this call")
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": "no-store",
        "Content-Disposition": "inline",
    }
    try:
        wanted = mix.parse_range(request.headers.get("range"))
    except RangeNotSatisfiable:
        return Response(
            status_code=status.HTTP_416_RANGE_NOT_SATISFIABLE,
            headers={**headers, "Content-Range": f"bytes */{mix.size}"},
        )
    if wanted is None:
        return StreamingResponse(
            mix.iter_all(),
            media_type="audio/wav",
            headers={**headers, "Content-Length": str(mix.size)},
        )
    first, last = wanted
    return Response(
        mix.read(first, last),
        status_code=status.HTTP_206_PARTIAL_CONTENT,
        media_type="audio/wav",
        headers={**headers, "Content-Range": f"bytes {first}-{last}/{mix.size}"},
    )


# --- reviews ---------------------------------------------------------------------------------


def _back(call_id: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(_call_url(call_id) + anchor, status_code=status.HTTP_303_SEE_OTHER)


@router.post("/trainer/calls/{call_id}/overrides")
def add_override(
    call_id: str,
    request: Request,
    principal: Trainer,
    criterion: Annotated[str, Form()],
    score: Annotated[str, Form()],
    comment: Annotated[str, Form()] = "",
) -> RedirectResponse:
    value = _float(score)
    if value is None or criterion not in CRITERIA or not 0 <= value <= 1:
        raise HTTPException(
            UNPROCESSABLE,
            "criterion must be one of the four and score between 0 and 1 (or 0-100)",
        )
    if not library.add_override(
        _store(request), call_id, criterion, value, principal.username, comment
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such call")
    return _back(call_id, "#rubric")


@router.post("/trainer/calls/{call_id}/notes")
def add_note(
    call_id: str,
    request: Request,
    principal: Trainer,
    comment: Annotated[str, Form()],
    at_s: Annotated[str, Form()] = "",
) -> RedirectResponse:
    try:
        at = float(at_s) if at_s.strip() else None
        ok = library.add_note(_store(request), call_id, principal.username, comment, at)
    except ValueError as exc:
        raise HTTPException(UNPROCESSABLE, str(exc)) from exc
    if not ok:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such call")
    return _back(call_id, "#notes")


@router.post("/trainer/calls/{call_id}/debrief")
def mark_debrief(
    call_id: str,
    request: Request,
    principal: Reviewer,
    team: Annotated[str, Form()] = "default",
    reason: Annotated[str, Form()] = "",
) -> RedirectResponse:
    if library.mark_debrief(_store(request), call_id, team, principal.username, reason) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such call")
    return _back(call_id, "#debrief")


@router.get("/trainer/debriefs", response_class=HTMLResponse)
def debriefs_page(request: Request, principal: Reviewer, team: str = "") -> HTMLResponse:
    store = _store(request)
    return _page(
        "trainer/debriefs.html",
        request,
        principal,
        team=team,
        teams=library.teams(store),
        queue=library.debrief_queue(store, team or None),
        call_url=_call_url,
    )


@router.post("/trainer/debriefs/{debrief_id}/done")
def debrief_done(
    debrief_id: int,
    request: Request,
    principal: Reviewer,
    team: Annotated[str, Form()] = "",
) -> RedirectResponse:
    if not library.close_debrief(_store(request), debrief_id, principal.username):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no open debrief with that number")
    target = "/trainer/debriefs" + (f"?{urlencode({'team': team})}" if team else "")
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


@router.get("/trainer/agents/{agent}", response_class=HTMLResponse)
def agent_page(agent: str, request: Request, principal: Reviewer) -> HTMLResponse:
    store = _store(request)
    entries = library.load_entries(store)
    mine = [e for e in entries if e.agent == agent]
    if not mine:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no calls for that agent")
    periods = library.scores_over_time(entries, agent)
    return _page(
        "trainer/agent.html",
        request,
        principal,
        agent=agent,
        calls=sorted(mine, key=lambda e: e.started_at, reverse=True)[:100],
        heavy=library.heavy_calls(store, agent),
        periods=periods,
        chart=Markup(reports.score_chart_svg(periods)),
        call_url=_call_url,
    )


# --- reports and exports ---------------------------------------------------------------------


@router.get("/trainer/calls/{call_id}/report.html", response_class=HTMLResponse)
def report_html(call_id: str, request: Request, principal: Trainer) -> HTMLResponse:
    html = reports.call_report_html(_store(request), call_id, redact=redactor(request))
    if html is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such call")
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.get("/trainer/calls/{call_id}/report.pdf", response_model=None)
def report_pdf(call_id: str, request: Request, principal: Trainer) -> Response:
    pdf = reports.call_report_pdf(_store(request), call_id, redact=redactor(request))
    if pdf is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such call")
    name = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in call_id)[:80]
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="heard-{name}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/trainer/scores.csv", response_model=None)
def scores_csv(
    request: Request,
    principal: Trainer,
    date_from: Annotated[str | None, Query(alias="from")] = None,
    date_to: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    first = _date(date_from) or (datetime.now(UTC).date() - timedelta(days=30))
    last = _date(date_to) or datetime.now(UTC).date()
    if last < first:
        raise HTTPException(UNPROCESSABLE, "'to' is before 'from'")
    body = reports.scores_csv(_store(request), first, last)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="heard-scores-{first}-{last}.csv"',
            "Cache-Control": "no-store",
        },
    )

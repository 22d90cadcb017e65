"""The audio edge against known signals: tones through G.711, stereo split, resampling."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import soxr

from transcription.audio import (
    AudioEdge,
    AudioFormat,
    SlidingResampler,
    alaw_table,
    encode_alaw,
    encode_mulaw,
    mulaw_table,
    to_phone_band,
)
from transcription.errors import AudioFormatError
from transcription.types import SAMPLE_RATE, AudioChunk


def tone(freq: float, seconds: float, rate: int, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return level * np.sin(2 * np.pi * freq * t)


def pcm16(x: np.ndarray) -> np.ndarray:
    return np.round(x * 32767).astype(np.int16)


def dominant_hz(x: np.ndarray, rate: int = SAMPLE_RATE) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x))


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def joined(chunks: list[AudioChunk], speaker: str = "caller") -> np.ndarray:
    return np.concatenate([c.pcm for c in chunks if c.speaker == speaker])


def test_g711_tables_are_the_standard_ones() -> None:
    mu, a = mulaw_table(), alaw_table()
    # Known code points of ITU-T G.711.
    assert mu[0x00] == -32124 and mu[0x80] == 32124 and mu[0xFF] == 0 and mu[0x7F] == 0
    assert a[0xD5] == 8 and a[0x55] == -8 and a[0xAA] == 32256 and a[0x2A] == -32256
    # Both are monotonic within each sign half, i.e. invertible.
    assert len(set(mu.tolist())) == 255 and len(set(a.tolist())) == 256


@pytest.mark.parametrize(("encoding", "encode"), [("mulaw", encode_mulaw), ("alaw", encode_alaw)])
def test_g711_tone_decodes_to_right_frequency_and_level(encoding: str, encode) -> None:  # type: ignore[no-untyped-def]
    wire = encode(pcm16(tone(1000, 1.0, 8000, level=0.5)))
    edge = AudioEdge("c1", AudioFormat(encoding, 8000, 1))  # type: ignore[arg-type]
    # Odd-sized payloads, as a websocket might deliver them.
    chunks = []
    for i in range(0, len(wire), 333):
        chunks += edge.decode(wire[i : i + 333])
    chunks += edge.flush()
    out = joined(chunks)
    assert len(out) == SAMPLE_RATE  # 1 s at 16 kHz, sample-accurate
    assert dominant_hz(out) == pytest.approx(1000, abs=2)
    assert rms(out[800:-800]) == pytest.approx(0.5 / np.sqrt(2), rel=0.03)
    # Chunks tile the clock without gaps or overlaps.
    for a, b in itertools.pairwise(chunks):
        assert b.start == pytest.approx(a.end, abs=1e-9)


def test_stereo_pcm16_splits_speakers_and_keeps_odd_bytes() -> None:
    left, right = pcm16(tone(440, 0.5, 16000)), pcm16(tone(1200, 0.5, 16000, 0.25))
    inter = np.stack([left, right], axis=1).reshape(-1).astype("<i2").tobytes()
    edge = AudioEdge("c2", AudioFormat("pcm16", 16000, 2, ("caller", "agent")))
    chunks = []
    for i in range(0, len(inter), 101):  # splits samples and frames
        chunks += edge.decode(inter[i : i + 101])
    caller, agent = joined(chunks, "caller"), joined(chunks, "agent")
    assert len(caller) == len(agent) == 8000
    np.testing.assert_allclose(caller, left / 32768, atol=1e-6)
    assert dominant_hz(agent) == pytest.approx(1200, abs=3)
    assert edge.clock("agent") == pytest.approx(0.5)


def test_agent_first_channel_order() -> None:
    fmt = AudioFormat("mulaw", 8000, 2, ("agent", "caller"))
    edge = AudioEdge("c3", fmt)
    wire = bytes([0xFF, 0x80] * 80)  # agent silent, caller at +full scale
    chunks = edge.decode(wire) + edge.flush()
    assert rms(joined(chunks, "caller")[20:-20]) > 0.9
    assert rms(joined(chunks, "agent")) < 1e-3


@pytest.mark.parametrize("rate", [44100, 48000, 8000])
def test_resample_preserves_length_and_frequency(rate: int) -> None:
    x = pcm16(tone(700, 2.0, rate, 0.3)).astype("<i2").tobytes()
    edge = AudioEdge("c4", AudioFormat("pcm16", rate, 1))
    chunks = []
    step = 2 * (rate // 50) + 1  # 20 ms frames, off by one byte
    for i in range(0, len(x), step):
        chunks += edge.decode(x[i : i + step])
    chunks += edge.flush()
    out = joined(chunks)
    assert len(out) == pytest.approx(2 * SAMPLE_RATE, abs=2)
    assert dominant_hz(out) == pytest.approx(700, abs=2)
    assert rms(out[1600:-1600]) == pytest.approx(0.3 / np.sqrt(2), rel=0.02)


@pytest.mark.parametrize("channels", [1, 2])
def test_sliding_resampler_equals_one_whole_call_resampling(channels: int) -> None:
    # Payloads of awkward sizes (1 sample, under the delay, long) must not leave seams.
    x = (np.random.default_rng(3).standard_normal((8000 * 2, channels)) * 0.2).astype(np.float32)
    whole = np.asarray(soxr.resample(x, 8000, SAMPLE_RATE, quality="HQ")).reshape(-1, channels)
    rs = SlidingResampler(8000, SAMPLE_RATE, channels)
    out, i = [], 0
    for n in itertools.cycle([160, 7, 33, 1000, 1, 50]):
        if i >= len(x):
            break
        out.append(rs.resample_chunk(x[i : i + n]))
        i += n
    out.append(rs.resample_chunk(x[:0], last=True))
    y = np.concatenate(out)
    assert y.shape == whole.shape
    assert np.max(np.abs(y - whole)) < 1e-5


def test_sliding_resampler_interpolates_a_quiet_line_and_is_exact_where_it_is_not() -> None:
    rng = np.random.default_rng(4)
    quiet = rng.standard_normal((8000, 1)) * 10 ** (-65 / 20)  # line noise, far under the gate
    x = np.concatenate([quiet, rng.standard_normal((8000, 1)) * 0.2, quiet]).astype(np.float32)
    whole = np.asarray(soxr.resample(x, 8000, SAMPLE_RATE, quality="HQ")).reshape(-1, 1)
    rs = SlidingResampler(8000, SAMPLE_RATE, 1)
    y = np.concatenate(
        [rs.resample_chunk(x[i : i + 160]) for i in range(0, len(x), 160)]
        + [rs.resample_chunk(x[:0], last=True)]
    )
    assert y.shape == whole.shape
    loud = slice(2 * 8000 + 1000, 2 * 16000 - 1000)  # away from the windows that see both
    assert np.max(np.abs(y[loud] - whole[loud])) < 1e-5
    assert np.max(np.abs(y - whole)) < 10 ** (-50 / 20)  # the quiet parts: close, not exact


def test_phone_frames_come_out_every_frame_12_ms_behind() -> None:
    # The reason for SlidingResampler: soxr's stream released 8 kHz audio in ~104 ms blocks.
    edge = AudioEdge("c5", AudioFormat("mulaw", 8000, 1))
    frame = encode_mulaw(pcm16(tone(500, 0.02, 8000, 0.3)))
    produced = []
    for _ in range(20):
        edge.decode(frame)
        produced.append(edge.clock())
    sent = 0.02 * np.arange(1, 21)
    assert np.allclose(sent - np.array(produced), 0.012, atol=1e-6)


def test_advance_moves_the_clock_over_a_known_gap() -> None:
    edge = AudioEdge("c5", AudioFormat("mulaw", 8000, 1))
    first = edge.decode(encode_mulaw(pcm16(tone(500, 1.0, 8000))))
    tail = edge.advance(10.0)
    after = edge.decode(encode_mulaw(pcm16(tone(500, 0.5, 8000))))
    assert first[0].start == 0.0
    assert sum(len(c.pcm) for c in first + tail) == SAMPLE_RATE
    assert after[0].start == pytest.approx(11.0)


def test_nan_and_clipping_are_handled() -> None:
    edge = AudioEdge("c6", AudioFormat("pcm16", 48000, 1))
    x = tone(300, 0.2, 48000, 1.5)
    x[100:200] = np.nan
    chunks = edge.decode_float(x) + edge.flush()
    out = joined(chunks)
    assert np.isfinite(out).all() and np.abs(out).max() <= 1.0
    assert edge.nan_samples == 100 and edge.clipped_samples > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"encoding": "mulaw", "sample_rate": 16000}, "sample rate 16000"),
        ({"encoding": "pcm16", "sample_rate": 22050}, "sample rate 22050"),
        ({"encoding": "opus"}, "encoding"),
        ({"channels": 3}, "channel count"),
        ({"channels": 2, "speakers": ("caller", "caller")}, "distinct"),
        ({"channels": 1, "speakers": ("caller", "agent")}, "speaker name"),
    ],
)
def test_bad_formats_raise_clear_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(AudioFormatError, match=message):
        AudioFormat(**kwargs)


def test_format_change_mid_call_is_rejected_and_edge_stays_usable() -> None:
    edge = AudioEdge("c7", AudioFormat("mulaw", 8000, 1))
    with pytest.raises(AudioFormatError, match="changed mid-call"):
        edge.require_format(AudioFormat("pcm16", 16000, 1))
    with pytest.raises(AudioFormatError, match="bytes"):
        edge.decode("not bytes")  # type: ignore[arg-type]
    assert sum(len(c.pcm) for c in edge.decode(b"\xff" * 1600) + edge.flush()) == 3200


def test_phone_band_keeps_speech_band_and_cuts_above_4k() -> None:
    x = (tone(1000, 1.0, 16000) + tone(6000, 1.0, 16000)).astype(np.float32)
    y = to_phone_band(x)
    assert len(y) == pytest.approx(len(x), abs=2)
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    assert spec[1000] > 50 * spec[6000]


def test_a_long_quiet_line_goes_out_in_blocks_and_speech_at_once() -> None:
    edge = AudioEdge("c6", AudioFormat("mulaw", 8000, 2))
    quiet = encode_mulaw(np.zeros(320, np.int16))  # 20 ms, both channels
    loud = encode_mulaw(pcm16(np.tile(tone(500, 0.02, 8000, 0.3), (2, 1)).T.reshape(-1)))
    released = [len(edge.decode(quiet)) for _ in range(150)]  # 3 s of silence
    assert all(released[:50])  # the first second frame by frame (the endpointer counts it)
    assert released[60:].count(0) >= 4 * released[60:].count(2)  # then ~0.1 s blocks
    out = edge.decode(loud)  # speech releases what was held, with itself, at once
    assert len(out) == 2
    total = sum(len(c.pcm) for c in out) // 2
    assert edge.clock("caller") == pytest.approx(3.02 - 0.012, abs=1e-6)
    assert total >= 320  # this frame at least, plus anything held
    chunks = edge.flush()
    assert edge.clock("caller") == pytest.approx(3.02, abs=1e-6)
    assert all(len(c.pcm) for c in chunks)


@pytest.mark.parametrize("encoding", ["mulaw", "alaw"])
def test_quiet_is_told_from_the_wire_bytes_exactly_as_from_the_levels(encoding: str) -> None:
    from transcription.audio import QUIET_PEAK, _float_table, _quiet_codes

    codes = set(_quiet_codes(encoding))  # type: ignore[arg-type]
    levels = np.abs(_float_table(encoding))  # type: ignore[arg-type]
    assert codes == {c for c in range(256) if levels[c] < QUIET_PEAK}
    assert 0 < len(codes) < 256


def test_a_held_noisy_line_comes_out_as_without_holding() -> None:
    # Line noise under the quiet level, held and released in blocks, then speech: the
    # samples released equal those of an edge fed the same audio in one payload.
    rng = np.random.default_rng(3)
    noise = rng.standard_normal(8000 * 3 * 2) * 10 ** (-65 / 20)
    speech = np.tile(tone(500, 0.5, 8000, 0.3), (2, 1)).T.reshape(-1)
    wire = encode_mulaw(pcm16(np.concatenate([noise, speech])))
    fmt = AudioFormat("mulaw", 8000, 2)
    framed, whole = AudioEdge("a", fmt), AudioEdge("b", fmt)
    chunks = [c for i in range(0, len(wire), 320) for c in framed.decode(wire[i : i + 320])]
    chunks += framed.flush()
    ref = whole.decode(wire) + whole.flush()
    for speaker in ("caller", "agent"):
        a, b = joined(chunks, speaker), joined(ref, speaker)
        assert len(a) == len(b) == 2 * (len(wire) // 2)
        assert np.max(np.abs(a - b)) < 10 ** (-50 / 20)  # interpolated quiet vs HQ: close
        assert np.allclose(a[-4000:], b[-4000:], atol=1e-6)  # the speech: HQ in both

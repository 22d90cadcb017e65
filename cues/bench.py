"""``heard bench cues [--scripts DIR] [--rounds N] [--json]``: cue engine throughput.

The whole engine (detectors, call context, event building), one call per script,
on one core: CPU time of this process (``time.process_time``), so other work on a
shared machine slows the wall clock but not the figure. Reports the median of the
rounds, the fastest and the slowest round, and the slowest single utterance seen.
The CPU clock still counts what a busy neighbour costs this process (shared caches,
a throttled core); like ``timeit``, read the fastest round as what the engine can
do, and the spread as how noisy the machine was.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from cues.engine import CueEngine
from cues.evaluate import script_utterances
from cues.playbook import default_playbook
from cues.scripts import ScriptError, load_scripts
from transcription.types import Utterance

#: Used when no scripts folder is given or found: ordinary call talk, both speakers.
_BUILTIN: tuple[tuple[str, str], ...] = (
    ("agent", "Good morning, Riverside Clinic, this is Sam, how can I help you today?"),
    ("caller", "Hi, I need to reschedule my follow-up, and I had a question about my bill."),
    ("agent", "Sure, can I get your name and date of birth please?"),
    ("caller", "It's Jordan Ellis, March 3rd, 1980. I've called twice about this already."),
    ("agent", "Thanks, Jordan. I see the visit from the 12th and a balance of 140 dollars."),
    ("caller", "I'm honestly a bit worried, the doctor said my results were off."),
    ("agent", "I'll send a message to Dr. Kim's nurse and they'll get back to you soon."),
    ("caller", "Soon? Like today? I take the pills twice a day and I'm almost out."),
    ("agent", "Her nurse returns calls by 4 today. If you haven't heard by 4, call me back."),
    ("caller", "Okay, thank you. See you soon."),
)


def _default_dir() -> Path | None:
    for candidate in (
        Path("../shared/calls"),
        Path(__file__).resolve().parents[2] / "shared/calls",
    ):
        if candidate.is_dir():
            return candidate
    return None


def corpus(directory: Path | None) -> list[list[Utterance]]:
    if directory is not None:
        calls = [script_utterances(s) for s in load_scripts(directory)]
        if calls:
            return calls
    seqs = {"caller": 0, "agent": 0}
    call: list[Utterance] = []
    for i, (speaker, text) in enumerate(_BUILTIN):
        call.append(Utterance("bench", speaker, seqs[speaker], text, i * 4.0, i * 4.0 + 3.5, True))  # type: ignore[arg-type]
        seqs[speaker] += 1
    return [call]


def run(calls: list[list[Utterance]], rounds: int) -> dict[str, Any]:
    # parse, load and warm once, outside the clock: the learned layer and the emotion
    # reader load on the first engine built, and the first utterance fills lazy caches
    # (~20 ms, once per server process, not per call)
    default_playbook()
    if calls and calls[0]:
        CueEngine(calls[0][0].call_id).feed(calls[0][0])
    n = sum(len(c) for c in calls)
    rates: list[float] = []
    worst = 0.0
    for _ in range(rounds):
        t0 = time.process_time()
        for call in calls:
            engine = CueEngine(call[0].call_id)
            for u in call:
                u0 = time.process_time()
                engine.feed(u)
                worst = max(worst, time.process_time() - u0)
            engine.end_call()
        dt = time.process_time() - t0
        rates.append(n / dt if dt > 0 else float("inf"))
    return {
        "utterances": n,
        "rounds": rounds,
        "utterances_per_s": round(statistics.median(rates), 1),
        "best_utterances_per_s": round(max(rates), 1),
        "min_utterances_per_s": round(min(rates), 1),
        "slowest_utterance_ms": round(worst * 1000, 3),
        "clock": "process CPU time, one core",
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="heard bench cues", description=__doc__.splitlines()[0])
    ap.add_argument("--scripts", type=Path, help="call scripts to replay (default ../shared/calls)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    directory = args.scripts if args.scripts is not None else _default_dir()
    try:
        calls = corpus(directory)
    except ScriptError as exc:
        print(f"heard bench cues: {exc}", file=sys.stderr)
        return 2
    result = run(calls, max(1, args.rounds))
    result["source"] = str(directory) if directory is not None else "built-in"
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{result['utterances_per_s']:,.0f} utterances/s (median of {result['rounds']}; "
            f"best {result['best_utterances_per_s']:,.0f}, worst "
            f"{result['min_utterances_per_s']:,.0f}), slowest utterance "
            f"{result['slowest_utterance_ms']} ms, {result['utterances']} utterances from "
            f"{result['source']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Measure the call-context tracker against scripts' ``call:`` blocks (not a test).

    python -m tests.measure_context ../shared/calls [--raised none|oracle|engine] [-v]

``--raised none`` feeds no cue kinds (the words alone), ``oracle`` the kinds the
script lists (as if the engine were perfect), ``engine`` the kinds the cue engine
raises (``cues.engine``, when present). Prints accuracy of arrival, repeat_contact,
resolvable, heavy and micro F1 of stakes and departments, as ``../shared/calls/README.md``
defines them, and with ``-v`` every miss.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from cues.context import ContextTracker
from cues.scripts import Script, load_scripts
from cues.types import CallContext
from transcription.types import Utterance

SCALAR = ("arrival", "repeat_contact", "resolvable", "heavy")
SETS = ("stakes", "departments")


def utterances(script: Script) -> Iterator[Utterance]:
    seqs = {"caller": 0, "agent": 0}
    t = 0.0
    for turn in script.turns:
        dur = 0.35 * len(turn.text.split()) + 0.5
        yield Utterance(script.id, turn.speaker, seqs[turn.speaker], turn.text, t, t + dur, True)
        seqs[turn.speaker] += 1
        t += dur + 0.4


def run(script: Script, mode: str) -> CallContext:
    if mode == "engine":  # the whole cue engine, which feeds its own tracker
        from cues.engine import CueEngine

        engine = CueEngine(script.id)
        for utt in utterances(script):
            engine.feed(utt)
        engine.end_call()
        return engine.context
    tracker = ContextTracker()
    raised: set[str] = set()
    for i, (turn, utt) in enumerate(zip(script.turns, utterances(script), strict=True)):
        if mode == "oracle":
            raised.update(turn.cues)
        tracker.update(utt, i, frozenset(raised))
    return tracker.context


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("directory", type=Path)
    ap.add_argument("--raised", choices=("none", "oracle", "engine"), default="none")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    scripts = load_scripts(args.directory)
    right = dict.fromkeys(SCALAR, 0)
    total = dict.fromkeys(SCALAR, 0)
    tp = dict.fromkeys(SETS, 0)
    fp = dict.fromkeys(SETS, 0)
    fn = dict.fromkeys(SETS, 0)
    n_utt = 0
    t0 = time.perf_counter()
    for script in scripts:
        got = run(script, args.raised)
        n_utt += len(script.turns)
        exp = script.call
        for f in SCALAR:
            e = getattr(exp, f)
            if e is None:
                continue
            total[f] += 1
            g = getattr(got, f)
            if g == e:
                right[f] += 1
            elif args.verbose:
                print(f"  {script.id}: {f} expected {e!r} got {g!r}")
        for f in SETS:
            e = getattr(exp, f)
            if e is None:
                continue
            es, gs = set(e), set(getattr(got, f))
            tp[f] += len(es & gs)
            fp[f] += len(gs - es)
            fn[f] += len(es - gs)
            if args.verbose and es != gs:
                print(f"  {script.id}: {f} missing {sorted(es - gs)} extra {sorted(gs - es)}")
    wall = time.perf_counter() - t0
    print(f"scripts={len(scripts)} raised={args.raised}")
    for f in SCALAR:
        print(f"  {f:15s} accuracy {right[f] / max(total[f], 1):.3f} ({right[f]}/{total[f]})")
    for f in SETS:
        p = tp[f] / max(tp[f] + fp[f], 1)
        r = tp[f] / max(tp[f] + fn[f], 1)
        f1 = 2 * p * r / (p + r) if p + r else (1.0 if not fn[f] and not fp[f] else 0.0)
        print(f"  {f:15s} F1 {f1:.3f} (P {p:.3f} R {r:.3f}; tp {tp[f]} fp {fp[f]} fn {fn[f]})")
    what = "whole engine" if args.raised == "engine" else "tracker only"
    print(f"  {n_utt / wall:.0f} utterances/s ({what})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``heard eval cues``: the scorer of ../shared/calls/README.md, on our own scripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cues.evaluate import BARS, CallRun, check, evaluate_dir, main, score
from cues.scripts import load_scripts, parse_script
from cues.types import CallContext

OURS = Path(__file__).parent / "scripts"


def _script(text: str, sid: str = "s"):  # type: ignore[no-untyped-def]
    return parse_script(text, f"{sid}.yaml", stem=sid)


def test_scoring_arithmetic_pairs_and_placement() -> None:
    s1 = _script(
        "id: s1\nturns:\n"
        "  - caller: a\n    cues: [orient]\n"
        "  - agent: b\n"
        "  - caller: c\n    cues: [own_it]\n"
        "  - agent: d\n    cues: [take_a_reset]\n"
        "call:\n  heavy: true\n  stakes: [money]\n",
        "s1",
    )
    routine = _script("id: r\nturns:\n  - caller: hi\n  - agent: hello\n", "r")
    runs = [
        # orient on its turn, own_it one turn late (still placed), urgent_risk not expected
        CallRun(s1, {"orient": 0, "own_it": 3, "urgent_risk": 1}, CallContext(heavy=True), 0.01),
        CallRun(routine, {"abuse": 1}, CallContext(), 0.01),
    ]
    r = score(runs)
    assert r.precision == pytest.approx(2 / 4)  # orient, own_it of 4 raised
    assert r.recall == pytest.approx(2 / 3)  # take_a_reset missed
    assert r.placement == 1.0
    assert r.routine_false == 1
    assert r.per_kind["own_it"] == {"precision": 1.0, "recall": 1.0, "expected": 1, "raised": 1}
    assert r.per_kind["take_a_reset"]["recall"] == 0.0
    assert r.raised["s1"] == [
        {"kind": "orient", "turn": 0},
        {"kind": "urgent_risk", "turn": 1},
        {"kind": "own_it", "turn": 3},
    ]
    assert r.context["heavy"] == 1.0
    assert r.context["stakes_f1"] == 0.0  # money expected, none inferred
    failed = check(r)
    assert any(f.startswith("precision") for f in failed)
    assert any(f.startswith("routine_false") for f in failed)


def test_too_early_or_too_late_is_misplaced() -> None:
    s = _script(
        "id: s\nturns:\n  - caller: a\n  - caller: b\n    cues: [orient]\n"
        "  - caller: c\n  - caller: d\n",
        "s",
    )
    early = score([CallRun(s, {"orient": 0}, CallContext(), 0.01)])
    late = score([CallRun(s, {"orient": 3}, CallContext(), 0.01)])
    next_turn = score([CallRun(s, {"orient": 2}, CallContext(), 0.01)])
    assert early.placement == 0.0 and late.placement == 0.0 and next_turn.placement == 1.0
    assert early.recall == 1.0  # the pair is matched; only its placement is wrong


def test_our_own_scripts_meet_the_bars() -> None:
    scripts = load_scripts(OURS)
    assert len(scripts) >= 15
    assert any(s.routine for s in scripts)
    report = evaluate_dir(OURS)
    assert check(report) == [], report.misses
    assert report.precision >= BARS["precision"] and report.recall >= BARS["recall"]
    # a good handoff in a routine script raised nothing
    assert report.raised["records-to-new-dentist-complete-handoff"] == []


def test_cli_json_and_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(OURS), "--json", "--check"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {
        "precision",
        "recall",
        "placement",
        "routine_false",
        "per_kind",
        "context",
        "utterances_per_s",
        "raised",
    }
    assert set(out["per_kind"]["orient"]) == {"precision", "recall", "expected", "raised"}
    # a folder where the engine cannot meet the bars: --check fails and says why
    (tmp_path / "x.yaml").write_text(
        "id: x\nturns:\n  - caller: The weather is nice today.\n    cues: [orient]\n"
    )
    assert main([str(tmp_path), "--check"]) == 1
    err = capsys.readouterr().err
    assert "below the bar: recall" in err
    # bad folders and scripts are reported, not raised
    assert main([str(tmp_path / "missing")]) == 2
    (tmp_path / "y.yaml").write_text("id: y\nturns: []\n")
    assert main([str(tmp_path)]) == 2


def test_misses_name_the_words_a_trainer_should_look_at() -> None:
    """``-v``: a miss shows the listed turn's words; an unwanted card the words behind it."""
    s = _script(
        "id: w\nturns:\n"
        "  - caller: I am terrified of what the scan will show.\n    cues: [orient]\n"
        "  - agent: Let me look.\n",
        "w",
    )
    missed = score([CallRun(s, {}, CallContext(), 0.0)])
    assert missed.misses == [
        'w: orient missed (listed on turn 0): [caller] "I am terrified of what the scan will show."'
    ]
    unwanted = score([CallRun(s, {"orient": 0, "abuse": 0}, CallContext(), 0.0, {"abuse": "you"})])
    assert unwanted.misses == ['w: abuse raised on turn 0, not expected on "you"']

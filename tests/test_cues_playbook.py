"""Playbook validation (errors name file and line) and the store that keeps the last good one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cues.engine import CueEngine
from cues.playbook import (
    DEFAULT_PATH,
    PlaybookError,
    PlaybookStore,
    default_playbook,
    load_playbook,
    parse_playbook,
)
from cues.types import CUE_KINDS
from transcription.types import Utterance

GOOD = DEFAULT_PATH.read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_packaged_playbook_is_complete_and_readable() -> None:
    pb = default_playbook()
    assert set(pb.kinds) == set(CUE_KINDS)
    for spec in pb.kinds.values():
        assert spec.title and len(spec.title) <= 40
        assert spec.line and len(spec.line) <= 160  # readable in about a second
        assert spec.severity in {"info", "warn", "urgent"}
    assert pb.kinds["urgent_risk"].severity == "urgent"
    assert pb.kinds["orient"].speaker == "caller" and pb.kinds["real_timeline"].speaker == "agent"


def _broken(old: str, new: str) -> tuple[str, int]:
    assert old in GOOD
    return GOOD.replace(old, new, 1), line_of(GOOD, old)


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (
            "    severity: warn\n    speaker: caller\n    triggers:\n"
            "      - name: loose_repeat_calls",
            "    severity: loud\n    speaker: caller\n    triggers:\n"
            "      - name: loose_repeat_calls",
            "severity must be one of",
        ),
        (
            "          - \\bi (?:fear|dread)\\b",
            "          - \\bi (?:fear|dread\\b",
            "does not compile",
        ),
        (
            "          - \\bi (?:fear|dread)\\b",
            "          - \\bi {feer}\\b",
            "unknown lexicon {feer}",
        ),
        (
            "        negatable: false\n      - name: result_meaning",
            "        negatable: maybe\n      - name: result_meaning",
            "must be true or false",
        ),
        (
            "        negatable: false\n      - name: result_meaning",
            "        negateable: false\n      - name: result_meaning",
            "unknown field 'negateable'",
        ),
        (
            "    quiet_after: [abuse]\n    # annoyance said as mild",
            "    quiet_after: [abuse, anger]\n    # annoyance said as mild",
            "quiet_after: bad cue kind 'anger'",
        ),
    ],
)
def test_errors_name_the_file_and_line(old: str, new: str, words: str, tmp_path: Path) -> None:
    text, first_line = _broken(old, new)
    path = tmp_path / "playbook.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlaybookError) as err:
        load_playbook(path)
    assert words in str(err.value)
    assert str(err.value).startswith(f"{path}:")
    # the line named is inside the edited block
    assert err.value.line is not None
    assert first_line <= err.value.line <= first_line + new.count("\n")


def test_a_pattern_yaml_reads_as_a_mapping_gets_a_hint() -> None:
    old = "          - \\bi (?:fear|dread)\\b"
    text = GOOD.replace(old, "          - \\bi (?: fear|dread)\\b", 1)
    with pytest.raises(PlaybookError, match="quote it") as err:
        parse_playbook(text, "pb.yaml")
    assert err.value.line == line_of(GOOD, old)


def test_yaml_syntax_error_has_a_line() -> None:
    text = GOOD.replace("kinds:\n  orient:\n", "kinds:\n  orient: [\n", 1)
    with pytest.raises(PlaybookError) as err:
        parse_playbook(text, "pb.yaml")
    assert "not valid YAML" in str(err.value) and err.value.line is not None


def test_missing_kind_and_wrong_speaker_are_errors() -> None:
    start = GOOD.index("  offer_choice:\n")
    end = GOOD.index("  subtext_fear:\n")
    with pytest.raises(PlaybookError, match="kinds missing from the playbook: offer_choice"):
        parse_playbook(GOOD[:start] + GOOD[end:], "pb.yaml")
    text = GOOD.replace("    speaker: agent\n", "    speaker: caller\n", 1)
    with pytest.raises(PlaybookError, match="speaker must be 'agent'"):
        parse_playbook(text, "pb.yaml")


def test_a_line_too_long_to_read_in_a_second_is_an_error() -> None:
    old = '    line: "Repeat back what you heard'
    text = GOOD.replace(old, old + " and again" * 20, 1)
    with pytest.raises(PlaybookError, match="keep it under 160") as err:
        parse_playbook(text, "pb.yaml")
    assert err.value.line == line_of(GOOD, old)


def test_yaml_booleans_are_caught_not_used_as_words() -> None:
    text = GOOD.replace('negators: ["not", "no",', "negators: [not, no,", 1)
    with pytest.raises(PlaybookError, match="negators must be a non-empty list of strings"):
        parse_playbook(text, "pb.yaml")


def test_store_reloads_on_change_and_keeps_the_last_good(tmp_path: Path) -> None:
    path = tmp_path / "playbook.yaml"
    path.write_text(GOOD, encoding="utf-8")
    store = PlaybookStore(path)
    first = store.current()
    assert store.last_error is None
    assert store.current() is first  # unchanged file: same object, no re-parse

    # a trainer edits the card's title: reloaded
    path.write_text(GOOD.replace("title: Orient them first", "title: Orient them now", 1))
    os.utime(path, (1, 1_000_000))
    edited = store.current()
    assert edited is not first and edited.kinds["orient"].title == "Orient them now"

    # a broken edit: the last good playbook stays, the error is kept for the trainer
    path.write_text(GOOD.replace("severity: urgent", "severity: urgnet", 1))
    os.utime(path, (1, 2_000_000))
    kept = store.current()
    assert kept is edited
    assert store.last_error is not None and "severity must be one of" in str(store.last_error)
    # engines keep working on the last good playbook
    engine = CueEngine("x", kept)
    engine.feed(Utterance("x", "caller", 0, "I'm terrified.", 0.0, 1.0, True))
    assert [c.title for c in engine.cues] == ["Orient them now"]

    # fixed again: picked up, error cleared
    path.write_text(GOOD)
    os.utime(path, (1, 3_000_000))
    assert store.current().kinds["orient"].title == "Orient them first"
    assert store.last_error is None


def test_store_with_a_broken_file_at_start_falls_back_to_the_packaged_one(tmp_path: Path) -> None:
    path = tmp_path / "playbook.yaml"
    path.write_text("kinds: [")
    store = PlaybookStore(path)
    assert store.last_error is not None
    assert set(store.current().kinds) == set(CUE_KINDS)
    missing = PlaybookStore(tmp_path / "nope.yaml")
    assert missing.last_error is not None and "cannot read" in str(missing.last_error)


def test_an_edited_trigger_changes_what_is_raised() -> None:
    text = GOOD.replace(
        "          - \\bi (?:fear|dread)\\b",
        "          - \\bi (?:fear|dread)\\b\n          - \\bjitters\\b",
        1,
    )
    pb = parse_playbook(text, "pb.yaml")
    engine = CueEngine("x", pb)
    engine.feed(Utterance("x", "caller", 0, "I've got the jitters about Monday.", 0.0, 1.0, True))
    assert [c.kind for c in engine.cues] == ["orient"]


def test_trigger_gates_keep_every_trigger_that_may_match() -> None:
    """The gates' candidates are exactly the patterns (and handoff markers) whose gate
    literals meet the utterance (or that have none): skipping the others changes
    nothing raised."""
    from cues.detectors import match_trigger
    from cues.text import analyse

    pb = default_playbook()
    assert pb.gates is not None
    sentences = (
        "I'm scared it's cancer, honestly, and nobody has called me back.",
        "Can you just move it to next month? I can't afford the copay.",
        "Someone will get back to you soon about the referral.",
        "No chest pain or anything, see you soon.",
        "",
    )
    for text in sentences:
        a = analyse(text, pb.pleasantries, pb.doses, pb)
        cand = pb.gates.candidates(a.present)
        assert cand is not None
        for kind, spec in pb.kinds.items():
            masks = pb.gates.masks(cand, kind)
            for i, trigger in enumerate(spec.triggers):
                mask = masks[i] if masks else 0
                for j, rx in enumerate(trigger.patterns):
                    may = rx.gate_set is None or not rx.gate_set.isdisjoint(a.present or ())
                    assert bool(mask >> j & 1) == may, (text, kind, trigger.name, j)
                if not mask:
                    assert match_trigger(trigger, a, pb, kind) is None
                # the gated search finds what the ungated one finds
                assert match_trigger(trigger, a, pb, kind, (), mask) == match_trigger(
                    trigger, a, pb, kind
                )
            if spec.handoff is not None:
                markers = pb.gates.markers(cand, kind)
                for j, rx in enumerate(spec.handoff.markers):
                    may = rx.gate_set is None or not rx.gate_set.isdisjoint(a.present or ())
                    assert bool(markers >> j & 1) == may, (text, kind, j)
    assert pb.gates.candidates(None) is None


def test_a_trigger_whose_requirement_is_absent_runs_no_pattern() -> None:
    """``Trigger.needs`` (the gates of ``requires`` and ``with_sentence``) skips a
    trigger whose requirement cannot be met in the utterance: the same matches as
    without it, and a requirement an earlier utterance may meet is no such gate."""
    import dataclasses

    from cues.detectors import match_trigger
    from cues.text import analyse

    pb = default_playbook()
    with_needs = [(k, t) for k, s in pb.kinds.items() for t in s.triggers if t.needs]
    assert len(with_needs) > 10
    for _, t in with_needs:
        if t.requires_in_call:
            assert t.requires is None or t.requires.gate_set not in t.needs
    sentences = (
        "Lost. They lost it. Lost! And now I owe two hundred dollars for it.",
        "We're going to skip a few sessions because of the cost, honestly.",
        "I called three times and nobody called me back, this is the third time.",
        "Can we push it way out, like to next year?",
        "It's a van. It's a van that's supposed to come, and it never came.",
        "Thanks, see you Tuesday.",
    )
    closed = 0
    for text in sentences:
        a = analyse(text, pb.pleasantries, pb.doses, pb)
        assert a.present is not None
        for kind, t in with_needs:
            bare = dataclasses.replace(t, needs=())
            assert match_trigger(t, a, pb, kind) == match_trigger(bare, a, pb, kind)
            closed += any(n.isdisjoint(a.present) for n in t.needs)
    assert closed  # the gate did skip some


def test_literal_index_finds_the_same_literals_without_pyahocorasick(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The one-pass scan and its fallback (a test per literal) agree, overlaps included."""
    import sys

    from cues.gates import LiteralIndex

    literals = {"call", "called", "all", "back", "call back", "'ll", "ba"}
    texts = ["i called back, they'll call", "nothing here", "", "ball"]
    fast = LiteralIndex(literals)
    monkeypatch.setitem(sys.modules, "ahocorasick", None)  # import now fails
    slow = LiteralIndex(literals)
    for text in texts:
        assert fast.scan(text) == slow.scan(text) == {x for x in literals if x in text}
    assert LiteralIndex(set()).scan("anything") == frozenset()
    assert LiteralIndex({"ok"}).scan("xyz") == frozenset()


def test_a_literal_in_most_ordinary_lines_is_no_gate() -> None:
    """A literal such as " ", "th" or "you" is in nearly every utterance: a gate
    holding one gates nothing, so another literal of the pattern is taken, or none."""
    from cues.gates import required_literals

    assert required_literals(r"\w+ \w+") is None
    assert required_literals(r"\bth\w*") is None
    assert required_literals(r"\b(?:you|biopsy)\b") is None
    assert required_literals(r"th\w* biopsy") == {" biopsy"}
    assert required_literals(r"\b(?:mri|ct scan)\b") == {"mri", "ct scan"}

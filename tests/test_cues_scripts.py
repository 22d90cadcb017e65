"""The call-script loader: typed turns, and errors that say file, line and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from cues.scripts import ScriptError, load_script, parse_script

GOOD = """\
id: s1
title: A test
turns:
  - agent: "Hello, clinic."
  - caller: "I'm scared about my results."
    cues: [orient]
call:
  arrival: anxious
  departments: [Radiology]
  stakes: [care_access]
  heavy: false
"""


def test_parses_typed_turns_and_context() -> None:
    s = parse_script(GOOD, "s1.yaml", stem="s1")
    assert s.id == "s1" and s.title == "A test"
    assert [t.speaker for t in s.turns] == ["agent", "caller"]
    assert s.turns[1].cues == ("orient",)
    assert s.turns[1].line == 5
    assert s.expected() == {"orient": 1}
    assert s.call.arrival == "anxious"
    assert s.call.departments == ("radiology",)  # lower-cased as the scorer compares
    assert s.call.repeat_contact is None  # not given stays unknown
    assert not s.routine


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (GOOD.replace("[orient]", "[orientt]"), 6, "unknown cue kind 'orientt'"),
        (GOOD.replace("  - agent:", "  - nurse:"), 4, "unknown turn field 'nurse'"),
        (GOOD.replace("arrival: anxious", "arrival: sleepy"), 8, "arrival must be one of"),
        (GOOD.replace("heavy: false", "heavy: maybe"), 11, "heavy must be true or false"),
        (GOOD.replace('"Hello, clinic."', '"oops'), None, "not valid YAML"),
        (GOOD.replace("id: s1", "id: other"), 1, "differs from file stem"),
        (GOOD + "  mood: ok\n", 12, "unknown call field"),
    ],
)
def test_errors_name_the_line(text: str, line: int | None, words: str) -> None:
    with pytest.raises(ScriptError) as err:
        parse_script(text, "s1.yaml", stem="s1")
    assert words in str(err.value)
    if line is not None:
        assert err.value.line == line
        assert f"s1.yaml:{line}:" in str(err.value)


def test_a_kind_listed_twice_is_an_error() -> None:
    text = GOOD.replace('"Hello, clinic."', '"Hello."\n    cues: [orient]')
    with pytest.raises(ScriptError, match="listed twice"):
        parse_script(text, "s1.yaml", stem="s1")


def test_load_script_reads_a_file(tmp_path: Path) -> None:
    p = tmp_path / "s1.yaml"
    p.write_text(GOOD)
    assert load_script(p).turns[0].text == "Hello, clinic."
    with pytest.raises(ScriptError, match="cannot read"):
        load_script(tmp_path / "missing.yaml")

"""Redaction: the labelled set's targets, and the behaviour each policy relies on."""

from __future__ import annotations

import datetime as dt

import pytest

from app.security.redaction import ALL_KINDS, find_phi, policy_kinds, redact, words_to_int
from app.security.redaction_eval import DEFAULT_SET, evaluate

TODAY = dt.date(2026, 11, 1)


def test_labelled_set_is_big_and_varied() -> None:
    lines = DEFAULT_SET.read_text().splitlines()
    assert len(lines) >= 150
    assert sum('"form": "spoken"' in ln for ln in lines) >= 75
    assert sum('"spans": []' in ln for ln in lines) >= 50  # hard negatives


def test_recall_and_precision_targets() -> None:
    scores = evaluate()["scores"]
    assert isinstance(scores, dict)
    for split in ("all", "spoken", "written", "blind"):
        assert scores[split]["recall"] >= 0.95, (split, scores[split])
        assert scores[split]["precision"] >= 0.9, (split, scores[split])


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("reach me at five five five, one two three four", "reach me at [PHONE]"),
        ("DOB March 3rd, 1985 ok", "DOB [DOB] ok"),
        ("it's two two one eight Birch Hollow Drive", "it's [ADDRESS]"),
        ("zip is oh two one three nine", "zip is [ADDRESS]"),
        ("social 123-45-6789", "social [SSN]"),
        ("card 4111 1111 1111 1111", "card [CARD]"),
        ("mail john dot smith at gmail dot com", "mail [EMAIL]"),
        ("MRN 00482913", "MRN [MRN]"),
        ("member ID XJH482910317", "member ID [MEMBER_ID]"),
    ],
)
def test_masks_written_and_spoken_forms(text: str, masked: str) -> None:
    assert redact(text, today=TODAY).text == masked


@pytest.mark.parametrize(
    "text",
    [
        "Take 5 mg twice a day.",
        "See you at 4:30.",
        "The balance is $640.",
        "Your appointment is on March 3rd.",
        "The appointment is June 5th, 2027.",
        "I was born in 1985.",
        "two thousand five hundred dollars",
        "Her labs were 12.5, 13.1 and 11.8.",
    ],
)
def test_leaves_quantities_times_and_appointments(text: str) -> None:
    assert find_phi(text, today=TODAY) == []


def test_kinds_filter_and_spans_point_at_original() -> None:
    text = "DOB 04/17/1962, callback 617-555-0198"
    only_phone = redact(text, {"phone"}, today=TODAY)
    assert only_phone.text == "DOB 04/17/1962, callback [PHONE]"
    (span,) = only_phone.spans
    assert text[span.start : span.end] == "617-555-0198"
    assert redact(text, (), today=TODAY).text == text


def test_date_policy_depends_on_reference_year() -> None:
    text = "I was seen on January 14, 2019"
    assert find_phi(text, today=TODAY)[0].kind == "dob"
    assert find_phi(text, today=dt.date(2019, 6, 1)) == []


def test_policy_is_configuration() -> None:
    assert policy_kinds("agent") == frozenset()
    assert policy_kinds("trainer") == ALL_KINDS
    assert policy_kinds("export") == ALL_KINDS
    assert policy_kinds("who-knows") == ALL_KINDS  # unknown audience: mask everything
    assert policy_kinds("agent", {"agent": ["ssn", "card"]}) == {"ssn", "card"}
    with pytest.raises(ValueError):
        policy_kinds("agent", {"agent": ["shoe_size"]})


def test_spoken_numbers() -> None:
    assert words_to_int("nineteen eighty-five") == 1985
    assert words_to_int("two thousand and three") == 2003
    assert words_to_int("twenty oh five") == 2005
    assert words_to_int("twenty five") == 25
    assert words_to_int("thirty first") == 31


def test_garbage_does_not_crash() -> None:
    for text in ["", "   ", "\x00\x01", "9" * 5000, "at " * 2000, "[[phone|x]]", "é漢字 555"]:
        redact(text, today=TODAY)

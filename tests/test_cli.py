from app.cli import COMMANDS, main, resolve


def test_resolve_prefers_the_longest_command() -> None:
    assert resolve(["eval", "cues", "DIR", "--json"]) == (("eval", "cues"), ["DIR", "--json"])
    assert resolve(["serve", "--port", "9"]) == (("serve",), ["--port", "9"])
    assert resolve(["nonsense"]) is None


def test_unknown_command_exits_2(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["frobnicate"]) == 2
    assert "unknown command" in capsys.readouterr().err


def test_help_lists_every_command(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for words in COMMANDS:
        assert " ".join(words) in out

"""Call scripts (``../shared/calls/*.yaml``): load and validate into typed turns.

The format is defined in ``../shared/calls/README.md``. This loader is shared by the
cue evaluation, the synthesized demo calls and the end-to-end evaluator, so it is
strict: a malformed script raises :class:`ScriptError` naming the file, the line and
the problem, instead of being scored as something it is not.

    script = load_script(Path("../shared/calls/bounced-billing-01.yaml"))
    script.id, script.title, script.turns[0].speaker, script.turns[0].text
    script.turns[0].cues      # tuple of cue kinds whose first raising is on this turn
    script.call.arrival       # expected call context; None where the script is silent
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from cues.types import CUE_KINDS, CueKind, Stake
from transcription.types import SPEAKERS, Speaker

ARRIVALS = ("calm", "anxious", "distressed", "angry", "grieving", "overwhelmed")
STAKES = ("care_access", "medication", "money", "legal_rights", "urgent_timing")


class ScriptError(ValueError):
    """A call script that does not follow the format; says where and why."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True, slots=True)
class Turn:
    """One speaker's utterance in a script and the cue kinds first raised on it."""

    speaker: Speaker
    text: str
    cues: tuple[CueKind, ...] = ()
    line: int = 0  # 1-based line in the file (for messages)


@dataclass(frozen=True, slots=True)
class ExpectedContext:
    """The ``call:`` block; every field is ``None`` when the script does not give it."""

    arrival: str | None = None
    departments: tuple[str, ...] | None = None
    repeat_contact: bool | None = None
    stakes: tuple[Stake, ...] | None = None
    resolvable: bool | None = None
    heavy: bool | None = None


@dataclass(frozen=True, slots=True)
class Script:
    id: str
    title: str
    turns: tuple[Turn, ...]
    call: ExpectedContext = field(default_factory=ExpectedContext)
    path: str = ""

    @property
    def routine(self) -> bool:
        """A script with no ``cues:`` anywhere: nothing should be raised."""
        return not any(t.cues for t in self.turns)

    def expected(self) -> dict[str, int]:
        """``{kind: turn index}`` of every kind the script lists."""
        return {kind: i for i, t in enumerate(self.turns) for kind in t.cues}


# --- YAML with line numbers -------------------------------------------------------


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _mapping_items(node: yaml.MappingNode) -> Iterator[tuple[str, yaml.Node, yaml.Node]]:
    for key, value in node.value:
        yield str(key.value), key, value


def _scalar(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return loader.construct_object(node, deep=True)


def load_script(path: str | Path) -> Script:
    """Read and validate one call script. Raises :class:`ScriptError`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError(str(p), None, f"cannot read: {exc}") from exc
    return parse_script(text, str(p), stem=p.stem)


def parse_script(text: str, name: str = "<script>", stem: str | None = None) -> Script:
    """Validate a script's YAML text; ``stem`` (the file's) must equal its ``id``."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ScriptError(name, line, f"not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    finally:
        loader.dispose()
    if not isinstance(root, yaml.MappingNode):
        raise ScriptError(name, _line(root), "a script is a mapping with id, title, turns")

    fields: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key, knode, vnode in _mapping_items(root):
        if key not in {"id", "title", "turns", "call"}:
            raise ScriptError(name, _line(knode), f"unknown field {key!r}")
        fields[key] = (knode, vnode)
    for required in ("id", "turns"):
        if required not in fields:
            raise ScriptError(name, _line(root), f"missing {required!r}")

    id_node = fields["id"][1]
    script_id = _scalar(loader, id_node)
    if not isinstance(script_id, str) or not script_id.strip():
        raise ScriptError(name, _line(id_node), "id must be a non-empty string")
    if stem is not None and script_id != stem:
        raise ScriptError(name, _line(id_node), f"id {script_id!r} differs from file stem {stem!r}")
    title = ""
    if "title" in fields:
        t = _scalar(loader, fields["title"][1])
        if not isinstance(t, str):
            raise ScriptError(name, _line(fields["title"][1]), "title must be a string")
        title = t

    turns = _parse_turns(loader, name, fields["turns"][1])
    call = _parse_call(loader, name, fields["call"][1]) if "call" in fields else ExpectedContext()

    seen: dict[str, int] = {}
    for i, turn in enumerate(turns):
        for kind in turn.cues:
            if kind in seen:
                raise ScriptError(
                    name, turn.line, f"cue {kind!r} listed twice (turns {seen[kind]} and {i})"
                )
            seen[kind] = i
    return Script(id=script_id, title=title, turns=tuple(turns), call=call, path=name)


def _parse_turns(loader: yaml.SafeLoader, name: str, node: yaml.Node) -> list[Turn]:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise ScriptError(name, _line(node), "turns must be a non-empty list")
    turns: list[Turn] = []
    for item in node.value:
        line = _line(item) or 0
        if not isinstance(item, yaml.MappingNode):
            raise ScriptError(name, line, "a turn is a mapping: caller: or agent:, and cues:")
        speaker: Speaker | None = None
        text: str | None = None
        cues: tuple[CueKind, ...] = ()
        for key, knode, vnode in _mapping_items(item):
            if key in SPEAKERS:
                if speaker is not None:
                    raise ScriptError(name, _line(knode), "a turn has exactly one speaker")
                value = _scalar(loader, vnode)
                if not isinstance(value, str) or not value.strip():
                    raise ScriptError(name, _line(vnode), f"{key}: needs the words said")
                speaker, text = cast(Speaker, key), value
            elif key == "cues":
                cues = _parse_cues(loader, name, vnode)
            else:
                raise ScriptError(name, _line(knode), f"unknown turn field {key!r}")
        if speaker is None or text is None:
            raise ScriptError(name, line, "a turn needs caller: or agent:")
        turns.append(Turn(speaker=speaker, text=text, cues=cues, line=line))
    return turns


def _parse_cues(loader: yaml.SafeLoader, name: str, node: yaml.Node) -> tuple[CueKind, ...]:
    value = _scalar(loader, node)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ScriptError(name, _line(node), "cues: must be a list of cue kinds")
    kinds: list[CueKind] = []
    for i, kind in enumerate(value):
        if kind not in CUE_KINDS:
            sub = node.value[i] if isinstance(node, yaml.SequenceNode) else node
            raise ScriptError(name, _line(sub), f"unknown cue kind {kind!r}")
        if kind in kinds:
            raise ScriptError(name, _line(node), f"cue {kind!r} listed twice on one turn")
        kinds.append(cast(CueKind, kind))
    return tuple(kinds)


def _parse_call(loader: yaml.SafeLoader, name: str, node: yaml.Node) -> ExpectedContext:
    if not isinstance(node, yaml.MappingNode):
        raise ScriptError(name, _line(node), "call: must be a mapping")
    values: dict[str, Any] = {}
    for key, knode, vnode in _mapping_items(node):
        value = _scalar(loader, vnode)
        line = _line(vnode)
        if key == "arrival":
            if value is not None and value not in ARRIVALS:
                raise ScriptError(name, line, f"arrival must be one of {', '.join(ARRIVALS)}")
        elif key in {"repeat_contact", "resolvable", "heavy"}:
            if value is not None and not isinstance(value, bool):
                raise ScriptError(name, line, f"{key} must be true or false")
        elif key == "departments":
            value = [] if value is None else value
            if not isinstance(value, list) or not all(isinstance(d, str) for d in value):
                raise ScriptError(name, line, "departments must be a list of names")
            value = tuple(d.strip().lower() for d in value)
        elif key == "stakes":
            value = [] if value is None else value
            if not isinstance(value, list) or any(s not in STAKES for s in value):
                raise ScriptError(name, line, f"stakes must be a list of {', '.join(STAKES)}")
            value = tuple(value)
        else:
            raise ScriptError(name, _line(knode), f"unknown call field {key!r}")
        values[key] = value
    return ExpectedContext(**values)


def load_scripts(directory: str | Path) -> list[Script]:
    """Every ``*.yaml`` script in ``directory``, sorted by file name."""
    d = Path(directory)
    if not d.is_dir():
        raise ScriptError(str(d), None, "not a directory")
    return [load_script(p) for p in sorted(d.glob("*.yaml"))]

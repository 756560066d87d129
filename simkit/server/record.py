"""``simkit serve --record``: the session file is a scenario and the server's journal.

A session file is the starting scenario's text, a marker comment, then one
line per call the server answered that changed state or was refused, each an
item of the scenario's one ``steps:`` list written in YAML flow style::

    steps:
    # simkit serve --record: one line per call below; the lines above are the starting file
      - {at: '2026-01-01T00:00:00Z'}
      - {op: create_vpc, as: net, vpc: vpc-6b86b273ff34fce19d6b, pool: hz, mask: 24, ...}
      - {at: '2026-01-01T00:00:05Z'}
      - {advance: 8d}

Appending a step is appending one line, so a crash can only cut the last
line short: a last line without its newline is dropped on the next start.
``simkit run`` reads the file as any scenario; the server reads it back to
carry on.

Which calls become steps (the rule is :func:`records`):

- a call that changes state or may: the operation, ``as:`` the caller, its
  arguments (the ids the server made up included, so a replay makes the same
  objects), and ``expect:`` the outcome (``{cidr: ...}``, a list, nothing for
  a plain success, or ``{error: CODE}``);
- a read (``List*``, ``Describe*``, ``Get*``) only when refused: a successful
  read changes nothing, would cost a disk flush per poll, and its paging and
  filters have no place in a step;
- a ``DryRun`` call as a comment line (``# DryRun ...``): it was refused with
  ``DryRunOperation`` (or the error it would get) and changed nothing, so a
  replay must not run it;
- a call refused before it reached the simulation (a missing or malformed
  parameter, an unknown key or a bad signature) is not a scenario step and is
  not recorded;
- the clock, as an ``at:`` step before the next recorded call whenever it
  moved, and ``/_simkit/advance`` as an ``advance:`` step.

Examples
--------
>>> flow({"op": "create_vpc", "as": "net", "mask": 24, "expect": {"cidr": "10.0.0.0/24"}})
'{op: create_vpc, as: net, mask: 24, expect: {cidr: 10.0.0.0/24}}'
>>> flow({"name": "yes", "cidrs": ["192.0.2.0/24"], "note": "a, b"})
"{name: 'yes', cidrs: [192.0.2.0/24], note: 'a, b'}"
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from ..scenario.loader import Scenario, loads
from ..scenario.operations import Operation
from ..values.errors import ScenarioError

__all__ = ["MARKER", "Journal", "Opened", "expect_of", "flow", "layout", "records",
           "step_line"]

#: The comment line between the starting file and the recorded steps.
MARKER = "# simkit serve --record: one line per call below; the lines above are the starting file"

#: The cloud's read actions: their names start so (ListIpamPools, DescribeVpcs...).
READ_PREFIXES = ("List", "Describe", "Get")


def records(op: Operation, refused: bool) -> bool:
    """Whether a call of ``op`` becomes a step: every change, and a read only when refused."""
    return refused or not op.api.startswith(READ_PREFIXES)


@functools.lru_cache(maxsize=4096)
def _scalar(value: Any) -> str:
    text = yaml.safe_dump([value], default_flow_style=True, width=10**9, allow_unicode=True)
    return text.strip()[1:-1]


def flow(value: Any) -> str:
    """``value`` as one line of YAML flow style (keys in the order given)."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_scalar(str(k))}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return _scalar(value)


def step_line(op: Operation, actor: str, args: Mapping[str, Any],
              expect: Mapping[str, Any] | None) -> str:
    """One recorded call as a step mapping (one line, without indent and ``- ``).

    ``args`` are the arguments the operation ran with (``region`` included
    when given); they are written in the order the operation declares them.
    """
    step: dict[str, Any] = {"op": op.name, "as": actor}
    for name in (*op.args, *(k for k in args if k not in op.args)):
        if args.get(name) is not None:
            step[name] = args[name]
    if expect is not None:
        step["expect"] = dict(expect)
    return flow(step)


def expect_of(op: Operation, result: Any, err: Any) -> dict[str, Any] | None:
    """The ``expect`` of an outcome: ``{error: CODE}``, ``{cidr: X}``, a list, or None."""
    if err is not None:
        return {"error": err.code}
    if op.gives == "cidr" and result.cidr is not None:
        return {"cidr": str(result.cidr)}
    if op.gives is not None and op.gives != "cidr" and result.items is not None:
        return {op.gives: list(result.items)}
    return None


def layout(text: str, file: str, start: datetime) -> tuple[str, int]:
    """``(header, indent)``: the text a session starts with, and the column of its ``- ``.

    The header is ``text`` and the marker line; recorded steps go on as items
    of its ``steps:`` list.  When that list is not the file's last top-level
    key, or is written in flow style, the header moves it to the end as a
    block list (the same steps, in the same order).  A file without steps
    gets ``steps:`` and a first step that states the clock (``at:`` its
    ``start``), so that the header alone is a scenario.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> text = "version: 1\\nsteps: [{advance: 1d}]\\nname: x\\n"
    >>> print(layout(text, "<doc>", datetime(2026, 1, 1, tzinfo=UTC))[0], end="")
    version: 1
    name: x
    steps:
      - {advance: 1d}
    # simkit serve --record: one line per call below; the lines above are the starting file
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:     # the loader has already said what is wrong
        raise ScenarioError(f"not YAML: {err}", file=file) from None
    if not text.endswith("\n"):
        text += "\n"
    pairs = root.value if isinstance(root, yaml.MappingNode) else []
    keys = [k.value for k, _ in pairs]
    clock = "  - " + flow({"at": start.isoformat().replace("+00:00", "Z")}) + "\n"
    if "steps" not in keys:
        return f"{text}steps:\n{MARKER}\n{clock}", 2
    key, node = pairs[keys.index("steps")]
    block = isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value
    if block and keys[-1] == "steps":
        return f"{text}{MARKER}\n", node.start_mark.column
    begin = key.start_mark.index - key.start_mark.column
    end = node.end_mark.index
    if block:
        moved = text[begin:end].rstrip("\n") + "\n"
        indent = node.start_mark.column
    else:
        end = text.find("\n", end) + 1 or len(text)
        items = node.value if isinstance(node, yaml.SequenceNode) else []
        moved = "steps:\n" + "".join(
            "  - " + text[i.start_mark.index:i.end_mark.index].replace("\n", "\n    ") + "\n"
            for i in items) + ("" if items else clock)
        indent = 2
    rest = text[:begin] + text[end:]
    if rest and not rest.endswith("\n"):
        rest += "\n"
    if moved.endswith(clock):
        return f"{rest}{moved[:-len(clock)]}{MARKER}\n{clock}", indent
    return f"{rest}{moved}{MARKER}\n", indent


@dataclass
class Opened:
    """A session file read back: what the server starts from and carries on with."""

    journal: Journal
    start: Scenario             # the starting file
    scenario: Scenario          # the whole session as a scenario
    first: int                  # index in scenario.steps of the first recorded step
    notes: list[str]            # what the start should say (a dropped last line)


def _recorded_start(data: bytes, name: str) -> Scenario:
    """The starting scenario a session file begins with (its text up to the marker line)."""
    mark = ("\n" + MARKER + "\n").encode()
    at = data.find(mark)
    if at < 0:
        raise ScenarioError("this is not a session file of simkit serve --record (it has no "
                            "marker line); it is left as it is", file=name)
    text = data[:at + 1].decode("utf-8", errors="replace")
    if text.endswith("\nsteps:\n"):      # the file had no steps: the header added the key
        text = text[:-len("steps:\n")]
    try:
        return loads(text, name)
    except ScenarioError as err:
        raise ScenarioError(f"the session file is corrupt before its marker line: "
                            f"{err.reason}; it is left as it is", file=name,
                            line=err.line) from None


_LINE = re.compile(r"\s*(- \{.*\}|#.*)?")


class Journal:
    """The session file open for appending: each :meth:`append` is on disk when it returns."""

    def __init__(self, path: Path, indent: int) -> None:
        self.path = path
        self.prefix = " " * indent + "- "
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND)

    def append(self, *steps: str) -> None:
        """Write steps (flow mappings) and comments (``# ...``), flushed and fsynced."""
        data = "".join(s + "\n" if s.startswith("#") else f"{self.prefix}{s}\n" for s in steps)
        view = memoryview(data.encode())
        while view:
            view = view[os.write(self._fd, view):]
        os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)

    @classmethod
    def open(cls, path: str | os.PathLike[str], start: Scenario | None,
             empty: Scenario | None = None) -> Opened:
        """Open ``path`` to record a session starting from ``start`` (created if absent).

        An existing file must begin with the header of ``start``'s text
        (``start.file`` names it in messages; ``start`` None: whatever the file
        begins with up to the marker line) and hold only recorded lines after
        it; its last line may be cut short (it is then dropped, and a note
        says so).  Anything else raises ScenarioError and leaves the file as
        it was.  ``empty`` is the start of a new file when ``start`` is None.
        """
        path = Path(path)
        name = str(path)
        notes: list[str] = []
        try:
            data = path.read_bytes() if path.exists() else b""
        except OSError as err:
            raise ScenarioError(f"cannot read the session file: {err.strerror or err}",
                                file=name) from None
        if start is None:
            start = empty if not data else _recorded_start(data, name)
        assert start is not None
        header, indent = layout(start.source or "", start.file, start.start)
        first = len(loads(header, name).steps)
        if not data:
            try:
                path.write_text(header, encoding="utf-8")
                with open(path, "rb+") as handle:
                    os.fsync(handle.fileno())
            except OSError as err:
                raise ScenarioError(f"cannot write the session file: {err.strerror or err}",
                                    file=name) from None
            return Opened(cls(path, indent), start, loads(header, name), first, notes)
        keep = len(data)
        if not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            notes.append(f"{name}: dropped a half-written last line ({len(data) - keep} "
                         "bytes): the call it began was never answered")
        try:
            body = data[:keep].decode("utf-8")
        except UnicodeDecodeError as err:
            line = data[:err.start].count(b"\n") + 1
            raise ScenarioError("the session file is corrupt (not UTF-8 text); it is left "
                                "as it is", file=name, line=line) from None
        if not body.startswith(header):
            raise ScenarioError(f"this session file does not begin with the text of "
                                f"{start.file} and the marker line: it is not a recording of "
                                "that file (start a new session file, or serve the file it "
                                "recorded); it is left as it is", file=name)
        first_line = header.count("\n") + 1
        for number, line in enumerate(body[len(header):].splitlines(), first_line):
            if not _LINE.fullmatch(line):
                raise ScenarioError("the session file is corrupt: this line is not a recorded "
                                    "step (one '- {...}' mapping a line); it is left as it is",
                                    file=name, line=number)
        try:
            scenario = loads(body, name)
        except ScenarioError as err:
            raise ScenarioError(f"the session file is corrupt: {err.reason}; it is left as it "
                                "is", file=name, line=err.line) from None
        if keep < len(data):
            os.truncate(path, keep)
        return Opened(cls(path, indent), start, scenario, first, notes)

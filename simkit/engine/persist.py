"""The state file: one versioned, checksummed JSON document, written atomically.

:meth:`Simulation.save <simkit.engine.Simulation.save>` and
:meth:`Simulation.restore <simkit.engine.Simulation.restore>` use this envelope
around the plain data of ``Simulation.to_state()`` (each part of a simulation
writes and reads its own state: see :mod:`simkit.values.state`).  The file is::

    {"format": "simkit-state", "version": 2, "simkit": "0.1.0",
     "checksum": "sha256:...", "state": {...}}

``checksum`` is the SHA-256 of the canonical JSON text of ``state`` (sorted
keys, no spaces, ASCII).  A file that is missing, empty, truncated, not JSON,
of another format version, or whose checksum does not match is refused with
:class:`~simkit.values.errors.StateFileError`, naming the file and the
problem; so is a state that its decoder refuses
(:class:`~simkit.values.errors.StateError`: a missing field, a value of the
wrong type, allocations that overlap...).

Writes are atomic: the document is built in memory, written to a temporary
file in the target's directory, flushed to disk and renamed over the target,
so an interrupted save leaves the previous file (or none), never half a file.

Examples
--------
>>> from pathlib import Path
>>> from tempfile import TemporaryDirectory
>>> with TemporaryDirectory() as tmp:
...     write_state(Path(tmp) / "s.json", lambda: {"pools": ["10.0.0.0/16"]})
...     print(read_state(Path(tmp) / "s.json", lambda state: state["pools"]))
['10.0.0.0/16']
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ..values.errors import StateError, StateFileError
from ..values.version import __version__

__all__ = ["FORMAT", "FORMAT_VERSION", "read_state", "write_state"]

#: The value of the ``format`` field of every state file.
FORMAT = "simkit-state"
#: The version of the state format this module writes and reads (2: each part of the
#: simulation writes its own state; a pool's space lists its allocated blocks).
FORMAT_VERSION = 2

#: How every state file begins.
_HEAD = f'{{"format":"{FORMAT}"'.encode("ascii")
#: Permissions of a new state file (an existing file keeps its own).
_NEW_FILE_MODE = 0o644

T = TypeVar("T")


def write_state(path: str | os.PathLike[str], encode: Callable[[], Any]) -> None:
    """Write the state ``encode()`` returns to ``path``, atomically.

    Parameters
    ----------
    path : the state file; it is replaced if it exists.
    encode : returns the plain data to save (a ``to_state`` method); a
        TypeError or ValueError it raises means a value that cannot be saved.

    Raises
    ------
    StateFileError
        When the state cannot be saved or the file cannot be written (the
        previous file, if any, is left as it was).
    """
    target = os.fspath(path)
    try:
        state = encode()
        document = {"format": FORMAT, "version": FORMAT_VERSION, "simkit": __version__,
                    "checksum": _checksum(state), "state": state}
        data = (_dumps(document) + "\n").encode("ascii")
    except ValueError as err:
        if "JSON compliant" in str(err):    # json refuses NaN and infinities (allow_nan=False)
            err = ValueError("it holds a number that is not finite (NaN or infinite), which "
                             "a state file cannot hold")
        raise StateFileError(target, f"the state cannot be saved: {err}") from err
    except TypeError as err:
        raise StateFileError(target, f"the state cannot be saved: {err}") from err
    try:
        _write_atomically(target, data)
    except OSError as err:
        reason = err.strerror or str(err)
        raise StateFileError(target, f"cannot write the file: {reason}") from err


def read_state(path: str | os.PathLike[str], decode: Callable[[Any], T]) -> T:
    """Read the state saved in ``path`` and rebuild it with ``decode``.

    Parameters
    ----------
    path : a file :func:`write_state` wrote.
    decode : builds the object from the plain data (a ``from_state`` method);
        it raises :class:`~simkit.values.errors.StateError` for a state it
        refuses.

    Raises
    ------
    StateFileError
        For a file that cannot be read, is empty, truncated or not JSON, is
        not a simkit state file, has an unknown format version, fails its
        checksum, or holds a state that ``decode`` refuses.
    """
    file = os.fspath(path)
    state = _read_document(file)
    try:
        return decode(state)
    except StateError as err:
        raise StateFileError(file, f"the state is malformed: {err}") from None
    except Exception as err:  # a check a decoder lacks: still a malformed state, not a crash
        raise StateFileError(
            file, f"the state is malformed: {type(err).__name__}: {err}") from err


def _dumps(value: Any, *, canonical: bool = False) -> str:
    return json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":"),
                      sort_keys=canonical)


def _checksum(state: Any) -> str:
    digest = hashlib.sha256(_dumps(state, canonical=True).encode("ascii")).hexdigest()
    return f"sha256:{digest}"


def _write_atomically(target: str, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``target``, sync it, rename it over ``target``."""
    directory = os.path.dirname(target) or "."
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = _NEW_FILE_MODE
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp",
                                     dir=directory)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # make the rename durable where the platform can
        dir_fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _read_document(file: str) -> Any:
    """The ``state`` of the file, after every check of the envelope and the checksum."""
    try:
        data = Path(file).read_bytes()
    except (OSError, ValueError) as err:  # ValueError: a NUL byte in the path
        reason = getattr(err, "strerror", None) or str(err)
        raise StateFileError(file, f"cannot read the file: {reason}") from None
    if not data.strip():
        raise StateFileError(file, "the file is empty: it is not a saved simulation")
    # a file that starts as write_state() writes it is a damaged state file, else a foreign one
    what = "the file is damaged" if data.lstrip().startswith(_HEAD) else \
        "not a simkit state file"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise StateFileError(file, f"{what}: it is not text (byte 0x{data[err.start]:02x} at "
                                   f"offset {err.start})") from None
    try:
        document = json.loads(text, parse_float=_finite_float, parse_constant=_not_finite)
    except _NotFinite as err:
        raise StateFileError(file, f"{what}: it holds the number {err}, which is not "
                                   "finite") from None
    except json.JSONDecodeError as err:
        body = text.strip()
        if body.startswith("{") and (not body.endswith("}") or err.pos >= len(text.rstrip())):
            raise StateFileError(
                file, f"the file is truncated: its {len(data)} bytes end before the JSON "
                      "document does (an interrupted copy?)") from None
        raise StateFileError(file, f"{what}: it is not valid JSON ({err.msg} at line "
                                   f"{err.lineno}, column {err.colno})") from None
    except RecursionError:
        raise StateFileError(file, f"{what}: its JSON is nested too deeply") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise StateFileError(file, f"{what}: a state file is a JSON object with "
                                   f"\"format\": \"{FORMAT}\"")
    for key in ("version", "checksum", "state"):
        if key not in document:
            raise StateFileError(file, f"the file is damaged: it has no {key!r}")
    version = document.get("version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise StateFileError(
            file, f"unsupported state format version {json.dumps(version)}: this simkit "
                  f"({__version__}) reads version {FORMAT_VERSION} only; restore the file "
                  f"with the simkit that saved it ({document.get('simkit', 'unknown')})")
    state = document["state"]
    try:
        expected = _checksum(state)
    except (ValueError, RecursionError):
        expected = None                     # not a state write_state() writes: it cannot match
    if document["checksum"] != expected:
        raise StateFileError(file, "checksum mismatch: the state was changed or corrupted "
                                   "after it was saved; restore an intact copy")
    return state


class _NotFinite(ValueError):
    """A number of the file is NaN or infinite: write_state() never writes one."""


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(text)
    return value


def _not_finite(text: str) -> float:
    raise _NotFinite(text)

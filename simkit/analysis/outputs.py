"""Where results are written: output paths checked before anything runs, and CSV text.

A bad output path (an existing file where a directory is wanted, a directory
where a file is wanted, a place that cannot be written) is the user's
mistake: :func:`output_directory` and :func:`output_file` raise
:class:`~simkit.values.errors.UsageError` naming the path and the rule, so
the command line reports it on one line and a long run never starts only to
fail at the end.  :func:`write_csv` is the one place a frame becomes a CSV
file: times to the whole second, as a planner reads them.

Examples
--------
>>> import tempfile, pathlib
>>> here = pathlib.Path(tempfile.mkdtemp())
>>> output_directory(here / "report") == here / "report"
True
>>> (here / "notes.txt").write_text("x")
1
>>> output_directory(here / "notes.txt")
Traceback (most recent call last):
...
simkit.UsageError: ...notes.txt is a file, not a directory: name a new or \
existing directory
>>> output_file(here / "report", (".csv",))
Traceback (most recent call last):
...
simkit.UsageError: ...report is a directory, not a file: name a .csv file
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..values.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["output_directory", "output_file", "to_seconds", "write_csv"]


def _reason(err: OSError) -> str:
    return err.strerror or type(err).__name__


def output_directory(path: str | Path) -> Path:
    """Create the directory ``path`` (and its parents) if needed; refuse what cannot hold files.

    Raises :class:`UsageError` when ``path`` is an existing file or cannot be
    created or written (a read-only place, ``/proc``...).
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} is a file, not a directory: name a new or existing directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"{path}: cannot create this directory ({_reason(err)}): name a "
                         "directory you can write to") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"{path}: this directory is not writable: name a directory you can "
                         "write to")
    return path


def output_file(path: str | Path, suffixes: Sequence[str]) -> Path:
    """Check that ``path`` can be written as a file ending in one of ``suffixes``.

    Nothing is left behind by the check: a file that did not exist still does
    not; its parent directories are created.  Raises :class:`UsageError` for
    another suffix, an existing directory, or a place that cannot be written.
    """
    path = Path(path)
    kinds = "a " + " or a ".join(suffixes) + " file"
    if path.is_dir():
        raise UsageError(f"{path} is a directory, not a file: name {kinds}")
    if path.suffix.lower() not in suffixes:
        raise UsageError(f"{path}: write {kinds}")
    existed = path.exists()
    try:
        if not path.parent.exists():
            path.parent.mkdir(parents=True)
        with open(path, "ab"):
            pass
    except OSError as err:
        raise UsageError(f"{path}: cannot write this file ({_reason(err)}): name a file in a "
                         "directory you can write to") from None
    if not existed:
        path.unlink()
    return path


def to_seconds(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its time columns cut to the whole second (a copy when any is cut)."""
    import pandas as pd

    times = [c for c in frame.columns if isinstance(frame[c].dtype, pd.DatetimeTZDtype)
             or str(frame[c].dtype).startswith("datetime64")]
    if not times:
        return frame
    return frame.assign(**{c: frame[c].dt.floor("s") for c in times})


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as CSV without its index, times to the whole second."""
    path = Path(path)
    to_seconds(frame).to_csv(path, index=False)
    return path

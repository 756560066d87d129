"""Run a command in a child process and measure its wall time and peak memory.

Shared by the benchmarks that time whole ``simkit`` commands: the peak is the
child's own resident set as the kernel reports it when the child is reaped
(``os.wait4``), so children run one after another do not mix their figures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time


class Child(subprocess.Popen):
    """A Popen that records the child's peak resident set when it is reaped."""

    peak_mib = float("nan")

    def _try_wait(self, wait_flags: int) -> tuple[int, int]:
        pid, status, usage = os.wait4(self.pid, wait_flags)
        if pid:
            self.peak_mib = usage.ru_maxrss / 1024
        return pid, status


def simkit_command(*args: str) -> tuple[float, float, str]:
    """Run ``python -m simkit ARGS``: seconds, the child's peak memory in MiB, its output.

    A command that fails stops the benchmark with its output.
    """
    t0 = time.perf_counter()
    child = Child([sys.executable, "-m", "simkit", *args],
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = child.communicate()
    seconds = time.perf_counter() - t0
    if child.returncode != 0:
        raise SystemExit(f"simkit {args[0]} failed ({child.returncode}):\n"
                         f"{stdout[-3000:]}{stderr[-3000:]}")
    return seconds, child.peak_mib, stdout

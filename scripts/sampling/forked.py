"""Helper processes of a run (the guardian, the log copier, the campaign watcher): forked from
the run wrapper, each runs one function and exits with its result, never returning into the
wrapper's code. Standard library only.

    >>> import os
    >>> r, w = os.pipe()
    >>> pid = start(lambda: os.write(w, b"hi") and 0, child_closes=[r], parent_closes=[w])
    >>> os.read(r, 2), os.waitpid(pid, 0)[1]
    (b'hi', 0)
"""

from __future__ import annotations

import ctypes
import os

INTERNAL_ERROR = 70  # a helper's exit code when its function raised (EX_SOFTWARE)
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def start(work, child_closes=(), parent_closes=()) -> int:
    """Fork a process that closes child_closes, runs work() and exits with what it returns (an
    int; INTERNAL_ERROR if it raised); in this process close parent_closes. The child's pid."""
    pid = os.fork()
    if pid == 0:  # the helper; it never returns
        code = INTERNAL_ERROR
        try:
            for fd in child_closes:
                os.close(fd)
            code = work() or 0
        finally:
            os._exit(code)
    for fd in parent_closes:
        os.close(fd)
    return pid


def prctl():
    """libc's prctl (for PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER), or None where there is none."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

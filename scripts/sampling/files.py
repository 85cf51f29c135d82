"""The sampler side's one atomic file writer: a reader of a file it writes finds the old file or
the whole new one, never a part (standard library only).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "run.json")
    >>> write_atomically(path, '{"samples": 3}\\n')
    >>> open(path).read(), os.listdir(os.path.dirname(path))
    ('{"samples": 3}\\n', ['run.json'])
    >>> write_atomically(os.path.join(path, "x"), "")  # its folder is a file
    Traceback (most recent call last):
    ...
    sampling.contract.SamplerError: cannot write .../run.json/x: Not a directory
"""

from __future__ import annotations

import contextlib
import os

from sampling.contract import SamplerError


def write_atomically(path: str, text: str, what: str = "") -> None:
    """Write text to path through a temp file beside it (hidden: .NAME.tmp-PID) and os.replace;
    SamplerError "cannot write {what} {path}: {cause}" when the file cannot be written, the temp
    file then removed."""
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        name = f"{what} {path}" if what else path
        raise SamplerError(f"cannot write {name}: {e.strerror or e}") from None

"""memsweep's one atomic file writer, for the sampler's files and the analysis's alike: a reader
of a file it writes finds the old file or the whole new one, never a part, also after a crash or
a full disk (standard library only).

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


def write_atomically(path, data: str | bytes, what: str = "") -> None:
    """Write data (text as UTF-8, or bytes) to path through a temp file beside it (hidden:
    .NAME.tmp-PID) and os.replace, making path's folder when needed; SamplerError "cannot write
    {what} {path}: {cause}" when the file cannot be written, the temp file then removed."""
    path = os.fspath(path)
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.tmp-{os.getpid()}")
    try:
        folder = os.path.dirname(path) or "."
        if not os.path.exists(folder):
            os.makedirs(folder, exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        name = f"{what} {path}" if what else path
        raise SamplerError(f"cannot write {name}: {e.strerror or e}") from None

"""What every analysis stage shares: its log, and how it ends when an input is damaged.

    >>> from pipeline import stage
    >>> def main(path):
    ...     raise stage.TableError(f"{path}: damaged; redo it")
    >>> stage.run(main, "results/x.csv")
    Traceback (most recent call last):
    SystemExit: memsweep: results/x.csv: damaged; redo it

`run` sends the log to the rule's log file (stderr when None). A TableError (a file that does not
match its contract) is logged and ends the job with that one line on stderr, no traceback: the
message already names the file, what is wrong and how to redo it.
"""

import logging
from pathlib import Path

from tables import TableError

log = logging.getLogger("memsweep")


def setup_logging(path: str | Path | None) -> None:
    """Log INFO and above to `path` (stderr when None), each line with time, level and logger."""
    handler = logging.FileHandler(path) if path else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def run(main, *args, log_path=None, **kwargs):
    """main(*args, **kwargs) with logging set up; a TableError ends the process with its message."""
    setup_logging(log_path)
    try:
        return main(*args, **kwargs)
    except TableError as err:
        log.error("%s", err)
        raise SystemExit(f"memsweep: {err}") from None

"""What every analysis stage shares: its log, and how it ends when an input is damaged.

    >>> from pipeline import stage
    >>> def main(path):
    ...     raise stage.TableError(f"{path}: damaged; redo it")
    >>> stage.run(main, "results/x.csv")
    Traceback (most recent call last):
    SystemExit: memsweep: results/x.csv: damaged; redo it

`hand_off` is how a rule's script starts its stage: the stage's main gets the rule's named input,
output, params and wildcards by the names of its parameters (pipeline/handoff.py), and the log
goes to the rule's log.
`run` sends the log to the rule's log file (stderr when None). A TableError (a file that does not
match its contract) is logged and ends the job with that one line on stderr, no traceback: the
message already names the file, what is wrong and how to redo it.
"""

import logging

from pipeline import handoff
from tables import TableError

log = logging.getLogger("memsweep")


def run(main, *args, log_path=None, **kwargs):
    """main(*args, **kwargs) with logging set up; a TableError ends the process with its message."""
    handoff.setup_logging(log_path)
    try:
        return main(*args, **kwargs)
    except TableError as err:
        log.error("%s", err)
        raise SystemExit(f"memsweep: {err}") from None


def hand_off(smk, main):
    """Run a rule's stage as `run` does, main's arguments picked from the rule by their names
    (handoff.arguments), its log to the rule's log."""
    return run(main, log_path=smk.log[0] if smk.log else None, **handoff.arguments(smk, main))

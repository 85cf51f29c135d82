"""The command that redoes a file: the campaign's own command line, which the workflow puts in its
environment (workflow/rules/common.smk) so that every job's advice repeats it, with its
`--configfile` and other arguments. An environment variable, not a param, so a changed command
line reruns nothing.

    >>> command_line(["--cores", "1", "all", "--configfile", "my campaign.yaml"])
    "snakemake --cores 1 all --configfile 'my campaign.yaml'"
"""

import os
import shlex

CAMPAIGN_ENV = "MEMSWEEP_CAMPAIGN_COMMAND"
DEFAULT_COMMAND = "snakemake --cores 1 all"


def command_line(args) -> str:
    """A Snakemake invocation's arguments as a command to paste into a shell."""
    return shlex.join(["snakemake", *args])


def campaign_command() -> str:
    """The command line that ran this campaign (DEFAULT_COMMAND outside the workflow)."""
    return os.environ.get(CAMPAIGN_ENV) or DEFAULT_COMMAND


def summary_redo(path) -> str:
    return f"delete {path} and run {campaign_command()} again to rebuild it"

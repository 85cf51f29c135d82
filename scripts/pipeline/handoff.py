"""How a rule's script gives the rule's named items to its stage's main, with the standard library
only (the launch rule runs in the sampler's environment): each parameter of main gets the rule's
input, output, param or wildcard of its name. pipeline/stage.py's hand_off adds the analysis
stages' handling of a damaged table.

    >>> from types import SimpleNamespace
    >>> job = SimpleNamespace(rule="r", input={"runs": "runs.csv"}, output={"out": "x.csv"},
    ...     params={}, wildcards={"step": "2"})
    >>> def main(runs, step, outputs, known=()): ...
    >>> arguments(job, main)
    {'runs': 'runs.csv', 'step': '2', 'outputs': {'out': 'x.csv'}}
"""

import inspect
import logging
from pathlib import Path

KINDS = ("input", "output", "params", "wildcards")  # what a rule names, as Snakemake calls them
WHOLE = dict(zip(("inputs", "outputs", "params", "wildcards"), KINDS, strict=True))


def setup_logging(path: str | Path | None) -> None:
    """Log INFO and above to `path` (stderr when None), each line with time, level and logger."""
    handler = logging.FileHandler(path) if path else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def arguments(smk, main) -> dict:
    """main's keyword arguments: each parameter gets the rule's input, output, param or wildcard
    of its name (a name the rule gives two of them is an error: rename one), or, named inputs,
    outputs, params or wildcards, all of that kind as a dict, or, named threads, the job's
    threads; a parameter with a default may be missing."""
    named = {kind: dict(getattr(smk, kind).items()) for kind in KINDS}
    kwargs = {}
    for name, parameter in inspect.signature(main).parameters.items():
        found = [kind for kind in KINDS if name in named[kind]]
        if name == "threads":  # the job's threads, as Snakemake scaled them to --cores
            kwargs[name] = smk.threads
        elif name in WHOLE:
            kwargs[name] = named[WHOLE[name]]
        elif len(found) > 1:
            raise ValueError(f"rule {smk.rule}: {name!r} is named in its {' and '.join(found)}")
        elif found:
            kwargs[name] = named[found[0]][name]
        elif parameter.default is inspect.Parameter.empty:
            raise ValueError(f"rule {smk.rule} names no {name!r} ({main.__module__}.main needs it)")
    return kwargs


def hand_off(smk, main):
    """main(**arguments(smk, main)), its log to the rule's log."""
    setup_logging(smk.log[0] if smk.log else None)
    return main(**arguments(smk, main))

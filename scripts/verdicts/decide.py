"""Decide every verdict of a campaign once, into results/summary/verdicts.csv: the checks of the
registry (verdicts/registry.py) in its order, each over the tables it reads, when the campaign has
them (a comparison's only with compare.baseline set, the searches' with searches, the phases'
with solver.phase_pattern).

Called by the `figures` job before it draws (scripts/figures.py). The campaign's level is the
worst of its verdicts:

    >>> import pandas as pd
    >>> overall(pd.DataFrame({"level": ["ok", "warn", "ok"]}))
    'warn'
"""

import logging

import pandas as pd

import tables
from verdicts import comparison, configurations, phases, runs, searches, thresholds
from verdicts.registry import CHECKS

log = logging.getLogger("verdicts")
# the modules a check's function is in (registry.Check.decide names it as "module.function")
MODULES = {m.__name__.rpartition(".")[2]: m
           for m in (comparison, configurations, phases, runs, searches, thresholds)}  # fmt: skip


def function(check):
    """The function deciding a check's rows."""
    module, _, name = check.decide.partition(".")
    return getattr(MODULES[module], name)


def verdicts_table(data: dict, settings: dict) -> pd.DataFrame:
    """Every verdict; data maps table names (tables.BY_NAME) to frames, settings is
    registry.settings_of(config). A check runs when data has every table it reads."""
    rows = []
    for check in CHECKS.values():
        if all(name in data for name in check.reads):
            mine = {key.rpartition(".")[2] for key in check.settings}
            extra = ({k: v for k, v in settings.items() if k in mine},) if mine else ()
            rows += function(check)(*(data[name] for name in check.reads), *extra)
    return tables.typed(pd.DataFrame(rows, columns=tables.VERDICTS.names), tables.VERDICTS)


def overall(table: pd.DataFrame) -> str:
    """The campaign's level: the worst of its verdicts (ok when there are none)."""
    present = set(table["level"].dropna())
    return max(present, key=tables.LEVELS.index, default="ok")


def main(table_paths: dict, out_csv, settings: dict) -> None:
    """table_paths: the paths of the campaign's tables by name (those no check reads are left
    unread: the figures job passes all of them)."""
    read = {name for check in CHECKS.values() for name in check.reads}
    data = {name: tables.BY_NAME[name].read(path) for name, path in table_paths.items()
            if name in read}  # fmt: skip
    table = verdicts_table(data, settings)
    tables.VERDICTS.write(table, out_csv)
    counts = table["level"].value_counts().to_dict()
    log.info("%d verdicts %s, overall %s -> %s", len(table), counts, overall(table), out_csv)

"""What the analysis scripts share: their log setup and how they read the summary tables.

setup_logging sends a script's log to the rule's log file (stderr by hand); read_table reads a
results/summary/*.csv keeping solver text verbatim; as_bool reads a flag column. By hand:

    >>> import pandas as pd, memsweep_tables
    >>> memsweep_tables.as_bool(pd.Series(["True", "false", "1", None])).tolist()
    [True, False, True, False]
"""

import logging
from pathlib import Path

import pandas as pd

TEXT_COLUMNS = ["bucket_model", "reported_config", "expected", "outlier_repeats", "run_dir"]


def setup_logging(path: str | Path | None) -> None:
    """Log INFO and above to `path` (stderr when None), each line with time, level and logger."""
    handler = logging.FileHandler(path) if path else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def read_table(path) -> pd.DataFrame:
    """A summary CSV; only empty cells are NA (a solver may well report "None" or "NA"), and the
    TEXT_COLUMNS stay text ("1e3" is not 1000.0). A missing or empty file is an empty table."""
    try:
        text = dict.fromkeys(TEXT_COLUMNS, str)
        return pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=text)
    except (pd.errors.EmptyDataError, FileNotFoundError):
        return pd.DataFrame()


def as_bool(values: pd.Series) -> pd.Series:
    """True/False from booleans or CSV text ("True", "true", "1", "yes"); anything else, NA
    included, is False."""
    return values.map(lambda v: str(v).strip().lower() in {"true", "1", "yes"}).astype(bool)

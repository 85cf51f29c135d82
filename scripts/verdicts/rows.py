"""A verdict row and the texts every check writes into it: a number as text (a limit, a repeat,
an exit code), the subject of a configuration or a run, and the row itself.

    >>> row = {"variant": "default", "limit_mb": 323, "bucket_model": "4M/8M/4M", "repeat": 2}
    >>> run_subject(row)
    'default · 323 MB · 4M/8M/4M · rep 2'
    >>> number_text(None), number_text(1.0), number_text(2.5)
    ('?', '1', '2.5')
"""

import pandas as pd

import tables


def number_text(value) -> str:
    """A number as short text (1.0 -> '1'); '?' when it is missing."""
    return "?" if pd.isna(value) else f"{value:g}"


def config_subject(row) -> str:
    return f"{row['variant']} · {number_text(row['limit_mb'])} MB · {row['bucket_model']}"


def run_subject(row) -> str:
    return f"{config_subject(row)} · rep {number_text(row['repeat'])}"


def verdict(kind, level, subject, message, row=None, **figures) -> dict:
    """One row of verdicts.csv; row (a run's or a configuration's) gives its key and run_dir,
    figures its value, bound and unit."""
    ids = {k: row.get(k) for k in (*tables.KEY, "run_dir")} if row is not None else {}
    return {"kind": kind, "level": level, "subject": subject, "message": message, **ids, **figures}


def truth(value) -> bool:
    """A nullable boolean as a plain one (NA is False)."""
    return bool(value) if pd.notna(value) else False

r"""A run folder's own files, read and checked: run.json, trace.csv (against the trace contract and
run.json's sample count) and the configuration the program reported in solver.log.

A damaged file raises tables.TableError naming it, what is wrong and the command that redoes the
run. By hand:

    >>> import rundir
    >>> log = "Bucket sizes: 2M/4M/2M\nrehash\nBucket sizes: 4M/8M/4M\n"
    >>> rundir.reported_config(log, r"Bucket sizes: (\S+)")
    '4M/8M/4M'
"""

import json
import re
from pathlib import Path

import pandas as pd

import tables

# What the runs table needs from every run.json (the sampler and the run wrapper write more).
RUN_JSON_KEYS = (
    "variant", "limit_mb", "bucket_model", "repeat", "status", "exit_code", "signal",
    "samples", "duration_s", "peak_rss_kb", "hwm_kb", "sampler_version",
)  # fmt: skip


def run_redo(run_dir) -> str:
    return f"redo that run: rm -r {run_dir} && snakemake --cores 1 all"


def read_run(path) -> dict:
    """A run's run.json, with the keys the runs table needs (TableError otherwise)."""
    path = Path(path)
    redo = run_redo(path.parent)
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        raise tables.TableError(f"{path}: missing; {redo}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise tables.TableError(f"{path}: not valid JSON ({err}); {redo}") from None
    if not isinstance(record, dict):
        raise tables.TableError(f"{path}: not a JSON object; {redo}")
    missing = [key for key in RUN_JSON_KEYS if key not in record]
    if missing:
        raise tables.TableError(f"{path}: lacks the key(s) {missing}; {redo}")
    record.setdefault("run_dir", str(path.parent))
    return record


def read_trace(path, samples: int | None = None) -> pd.DataFrame:
    """A run's trace.csv, every cell a number; with `samples` (run.json's), the row count too."""
    path = Path(path)
    redo = run_redo(path.parent)
    dtypes = {name: "float64" if name == "time_s" else "int64" for name in tables.TRACE.names}
    try:
        with open(path, "rb") as fh:
            header = fh.readline().decode(errors="replace").rstrip("\r\n")
            if header.split(",") != tables.TRACE.names:
                raise tables.TableError(
                    f"{path}: header {header!r} is not the trace contract "
                    f"{','.join(tables.TRACE.names)!r}; {redo}"
                )
            frame = pd.read_csv(fh, header=None, names=tables.TRACE.names, dtype=dtypes)
    except tables.TableError:
        raise
    except FileNotFoundError:
        raise tables.TableError(f"{path}: missing; {redo}") from None
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame({name: pd.Series(dtype=t) for name, t in dtypes.items()})
    except (ValueError, pd.errors.ParserError) as err:
        raise tables.TableError(
            f"{path}: a row is not {len(tables.TRACE.names)} numbers ({err}); {redo}"
        ) from None
    if samples is not None and len(frame) != samples:
        raise tables.TableError(
            f"{path}: {len(frame)} samples, but its run.json says {samples}; {redo}"
        )
    return frame


def reported_config(text: str | None, pattern: str) -> str | None:
    """First group of the last match of `pattern` in a program's output, or None."""
    if not text:
        return None
    matches = re.findall(pattern, text, flags=re.MULTILINE)
    return matches[-1] if matches else None


def read_solver_log(run_dir) -> str | None:
    path = Path(run_dir) / "solver.log"
    return path.read_text(errors="replace") if path.is_file() else None

r"""A run folder's own files, read and checked: run.json (every value the analysis reads, by type
and range), trace.csv (against the trace contract, run.json's sample count and peak: finite, not
negative, time not going back) and the configuration the program reported in solver.log (read
in blocks, so a log of any size costs a few MB).

A damaged file raises tables.TableError naming it, what is wrong and the command that redoes the
run (the campaign's own command line, redo.campaign_command). By hand:

    >>> import io
    >>> from tables import rundir
    >>> log = io.BytesIO(b"Bucket sizes: 2M/4M/2M\nrehash\nBucket sizes: 4M/8M/4M\n")
    >>> rundir.last_match(log, r"Bucket sizes: (\S+)")
    '4M/8M/4M'
"""

from __future__ import annotations

import codecs
import json
import math
import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import tables
from pipeline import redo
from sampling import metrics

if TYPE_CHECKING:  # search_step's reading of run.json and solver.log, which the workflow
    import pandas as pd  # imports when it starts, needs neither pandas nor numpy

# What the runs table needs from every run.json (the sampler and the run wrapper write more).
RUN_JSON_KEYS = (
    "variant", "limit_mb", "bucket_model", "repeat", "status", "exit_code", "signal",
    "samples", "duration_s", "peak_rss_kb", "hwm_kb", "sampler_version",
)  # fmt: skip


# run.json values in kB or bytes, and the runs-table column each becomes in MB: {column: (key,
# divisor)}, the sampler's from its metric registry, then the run wrapper's (campaign/measure.py)
TO_MB = {m.column: (m.key, m.divisor) for m in metrics.METRICS if m.column and m.divisor != 1}
TO_MB |= {"output_mb": ("output_bytes", 1 << 20), "output_cut_mb": ("output_cut_bytes", 1 << 20)}
# What a run.json value must be, by the runs-table dtype of the column it feeds: numbers are
# finite and not negative; these must be there (not null) and at least 1 where said.
KINDS = {
    "Int64": ("a whole number", (int,)),
    "Float64": ("a number", (int, float)),
    "boolean": ("true or false", (bool,)),
    "string": ("a string", (str,)),
}
REQUIRED = {"variant", "limit_mb", "bucket_model", "repeat", "status", "samples"}
AT_LEAST_ONE = {"limit_mb", "repeat"}
BLOCK = 1 << 20  # solver.log is read this many bytes at a time
OVERLAP = 1 << 16  # a match may reach this far back into the block before


def value_kinds() -> dict[str, str]:
    """{run.json key: dtype} of every value the analysis reads from run.json."""
    kinds = {c.name: c.dtype for c in tables.RUNS.columns}
    kinds |= {key: "Float64" for key, _ in TO_MB.values()}
    return kinds


def run_redo(run_dir) -> str:
    """How to redo one run: delete its folder and run the campaign's own command again (the
    folder named absolutely when that command names the working folder, -d / --directory, so
    that both work where the command was given)."""
    command = redo.campaign_command()
    args = shlex.split(command)
    elsewhere = any(a in ("-d", "--directory") or a.startswith("--directory=") for a in args)
    where = Path(run_dir).resolve() if elsewhere else Path(run_dir)
    return f"redo that run: rm -r {shlex.quote(str(where))} && {command}"


def bad_value(key: str, value, dtype: str) -> str | None:
    """What is wrong with run.json's value of key (None: nothing)."""
    what, types = KINDS[dtype]
    if value is None:
        return "null, but the analysis needs it" if key in REQUIRED else None
    least = 1 if key in AT_LEAST_ONE else 0
    number = dtype in ("Int64", "Float64")
    if isinstance(value, bool) != (dtype == "boolean") or not isinstance(value, types):
        return f"{value!r}, not {what}" + (f" >= {least}" if number else "")
    if number and not (math.isfinite(value) and value >= least):
        return f"{value!r}, not a finite number >= {least}"
    return None


def check_values(record: dict, path, redo: str) -> None:
    for key, dtype in value_kinds().items():
        problem = bad_value(key, record.get(key), dtype) if key in record else None
        if problem:
            raise tables.TableError(f"{path}: {key} is {problem}; {redo}")
    leftovers = record.get("leftover_processes")
    if leftovers is not None and not isinstance(leftovers, list):
        raise tables.TableError(f"{path}: leftover_processes is {leftovers!r}, not a list; {redo}")


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
    check_values(record, path, redo)
    record.setdefault("run_dir", str(path.parent))
    return record


def read_trace(path, samples: int | None = None, peak_kb: int | None = None) -> pd.DataFrame:
    """A run's trace.csv, every cell a finite number, none negative, time never going back; with
    `samples` (run.json's), the row count too; with `peak_kb` (run.json's peak_rss_kb), no RSS
    above it."""
    import pandas as pd

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
    problem = bad_sample(frame, peak_kb)
    if problem:
        raise tables.TableError(f"{path}: {problem}; {redo}")
    return frame


def bad_sample(frame: pd.DataFrame, peak_kb: int | None) -> str | None:
    """The first sample that cannot be (vectorised checks), in words; None when all can."""
    import numpy as np

    time = frame["time_s"].to_numpy()
    checks = [
        (~np.isfinite(time), "time_s", "not a finite number"),
        (time < 0, "time_s", "negative"),
        (np.r_[False, np.diff(time) < 0], "time_s", "earlier than the sample before"),
    ]
    for name in tables.TRACE.names[1:]:
        checks.append((frame[name].to_numpy() < 0, name, "negative"))
    if peak_kb is not None:
        above = frame["vmrss_kb"].to_numpy() > peak_kb
        checks.append((above, "vmrss_kb", f"above the run's peak_rss_kb {peak_kb} in run.json"))
    for bad, name, what in checks:
        if bad.any():
            row = int(np.argmax(bad))
            return f"line {row + 2}: {name} {frame[name].to_numpy()[row].item()!r} is {what}"
    return None


def reported_config(text: str | None, pattern: str) -> str | None:
    """First group of the last match of `pattern` in a program's output, or None."""
    if not text:
        return None
    matches = re.findall(pattern, text, flags=re.MULTILINE)
    return matches[-1] if matches else None


def last_match(stream, pattern: str) -> str | None:
    """reported_config over a binary stream read BLOCK bytes at a time: each block is matched
    from the start of a line up to OVERLAP bytes back into the block before (so a match
    straddling a boundary is found), and the last match found is kept."""
    regex = re.compile(pattern, flags=re.MULTILINE)
    decode = codecs.getincrementaldecoder("utf-8")(errors="replace").decode
    found, carry = None, ""
    while True:
        data = stream.read(BLOCK)
        text = carry + decode(data, final=not data)
        for match in regex.finditer(text):
            found = match.group(1)
        if not data:
            return found
        keep = text[-OVERLAP:]
        newline = keep.find("\n")
        carry = keep[newline + 1 :] if 0 <= newline < len(keep) - 1 else keep


def log_config(run_dir, pattern: str) -> str | None:
    """The configuration reported in a run's solver.log (None when it has none or no log)."""
    try:
        with open(Path(run_dir) / "solver.log", "rb") as fh:
            return last_match(fh, pattern)
    except FileNotFoundError:
        return None

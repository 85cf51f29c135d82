"""How a table is typed, written and read against its contract (a `Table` of columns), and the
TableError a reader raises: a file that does not match its contract (missing, cut short, wrong
header, a field that is not a number) is named with what is wrong and how to redo it.

    >>> import pandas as pd
    >>> t = Table("demo", (C("n", "Int64", "n", 0), C("ok", "boolean")), "a demo")
    >>> typed(pd.DataFrame({"n": ["1", None], "ok": ["true", "False"]}), t).dtypes.tolist()
    [Int64Dtype(), BooleanDtype]
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.redo import summary_redo
from sampling.files import write_atomically

if TYPE_CHECKING:  # the workflow imports the contracts when it starts: pandas only where read
    import pandas as pd

SUMMARY_DIR = "results/summary"
BOOLS = {"True": True, "False": False, "true": True, "false": False}


class TableError(ValueError):
    """A file that does not match its contract; the message names it and says how to redo it."""


@dataclass(frozen=True)
class Column:
    """name, pandas dtype (Int64, Float64, boolean, string), and how the report shows it: label
    ("" = not shown) and format (decimals for a number, or text / key / badge / bool)."""

    name: str
    dtype: str
    label: str = ""
    fmt: int | str = "text"


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    what: str  # one line for the docs and messages

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def path(self) -> str:
        return f"{SUMMARY_DIR}/{self.name}.csv"

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def empty(self) -> pd.DataFrame:
        import pandas as pd

        return typed(pd.DataFrame(columns=self.names), self)

    def read(self, path, redo: str | None = None) -> pd.DataFrame:
        return read_csv(path, self, redo)

    def rows(self, path, needed, redo: str | None = None) -> list[dict]:
        """The needed columns as text, without pandas (read_rows)."""
        return read_rows(path, self, needed, redo)

    def part(self, names) -> Table:
        """The contract of these columns only, in the table's order."""
        unknown = set(names) - set(self.names)
        if unknown:
            raise ValueError(f"{sorted(unknown)} are not columns of the {self.name} table")
        return Table(self.name, tuple(c for c in self.columns if c.name in names), self.what)

    def write(self, frame: pd.DataFrame, path) -> None:
        missing = [n for n in self.names if n not in frame.columns]
        if missing:
            raise ValueError(f"{self.name} table lacks column(s) {missing}")
        write_atomically(path, typed(frame[self.names].copy(), self).to_csv(index=False))


def C(name, dtype, label="", fmt="text") -> Column:  # noqa: N802 (reads like a table row)
    return Column(name, dtype, label, fmt)


def as_bool(values: pd.Series) -> pd.Series:
    """Nullable booleans from booleans or CSV text; anything else is an error for the caller."""
    if values.dtype == "boolean":
        return values
    mapped = values.map(lambda v: BOOLS.get(v, v) if isinstance(v, str) else v)
    return mapped.astype("boolean")


def typed(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """The frame with the contract's nullable dtypes (NA stays NA, written as an empty cell)."""
    import pandas as pd

    for col in table.columns:
        if col.name not in frame:
            continue
        if col.dtype == "boolean":
            frame[col.name] = as_bool(frame[col.name])
        elif col.dtype == "Int64":
            frame[col.name] = pd.to_numeric(frame[col.name]).astype("Float64").astype("Int64")
        else:
            frame[col.name] = frame[col.name].astype(col.dtype)
    return frame


def read_raw(path, redo: str) -> pd.DataFrame:
    """A CSV as text (an empty cell as NA), or TableError naming the file."""
    import pandas as pd

    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except FileNotFoundError:
        raise TableError(f"{path}: missing; {redo}") from None
    except pd.errors.EmptyDataError:
        raise TableError(f"{path}: empty, not even a header; {redo}") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise TableError(f"{path}: not a readable CSV ({err}); {redo}") from None


def checked(raw: pd.DataFrame, table: Table, path, redo: str) -> pd.DataFrame:
    """raw (holding the table's columns) with the contract's dtypes, or TableError naming the
    first bad cell."""
    try:
        return typed(raw, table)
    except (ValueError, TypeError) as err:
        bad = first_bad_cell(raw, table)
        raise TableError(f"{path}: {bad or err}; {redo}") from None


def read_csv(path, table: Table, redo: str | None = None) -> pd.DataFrame:
    """A CSV checked against its table's contract: header, fields per row, dtypes."""
    redo = redo or summary_redo(path)
    raw = read_raw(path, redo)
    if list(raw.columns) != table.names:
        raise TableError(
            f"{path}: its columns {list(raw.columns)} are not the {table.name} contract "
            f"{table.names}; {redo}"
        )
    return checked(raw, table, path, redo)


def read_columns(path, table: Table, needed, later=(), redo: str | None = None) -> pd.DataFrame:
    """Only the columns a reader uses of a CSV of the table, e.g. one an older memsweep wrote:
    the needed ones must be there, the later ones (added to the contract since) are taken when
    they are, any other is left out. Dtypes are checked as read_csv checks them."""
    redo = redo or summary_redo(path)
    raw = read_raw(path, redo)
    missing = [name for name in needed if name not in raw.columns]
    if missing:
        raise TableError(
            f"{path}: lacks the {table.name} column(s) {missing} (it has {list(raw.columns)}); "
            f"{redo}"
        )
    part = table.part([*needed, *(name for name in later if name in raw.columns)])
    return checked(raw[part.names].copy(), part, path, redo)


def first_bad_cell(raw: pd.DataFrame, table: Table) -> str | None:
    import pandas as pd

    for col in table.columns:
        values = raw[col.name].dropna()
        if col.dtype in ("Int64", "Float64"):
            bad = values[pd.to_numeric(values, errors="coerce").isna()]
        elif col.dtype == "boolean":
            bad = values[~values.isin(list(BOOLS))]
        else:
            continue
        if len(bad):
            line = int(bad.index[0]) + 2  # 1-based, after the header
            return f"line {line}: {col.name} is {bad.iloc[0]!r}, not a {col.dtype} value"
    return None


def read_rows(path, table: Table, needed, redo: str | None = None) -> list[dict]:
    """The needed columns of a CSV of the table, as text ({column: text, None for an empty
    cell}), with the standard library: for the workflow's own process, which imports no pandas.
    The needed columns must be in its header, else TableError naming the file."""
    redo = redo or summary_redo(path)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [name for name in needed if name not in (reader.fieldnames or [])]
            if missing:
                raise TableError(f"{path}: lacks the {table.name} column(s) {missing}; {redo}")
            rows = []
            for row in reader:
                if None in row or None in row.values():  # more or fewer fields than the header
                    raise TableError(
                        f"{path}: line {reader.line_num} does not have the header's "
                        f"{len(reader.fieldnames)} fields; {redo}"
                    )
                rows.append({name: row[name] or None for name in needed})
            return rows
    except FileNotFoundError:
        raise TableError(f"{path}: missing; {redo}") from None
    except (csv.Error, UnicodeDecodeError) as err:
        raise TableError(f"{path}: not a readable CSV ({err}); {redo}") from None

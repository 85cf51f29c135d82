"""The CI gate of a comparison: print the markdown summary, and fail when a configuration regressed.

Run it after a campaign with `compare.baseline` set (the workflow wrote the files it reads):

    snakemake --cores 1 all --configfile ci.yaml && python scripts/compare_gate.py
    python scripts/compare_gate.py path/to/results      # another results folder

It prints results/compare.md and exits with

    0  no configuration regressed (improvements, unchanged and inconclusive ones pass);
    1  at least one configuration regressed (peak, status or threshold verdict);
    2  bad input: no comparison in that folder, or a damaged or missing file (a message on
       stderr says which and how to redo it).

It needs the workflow's Python packages (requirements.txt), as the campaign before it did.
"""

import sys
from pathlib import Path

import tables

USAGE = "usage: python scripts/compare_gate.py [RESULTS_FOLDER]   (default: results)"
REDO = "set compare.baseline and run the campaign (snakemake --cores 1 all) first"
VERDICTS = {"regression", "improvement", "unchanged", "inconclusive", "not compared"}


class GateError(ValueError):
    """Input the gate cannot judge; exit status 2."""


def regressions(compare_csv: Path) -> list[str]:
    """'variant limit MB model: reason' per regressed configuration of compare.csv, read
    through its contract (GateError when it breaks it)."""
    try:
        compare = tables.COMPARE.read(compare_csv, redo=REDO)
    except tables.TableError as err:
        raise GateError(str(err)) from None
    unknown = set(compare["verdict"].dropna()) - VERDICTS
    if unknown or compare["verdict"].isna().any():
        raise GateError(f"{compare_csv}: verdicts {sorted(unknown)} are not {VERDICTS}; {REDO}")
    regressed = compare[compare["verdict"] == "regression"]
    return [
        f"{r.variant} {r.limit_mb} MB {r.bucket_model}: {r.reason}" for r in regressed.itertuples()
    ]


def gate(results: Path, out=None, err=None) -> int:
    """Print the summary and return the exit status (see the module docstring)."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        if not results.is_dir():
            raise GateError(f"{results}: not a folder; {USAGE}")
        regressed = regressions(results / "summary" / "compare.csv")
        summary = results / "compare.md"
        if not summary.is_file():
            raise GateError(f"{summary}: missing; {REDO}")
        out.write(summary.read_text(encoding="utf-8"))
    except GateError as problem:
        print(f"compare_gate: {problem}", file=err)
        return 2
    if regressed:
        print(f"compare_gate: {len(regressed)} configuration(s) regressed:", file=err)
        for line in regressed:
            print(f"  {line}", file=err)
        return 1
    print("compare_gate: no configuration regressed", file=err)
    return 0


def main(argv: list[str]) -> int:
    if len(argv) > 1 or (argv and argv[0] in ("-h", "--help")):
        print(USAGE, file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    return gate(Path(argv[0] if argv else "results"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

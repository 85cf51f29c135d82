"""The report's verdicts section from verdicts.csv: the banner (the campaign's level and which
checks failed or warn) and a card per check of the registry (verdicts/registry.py), with the
subjects that are not ok, and the last lines of the solver.log of a run that did not finish."""

from pathlib import Path

import pandas as pd

from report.markup import badge, esc
from verdicts import decide, registry

LEVEL_WORD = {"ok": "OK", "warn": "CHECK", "fail": "FAIL"}
TAIL_LINES = 20


def tail(path: Path, lines: int = TAIL_LINES, most: int = 1 << 16) -> str | None:
    """The last lines of a file, read from its last `most` bytes (a log may be large)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, fh.seek(0, 2) - most))
            text = fh.read().decode(errors="replace")
    except OSError:
        return None
    return "\n".join(text.splitlines()[-lines:])


def cards(found: pd.DataFrame, root: Path) -> str:
    """One card per kind of check: its level, how many subjects are not ok, and which."""
    out = []
    for kind, check in registry.CHECKS.items():
        rows = found[found["kind"] == kind]
        if rows.empty and check.optional:
            continue
        bad = rows[rows["level"] != "ok"]
        level, title, noun = decide.overall(rows), check.title, check.subjects
        if rows.empty:
            summary = "none in this campaign"
        elif bad.empty:
            summary = f"all {len(rows)} {noun} ok"
        else:
            summary = f"{len(bad)} of {len(rows)} {noun}"
        items = []
        for _, row in bad.iterrows():
            item = (
                f"{badge(row['level'], row['level'])} {esc(row['subject'])}: {esc(row['message'])}"
            )
            if kind == "run_status" and pd.notna(row["run_dir"]):
                text = tail(root / row["run_dir"] / "solver.log")
                if text is not None:
                    item += (
                        f"<details><summary>last lines of {esc(row['run_dir'])}/solver.log"
                        f"</summary><pre>{esc(text)}</pre></details>"
                    )
            items.append(f"<li>{item}</li>")
        many = " many" if len(items) > 4 else ""
        body = f"<ul>{''.join(items)}</ul>" if items else ""
        out.append(
            f'<div class="check {level}{many}" data-kind="{kind}"><h3>'
            f"{badge(LEVEL_WORD[level], level)}<span>{esc(title)}</span>"
            f'<span class="sum">{esc(summary)}</span></h3>{body}</div>'
        )
    return f'<div class="checks">{"".join(out)}</div>'


def banner(found: pd.DataFrame, runs: pd.DataFrame) -> str:
    level = decide.overall(found)
    titles = {kind: check.title for kind, check in registry.CHECKS.items()}
    failed = [titles[k] for k in titles if (found[found["kind"] == k]["level"] == "fail").any()]
    warned = [titles[k] for k in titles if (found[found["kind"] == k]["level"] == "warn").any()]
    headline = {
        "fail": f"{len(failed)} check{'s' * (len(failed) > 1)} failed",
        "warn": f"{len(warned)} check{'s' * (len(warned) > 1)} to look at",
        "ok": "All checks passed",
    }[level]
    parts = [f"Failed: {', '.join(failed)}"] if failed else []
    parts += [f"To look at: {', '.join(warned)}"] if warned else []
    parts += [f"{int((runs['status'] == 'ok').sum())} of {len(runs)} runs ok"]
    icon = {"ok": "✔", "warn": "!", "fail": "✖"}[level]
    subs = "".join(f'<div class="sub">{esc(part)}</div>' for part in parts)
    return (
        f'<div class="banner {level}" id="verdict" data-level="{level}"><div class="icon">'
        f'{icon}</div><div><div class="what">{esc(headline)}</div>{subs}</div></div>'
    )

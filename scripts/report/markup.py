"""The HTML pieces every part of the report is made of: an escaped value, a badge, a table of a
contract's labelled columns with its rows coloured by level, each row's level in the verdicts.

    >>> esc("<b>") + " " + esc(None)
    '&lt;b&gt; <span class="na">–</span>'
    >>> badge("FAIL")
    '<span class="badge fail">FAIL</span>'
"""

import html

import pandas as pd

import tables

NA = '<span class="na">–</span>'
BADGE = {"ok": "ok", "PASS": "ok", "FAIL": "fail", "failed": "fail", "killed": "fail"}
BADGE |= {"timeout": "warn", "oom": "oom", "warn": "warn", "fail": "fail"}
BADGE |= {"regression": "fail", "improvement": "ok", "unchanged": "ok", "inconclusive": "warn"}
ROW_CLASS = {"ok": "", "warn": "hot", "fail": "bad"}


def esc(value) -> str:
    """HTML-escaped text of a value; NA becomes a muted dash."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return NA
    return html.escape(str(value))


def badge(text, kind: str | None = None) -> str:
    return f'<span class="badge {kind or BADGE.get(str(text), "warn")}">{esc(text)}</span>'


def cell(value, fmt) -> str:
    if isinstance(fmt, int):
        number = pd.to_numeric(value, errors="coerce")
        return f'<td class="num">{NA if pd.isna(number) else f"{number:.{fmt}f}"}</td>'
    if fmt == "badge":
        return f"<td>{NA if pd.isna(value) else badge(value)}</td>"
    if fmt == "bool":
        yes = not pd.isna(value) and bool(value)
        return (
            f'<td class="{"yes" * yes}">{"yes" if yes else (NA if pd.isna(value) else "no")}</td>'
        )
    return f'<td class="{"text" if fmt == "text" else ""}">{esc(value)}</td>'


def table_html(frame: pd.DataFrame, spec: tables.Table, levels=None, empty="No rows.") -> str:
    """The spec's labelled columns of frame; levels (one per row: ok/warn/fail) colour rows."""
    if frame.empty:
        return f'<p class="note">{esc(empty)}</p>'
    shown = [c for c in spec.columns if c.label and not frame[c.name].isna().all()]
    head = "".join(
        f'<th class="{"num" if isinstance(c.fmt, int) else ""}">{esc(c.label)}</th>' for c in shown
    )
    levels = ["ok"] * len(frame) if levels is None else list(levels)
    rows = []
    for (_, row), level in zip(frame.iterrows(), levels, strict=True):
        cells = "".join(cell(row[c.name], c.fmt) for c in shown)
        rows.append(f'<tr class="{ROW_CLASS.get(level, "")}">{cells}</tr>')
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def levels_for(frame: pd.DataFrame, found: pd.DataFrame, kind: str, key: list[str]) -> list[str]:
    """Each row's level in the verdicts of one kind, matched on key (ok when it has none)."""
    mine = found[found["kind"] == kind]
    keys = mine[key].itertuples(index=False)
    index = {tuple(r): lvl for r, lvl in zip(keys, mine["level"], strict=True)}
    return [index.get(tuple(r), "ok") for r in frame[key].itertuples(index=False)]

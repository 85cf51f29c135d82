"""The comparison in words and numbers for people and machines: compare.md's text (ready to paste
into a pull request), compare.json's document (everything, machine-readable) and the benchmark
series (the candidate's mean peak per configuration as "smaller is better", the format of
github-action-benchmark's `customSmallerIsBetter` tool). Renderers only: compare.csv decided.
scripts/compare_summary.py, the `compare_summary` rule's entry, writes them; the report's
comparison section reads the same counts and phrases.

    >>> phrase({"regression": 1, "unchanged": 2})
    '1 regression, 2 unchanged'
"""

import math

import pandas as pd

import comparison.phases
import comparison.stats
import tables

ORDER = ("regression", "improvement", "inconclusive", "unchanged", "not compared")
FORMAT = "memsweep-compare/1"


def plain(value):
    """A JSON value: NA and NaN as null, NumPy numbers as Python ones."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()
    return None if isinstance(value, float) and math.isinf(value) else value


def records(frame: pd.DataFrame) -> list[dict]:
    return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def number(value, fmt: str = ".1f", unit: str = "") -> str:
    """A number as text; a sign as a typographic minus; NA as a dash."""
    if pd.isna(value):
        return "–"
    text = f"{value:{fmt}}{unit}"
    return "−" + text[1:] if text.startswith("-") else text


def phrase(n: dict) -> str:
    """'2 regressions, 1 unchanged' from counts per verdict (zeros left out)."""
    words = {"regression": "regressions", "improvement": "improvements"}
    return ", ".join(f"{c} {words.get(v, v) if c > 1 else v}" for v, c in n.items() if c)


def mean(value, n) -> str:
    return "–" if pd.isna(value) else f"{value:.1f} (n={n})"


def counts(compare: pd.DataFrame) -> dict[str, int]:
    found = compare["verdict"].value_counts()
    return {verdict: int(found.get(verdict, 0)) for verdict in ORDER}


def md_row(r) -> str:
    change = f"{number(r['diff_percent'], '+.2f', '%')} ({number(r['diff_mb'], '+.2f', ' MB')})"
    interval = f"{number(r['ci_low_percent'], '+.2f')} to {number(r['ci_high_percent'], '+.2f')}%"
    status = r["status_candidate"] if r["status_change"] == "unchanged" else (
        f"{r['status_baseline']} → {r['status_candidate']}")  # fmt: skip
    check = r["threshold_candidate"] if r["threshold_change"] == "unchanged" else (
        f"{r['threshold_baseline']} → {r['threshold_candidate']}")  # fmt: skip
    check = "" if pd.isna(r["threshold_change"]) else check
    verdict = f"**{r['verdict']}**" if r["verdict"] == "regression" else r["verdict"]
    cells = [
        verdict, r["variant"], f"{r['limit_mb']} MB", f"`{r['bucket_model']}`",
        mean(r["mean_baseline_mb"], r["n_baseline"]),
        mean(r["mean_candidate_mb"], r["n_candidate"]),
        change if pd.notna(r["diff_mb"]) else "–",
        interval if pd.notna(r["ci_low_percent"]) else "–",
        number(r["p_adjusted"], ".2g"), status or "–", check,
    ]  # fmt: skip
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


MD_HEAD = (
    "| verdict | variant | limit | model | baseline MB | candidate MB | change | interval | "
    "p adj. | status | threshold check |\n|---|---|---:|---|---:|---:|---:|---|---:|---|---|"
)


def untyped(frame: pd.DataFrame) -> pd.DataFrame:
    """Python values with None for a missing one, so that a comparison with NA is just False."""
    return frame.astype(object).where(frame.notna(), None)


def config_text(r) -> str:
    head = (
        f"{r['variant']} vs {r['baseline_variant']} · "
        if r["variant"] != r["baseline_variant"]
        else ""
    )
    return f"{head}{r['limit_mb']} MB `{r['bucket_model']}`"


PHASE_HEAD = (
    "| verdict | configuration | phase | on | baseline MB | candidate MB | change | interval |\n"
    "|---|---|---|---|---:|---:|---:|---|"
)


def phase_lines(by_phase: pd.DataFrame) -> list[str]:
    """compare.md's part on phases: where each change landed, phases on one side only, and
    every phase's row, folded."""
    if by_phase.empty:
        return []
    rows = untyped(by_phase)
    lines = ["#### By phase", ""]
    for _, r in untyped(comparison.phases.changed(by_phase)).iterrows():
        lines.append(f"- the {r['verdict']} in {config_text(r)} is in `{r['phase']}`: "
                     f"{r['reason']}")  # fmt: skip
    one_side = rows[rows["presence"] != "both"]
    for _, r in one_side.iterrows():
        lines.append(f"- `{r['phase']}` is a phase of the {r['presence'].split()[0]} only, "
                     f"in {config_text(r)}")  # fmt: skip
    if len(lines) == 2:
        lines.append("- no phase changed")
    table = [
        "| " + " | ".join([
            r["verdict"], config_text(r), f"`{r['phase']}`", r["presence"],
            mean(r["mean_baseline_mb"], r["n_baseline"]),
            mean(r["mean_candidate_mb"], r["n_candidate"]),
            number(r["diff_percent"], "+.2f", "%"),
            f"{number(r['ci_low_percent'], '+.2f')} to {number(r['ci_high_percent'], '+.2f')}%",
        ]).replace("|", "\\|") + " |"
        for _, r in rows.iterrows()
    ]  # fmt: skip
    summary = f"{len(rows)} phase comparison(s)"
    return [*lines, "", f"<details><summary>{summary}</summary>", "", PHASE_HEAD, *table, "",
            "</details>", ""]  # fmt: skip


def markdown(
    compare: pd.DataFrame, env: pd.DataFrame, settings: dict, by_phase: pd.DataFrame | None = None
) -> str:
    """compare.md: the changes first, the unchanged configurations folded, where each change
    landed (with phases), the environment."""
    compare = untyped(compare)
    head = phrase(counts(compare))
    baseline = compare["baseline"].dropna().iloc[0] if len(compare) else settings["baseline"]
    lines = [f"### memsweep: compared with `{baseline}`: {head or 'nothing compared'}", ""]
    rank = {verdict: i for i, verdict in enumerate(ORDER)}
    ordered = compare.sort_values("verdict", key=lambda v: v.map(rank), kind="stable")
    quiet = ordered["verdict"].isin(["unchanged", "not compared"])
    if (~quiet).any():
        lines += [MD_HEAD, *(md_row(r) for _, r in ordered[~quiet].iterrows()), ""]
    if quiet.any():
        folded = f"{int(quiet.sum())} configuration(s) unchanged or on one side only"
        rows = [md_row(r) for _, r in ordered[quiet].iterrows()]
        lines += [f"<details><summary>{folded}</summary>", "", MD_HEAD, *rows, "", "</details>"]
        lines.append("")  # markdown again after the HTML block
    if by_phase is not None:
        lines += [*phase_lines(by_phase)]
    missing = not_compared(env)
    for r in env[env["level"] != "ok"].drop(index=missing.index).itertuples():
        lines += [f"> **Warning**: {r.aspect}: baseline {r.baseline}, candidate "
                  f"{r.candidate}: {r.note}.", ""]  # fmt: skip
    for r in missing.itertuples():
        lines += [f"> **Not compared**: {r.aspect}: {r.note}.", ""]
    lines += ["| | baseline | candidate |", "|---|---|---|"]
    lines += [f"| {r.aspect} | {r.baseline} | {r.candidate} |" for r in env.itertuples()]
    tests = int(compare["p_value"].notna().sum())
    lines += ["", comparison.stats.describe(settings, tests), ""]
    return "\n".join(lines)


def not_compared(env: pd.DataFrame) -> pd.DataFrame:
    """The environment aspects the baseline did not record (saved by an older memsweep)."""
    return env[~env["compared"].fillna(False)]


def benchmark(compare: pd.DataFrame, runs: pd.DataFrame) -> list[dict]:
    """The candidate's mean peak per configuration, github-action-benchmark's custom format."""
    cand = runs[(runs["side"] == "candidate") & runs["in_grid"].fillna(False)]
    cand = cand[cand["status"].eq("ok").fillna(False)]
    spread = cand.groupby(tables.CONFIG_KEY)["peak_mb"].std()
    out = []
    for _, r in untyped(compare[compare["mean_candidate_mb"].notna()]).iterrows():
        sd = spread.get((r["variant"], r["limit_mb"], r["bucket_model"]))
        extra = f"n={r['n_candidate']}; {r['verdict']}"
        if pd.notna(r["diff_percent"]):
            extra += f" ({r['diff_percent']:+.2f}% against {r['mean_baseline_mb']:.2f} MB)"
        entry = {
            "name": f"peak {r['variant']} {r['limit_mb']} MB {r['bucket_model']}",
            "unit": "MB",
            "value": round(float(r["mean_candidate_mb"]), 3),
            "extra": extra,
        }
        if sd is not None and pd.notna(sd):
            entry["range"] = f"± {sd:.3f}"
        out.append(entry)
    return out


def summary(compare, runs, env, settings: dict) -> dict:
    tests = int(compare["p_value"].notna().sum())
    return {
        "format": FORMAT,
        "baseline": settings["baseline"],
        "regressed": bool((compare["verdict"] == "regression").any()),
        "counts": counts(compare),
        "rule": {
            "test": "Welch's t-test, two-sided",
            "correction": "Bonferroni",
            "tests": tests,
            "alpha": settings["alpha"],
            "min_change_percent": settings["min_change_percent"],
            "min_change_mb": settings["min_change_mb"],
            "text": comparison.stats.describe(settings, tests),
        },
        "environment": records(env),
        "not_compared": records(not_compared(env)[["aspect", "note"]]),
        "configurations": records(compare),
        "benchmark": benchmark(compare, runs),
    }

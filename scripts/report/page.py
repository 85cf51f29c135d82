"""Write results/report.html: a campaign's verdicts, figures and tables on one self-contained page.

A renderer only. The verdicts and the overall level come from results/summary/verdicts.csv (the
verdicts stage decides them); the figures and their order from the registry in scripts/figures;
their captions from workflow/report/figures/<name>.rst, the captions `snakemake --report` shows;
the page's look from workflow/report/report.css and its layout from report.html.j2. Every value
that comes from data is HTML-escaped, and the page needs no network. Written by the `figures`
job after the figures (scripts/figures.py); by hand, from the project folder after a campaign:

    python scripts/report/page.py
    # -> results/report.html, opening with a banner such as "1 check failed"
"""

import base64
import datetime
import functools
import html
import logging
import struct
from pathlib import Path
from types import SimpleNamespace

import docutils.core
import docutils.frontend
import jinja2
import pandas as pd
import yaml
from docutils.parsers.rst import Parser
from docutils.writers import html4css1

import plots
import tables
from analysis import digest
from pipeline import stage
from report import explorer, highlights
from verdicts import decide, registry

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "workflow/report"
NA = '<span class="na">–</span>'
BADGE = {"ok": "ok", "PASS": "ok", "FAIL": "fail", "failed": "fail", "killed": "fail"}
BADGE |= {"timeout": "warn", "oom": "oom", "warn": "warn", "fail": "fail"}
BADGE |= {"regression": "fail", "improvement": "ok", "unchanged": "ok", "inconclusive": "warn"}
LEVEL_WORD = {"ok": "OK", "warn": "CHECK", "fail": "FAIL"}
ROW_CLASS = {"ok": "", "warn": "hot", "fail": "bad"}
TAIL_LINES = 20
MAX_ROWS = 60  # a longer table shows the rows that matter (highlights.focus) and says so
log = logging.getLogger("report")


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


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's header, None when the bytes are not a PNG."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", data[16:24])


@functools.cache
def rst_settings():
    """docutils' settings for the captions, built once (each caption otherwise builds its own:
    most of the time docutils takes per caption)."""
    return docutils.frontend.get_default_settings(Parser, html4css1.Writer())


def caption_html(name: str, config: dict) -> str:
    rst = plots.caption_rst(name, config)
    return docutils.core.publish_parts(rst, writer=html4css1.Writer(), settings=rst_settings())[
        "body"
    ]


def figure_html(name: str, path, config: dict) -> str:
    title = plots.FIGURES[name].title
    data = Path(path).read_bytes() if path and Path(path).is_file() else b""
    size = png_size(data)
    if size is None:
        body = f'<div class="missing">The figure {esc(name)} is missing or not a PNG.</div>'
    else:
        src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        body = f'<img src="{src}" alt="{esc(title)}" width="{size[0]}" height="{size[1]}">'
    return (
        f'<figure id="fig-{esc(name)}"><h3>{esc(title)}</h3>{body}'
        f"<figcaption>{caption_html(name, config)}</figcaption></figure>"
    )


def focused(frame: pd.DataFrame, keep: set, what: str) -> tuple[pd.DataFrame, str]:
    """All rows of a short table; of a long one, those whose configuration matters, and a note."""
    if len(frame) <= MAX_ROWS:
        return frame, ""
    mine = [tuple(k) in keep for k in frame[tables.CONFIG_KEY].itertuples(index=False)]
    note = (
        f'<p class="note">{sum(mine)} of {len(frame)} {what}: those of the configurations that '
        "matter (not ok, over budget, checked at a threshold, an outlier, or the largest peak of "
        "their model); all of them are in results/summary/.</p>"
    )
    return frame[mine], note


def tables_html(data: dict) -> str:
    runs, found, spikes = data["runs"], data["verdicts"], data["spikes"]
    keep = set(highlights.focus(runs, data["variance"]))
    keep |= {tuple(k) for k in found[found["level"] != "ok"][tables.CONFIG_KEY]
             .dropna().itertuples(index=False)}  # fmt: skip
    shown_runs, runs_note = focused(runs, keep, "runs")
    budget, budget_note = focused(found[found["kind"] == "budget"], keep, "configurations")
    variance, variance_note = focused(data["variance"], keep, "configurations")
    largest = spikes.sort_values("increase_mb", ascending=False, kind="stable").head(15)
    parts = [
        "<h3>Runs</h3>",
        runs_note,
        table_html(
            shown_runs, tables.RUNS, levels_for(shown_runs, found, "run_status", tables.KEY)
        ),
        "<h3>Limit compliance</h3>",
        '<p class="note">Per configuration, the largest peak (value) against the limit '
        "(bound): a run's peak is peak_mb (its source in the runs table's peak_source).</p>",
        budget_note,
        table_html(budget, tables.VERDICTS, budget["level"]),
        "<h3>Variance of the peak</h3><p class='note'>Over the ok grid runs; a CV above the "
        "warning level is highlighted.</p>",
        variance_note,
        table_html(
            variance, tables.VARIANCE, levels_for(variance, found, "stability", tables.CONFIG_KEY)
        ),
        "<h3>Largest spikes</h3>",
        f'<p class="note">The {len(largest)} largest of {len(spikes)} bursts by increase; all '
        "of them are in results/summary/spikes.csv.</p>"
        if len(spikes)
        else "",
        table_html(largest, tables.SPIKES, empty="No spikes detected."),
        *phases_html(data, keep),
        "<h3>Threshold checks</h3>",
        table_html(
            data["thresholds"],
            tables.THRESHOLDS,
            ["ok" if v == "PASS" else "fail" for v in data["thresholds"]["verdict"]],
            empty="No thresholds configured.",
        ),
    ]
    return "".join(parts)


def phases_html(data: dict, keep: set) -> list[str]:
    """With solver.phase_pattern: each phase's peak per configuration (phases.csv)."""
    if "phases" not in data:
        return []
    shown, note = focused(data["phases"], keep, "phase rows")
    levels = ["warn" if held else "ok" for held in shown["holds_peak"].fillna(False)]
    return [
        "<h3>Peak per phase</h3><p class='note'>Over the ok grid runs; the phase holding the "
        "peak in most repeats is highlighted. Every run's phases are in "
        "results/summary/phase_runs.csv.</p>",
        note,
        table_html(shown, tables.PHASES, levels),
    ]


def search_section(data: dict, figure_paths: dict, config: dict) -> list[tuple[str, str, str]]:
    """The Searches section (answers, then the probes figure), when the campaign has searches."""
    if "search" not in data:
        return []
    body = (
        '<p class="note">Each search bisects whole MB with ordinary runs; its verdicts are with '
        "the others above, every probe is in results/summary/search_probes.csv.</p>"
        + table_html(data["search"], tables.SEARCH, empty="No search rows.")
        + figure_html("search", figure_paths.get("search"), config)
    )
    return [("search", "Searches", body)]


def compare_html(data: dict, figure_paths: dict, config: dict) -> str:
    """The comparison: its verdicts first (worst first), where both sides ran, its figures."""
    import compare_summary
    import comparison.stats  # scipy: about a second, paid only by a campaign with a comparison

    found, env, key = data["verdicts"], data["compare_env"], tables.CONFIG_KEY
    rank = {verdict: i for i, verdict in enumerate(compare_summary.ORDER)}
    compare = data["compare"].sort_values("verdict", key=lambda v: v.map(rank), kind="stable")
    tests = int(compare["p_value"].notna().sum())
    rule = comparison.stats.describe(config["compare"], tests)
    counts = compare_summary.phrase(compare_summary.counts(compare))
    parts = [
        f'<p class="note">{esc(counts or "Nothing compared")}. {esc(rule)}</p>',
        table_html(compare, tables.COMPARE, levels_for(compare, found, "compare", key)),
        *compare_phases_html(data),
        "<h3>Where each side ran</h3>",
        table_html(env, tables.COMPARE_ENV, env["level"]),
    ]
    for r in compare_summary.not_compared(env).itertuples():
        parts.append(f'<p class="note">Not compared: {esc(r.aspect)}: {esc(r.note)}.</p>')
    parts += [
        figure_html(n, figure_paths.get(n), config)
        for n in plots.in_section(plots.FIGURES, "compare")
    ]
    return "".join(parts)


def compare_phases_html(data: dict) -> list[str]:
    """With phases: which phase each change landed in, then every phase's row."""
    if "compare_phases" not in data:
        return []
    import comparison.phases  # scipy, as compare_html's imports

    by_phase = data["compare_phases"]
    said = [
        f"<li>{badge(r['verdict'])} {esc(r['variant'])} · {esc(r['limit_mb'])} MB · "
        f"{esc(r['bucket_model'])}: the {esc(r['verdict'])} is in <b>{esc(r['phase'])}</b> "
        f"({esc(r['reason'])})</li>"
        for _, r in comparison.phases.changed(by_phase).iterrows()
    ]
    levels = [BADGE.get(v, "ok") for v in by_phase["verdict"].fillna("ok")]
    return [
        "<h3>By phase</h3>",
        f"<ul>{''.join(said)}</ul>" if said else '<p class="note">No phase changed.</p>',
        table_html(by_phase, tables.COMPARE_PHASES, levels),
    ]


def environment(runs: pd.DataFrame, version: str) -> str:
    def distinct(col):
        values = runs[col].dropna().astype(str).unique()
        return esc(", ".join(values)) if len(values) else NA

    written = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    pairs = [
        ("memsweep version", esc(version)),
        ("host", distinct("hostname")),
        ("kernel", distinct("kernel")),
        ("sampler version", distinct("sampler_version")),
        ("report written", esc(written)),
    ]
    return '<dl class="env">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>"


def campaign_shape(runs: pd.DataFrame) -> str:
    grid = runs[runs["in_grid"].fillna(False)]
    if grid.empty:
        return "no grid runs"
    n = grid[["variant", "limit_mb", "bucket_model", "repeat"]].nunique()
    head = f"{n['variant']} variants × " if n["variant"] > 1 else ""
    return f"{head}{n['limit_mb']} limits × {n['bucket_model']} models × {n['repeat']} repeats"


def build_report(
    data: dict, figure_paths: dict, config: dict, version: str, root=".", digest_path=None
) -> str:
    """The page; data maps table names to typed frames, root is where run_dir paths start,
    digest_path the digest of traces for the explorer (no explorer without it)."""
    runs, found = data["runs"], data["verdicts"]
    level = decide.overall(found)
    shown = [n for n in plots.FIGURES if n in figure_paths or not plots.FIGURES[n].when]
    figs = "".join(
        figure_html(n, figure_paths.get(n), config)
        for n in shown
        if plots.FIGURES[n].section == "figures"
    )
    dump = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=96)
    sections = [
        ("verdicts", "Verdicts", banner(found, runs) + cards(found, Path(root))),
        ("figures", "Figures", figs),
        *(
            [("explore", "Explore the traces", explorer.section(data, digest_path))]
            if digest_path
            else []
        ),
        *search_section(data, figure_paths, config),
        ("tables", "Tables", tables_html(data)),
        ("config", "Config", f"<pre>{esc(dump)}</pre>"),
        ("environment", "Environment", environment(runs, version)),
    ]
    if "compare" in data:
        title = f"Compared with {config['compare']['baseline']}"
        sections.insert(1, ("compare", title, compare_html(data, figure_paths, config)))
    n_checks = int(runs["threshold_check"].fillna(False).sum())
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    return env.get_template("report.html.j2").render(
        verdict="FAIL" if level == "fail" else "PASS",
        css=jinja2.utils.markupsafe.Markup((TEMPLATES / "report.css").read_text()),
        subtitle=f"{len(runs)} runs · {campaign_shape(runs)} · {n_checks} threshold run(s)",
        sections=[
            SimpleNamespace(id=i, title=t, body=jinja2.utils.markupsafe.Markup(b))
            for i, t, b in sections
        ],
        version=version,
    )


def read_data(table_paths: dict) -> dict:
    """table_paths: the summary tables' paths by name (the search and comparison tables too when
    the campaign has them), and "digest" (checked here, then embedded as it is)."""
    data = {name: tables.BY_NAME[name].read(path) for name, path in table_paths.items()
            if name != "digest"}  # fmt: skip
    digest.read_digest(table_paths["digest"], data["runs"]["run_dir"])
    return data


def write(data: dict, figure_paths: dict, html_path, config: dict, version: str, digest_path):
    """The page from tables already read and checked (read_data)."""
    page = build_report(data, figure_paths, config, version, digest_path=digest_path)
    Path(html_path).write_text(page, encoding="utf-8")
    log.info("wrote %s: %d kB, %d runs", html_path, len(page) // 1024, len(data["runs"]))


def main(table_paths: dict, figure_paths: dict, html_path, config: dict, version: str) -> None:
    write(read_data(table_paths), figure_paths, html_path, config, version, table_paths["digest"])


if __name__ == "__main__":
    import campaign.config

    cfg = campaign.config.load(campaign.config.read_config_file(campaign.config.DEFAULT_CONFIG))
    stage.run(
        main,
        {table.name: table.path for table in tables.SUMMARY_TABLES}
        | ({table.name: table.path for table in tables.SEARCH_TABLES} if cfg["search"] else {})
        | {"digest": tables.DIGEST},
        {name: plots.PATH.format(name=name) for name in plots.drawn(cfg)},
        "results/report.html",
        cfg,
        "by hand",
    )

"""Write results/report.html: a campaign's verdicts, figures and tables on one self-contained page.

A renderer only. The verdicts and the overall level come from results/summary/verdicts.csv (the
verdicts stage decides them); the figures and their order from the registry in scripts/plots/.
This module lays the page out from its sections: the verdicts (report/checks.py), the comparison
(report/comparison_section.py), the figures (report/figure_block.py), the trace explorer
(report/explorer.py), the searches, the tables (report/tables_section.py), the config and the
environment; the page's look is workflow/report/report.css and its layout report.html.j2. Every
value that comes from data is HTML-escaped (report/markup.py), and the page needs no network.
Written by the `figures` job after the figures (scripts/figures.py); to write it again after a
campaign, from the project folder:

    snakemake --cores 1 --forcerun figures results/report.html
"""

import datetime
import logging
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pandas as pd
import yaml

import plots
import tables
from analysis import digest
from report import explorer
from report.checks import banner, cards
from report.comparison_section import compare_html
from report.figure_block import figure_html
from report.markup import NA, esc, table_html
from report.tables_section import tables_html
from verdicts import decide

TEMPLATES = plots.ROOT / "workflow/report"
log = logging.getLogger("report")


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

"""The registry of figures: each figure's name, title, the tables it reads and the settings it uses.

The workflow's `figures` job draws every figure of this registry the campaign has, in one
interpreter, and the report shows them in this order. Each figure is a module of this package
with `draw(data, settings, out_path)`, where data maps table names to typed frames (and
"traces" to {run_dir: frame of time_s, vmrss_kb} for figures that draw traces, from the digest,
with "phases" {run_dir: [[start_s, end_s, name], ...]} of the runs that have phases), and
settings maps each listed setting's last key to its value. Its title is its entry's (a module
that draws it reads FIGURES[name].title). Its caption, for both reports, is
workflow/report/figures/<name>.rst. Adding a figure: a module, an entry below, a caption. A figure
with `when` is drawn only when that config value is set (searches, a comparison's baseline),
and the report shows it in its `section`.

    >>> import plots
    >>> plots.FIGURES["stability"].settings
    ('variance.cv_warn_percent',)
"""

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace

import campaign.spec

ROOT = Path(campaign.spec.HOME)  # memsweep's own folder: the captions


@dataclass(frozen=True)
class Figure:
    name: str
    title: str
    tables: tuple[str, ...]  # summary tables read (names in scripts/tables/__init__.py)
    settings: tuple[str, ...] = ()  # config keys, "section.key"
    # traces it draws: "digest", every run's from the digest of traces; "picked", the trace.csv of
    # the runs its module's select_runs(data) picks (they may be another campaign's)
    traces: str = ""
    when: str = ""  # a config key, "section" or "section.key": drawn only when its value is set
    section: str = "figures"  # the report section that shows it


FIGURES = {
    f.name: f
    for f in (
        Figure("overview", "Overview", ("variance", "verdicts"), ("variance.cv_warn_percent",)),
        Figure("traces", "Memory traces", ("runs", "spikes", "variance"), traces="digest"),
        Figure("peak_vs_limit", "Peak vs memory limit", ("runs",)),
        Figure("stability", "Stability across repeats", ("variance", "runs"),
               ("variance.cv_warn_percent",)),
        Figure("spikes", "Memory spikes", ("spikes", "runs")),
        Figure("resources", "Peak, CPU time and page faults", ("runs",)),
        Figure("thresholds", "Threshold checks", ("thresholds",)),
        Figure("phase_peaks", "Peak per phase", ("phases",), when="solver.phase_pattern"),
        Figure("search", "Search probes", ("search", "search_probes"), when="search",
               section="search"),
        Figure("compare_diff", "Change of the peak per configuration", ("compare",),
               when="compare.baseline", section="compare"),
        Figure("compare_traces", "Most changed configuration, baseline and candidate",
               ("compare", "compare_runs"), traces="picked", when="compare.baseline",
               section="compare"),
    )
}  # fmt: skip
CAPTION = "workflow/report/figures/{name}.rst"
# The colours of "peak as % of the limit", for the overview figure and the report's explorer:
# green well within the limit, yellow near it, red above it (100% sits at 100 / PEAK_MAX_PERCENT).
PEAK_MAX_PERCENT = 120
PEAK_SCALE = [(0, "#1a9850"), (0.66, "#a6d96a"), (0.79, "#ffffbf"), (0.833, "#fdae61"),
              (1, "#d73027")]  # fmt: skip
PATH = "results/plots/{name}.png"


def setting(config: dict, key: str):
    """A config value by its dotted key ("section.key"), None when absent."""
    value = config
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def drawn(config: dict) -> list[str]:
    """The figures a campaign draws, in the registry's order (a figure with `when` only when that
    config value is set)."""
    return [name for name, spec in FIGURES.items() if not spec.when or setting(config, spec.when)]


def in_section(names, section: str) -> list[str]:
    return [name for name in names if FIGURES[name].section == section]


def settings_of(name: str, config: dict) -> dict:
    """{last key: value} of the settings a figure uses, from the campaign's config."""
    out = {}
    for key in FIGURES[name].settings:
        section, _, leaf = key.partition(".")
        out[leaf] = config[section][leaf]
    return out


def caption_rst(name: str, config: dict) -> str:
    """A figure's caption as reStructuredText: its caption file rendered with the config, as
    Snakemake renders captions (Jinja2, `snakemake.config`)."""
    import jinja2

    text = (ROOT / CAPTION.format(name=name)).read_text()
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    return env.from_string(text).render(snakemake=SimpleNamespace(config=config))


def trace_runs(name: str, data: dict):
    """The runs whose trace.csv a figure with traces="picked" reads: its select_runs(data)."""
    return import_module(f"plots.{name}").select_runs(data)


def draw(name: str, data: dict, settings: dict, out_path) -> None:
    import_module(f"plots.{name}").draw(data, settings, out_path)

"""The registry of figures: each figure's name, title, the tables it reads and the settings it uses.

The workflow's `figure` rule draws one figure per job from this registry, so a changed setting
redraws only the figures that list it, and the report shows the figures in this order. Each
figure is a module of this package with `draw(data, settings, out_path)`, where data maps table
names to typed frames (and "traces" to {run_dir: trace frame} for figures that read traces), and
settings maps each listed setting's last key to its value. Its caption, for both reports, is
workflow/report/figures/<name>.rst. Adding a figure: a module, an entry below, a caption.
FIGURES are every campaign's; COMPARE_FIGURES are drawn only when a comparison is configured.

    >>> import figures
    >>> figures.FIGURES["stability"].settings
    ('variance.cv_warn_percent',)
"""

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Figure:
    name: str
    title: str
    tables: tuple[str, ...]  # summary tables read (names in scripts/tables.py)
    settings: tuple[str, ...] = ()  # config keys, "section.key"
    traces: bool = False  # reads run traces: every run's, or those its module's select_runs picks


FIGURES = {
    f.name: f
    for f in (
        Figure("traces", "Memory traces", ("runs", "spikes"), traces=True),
        Figure("peak_vs_limit", "Peak vs memory limit", ("runs",)),
        Figure("stability", "Stability across repeats", ("variance", "runs"),
               ("variance.cv_warn_percent",)),
        Figure("spikes", "Memory spikes", ("spikes", "runs")),
        Figure("thresholds", "Threshold checks", ("thresholds",)),
    )
}  # fmt: skip
# Drawn only when compare.baseline is set; the report shows them in its comparison section.
COMPARE_FIGURES = {
    f.name: f
    for f in (
        Figure("compare_diff", "Change of the peak per configuration", ("compare",)),
        Figure("compare_traces", "Most changed configuration, baseline and candidate",
               ("compare", "compare_runs"), traces=True),
    )
}  # fmt: skip
ALL = {**FIGURES, **COMPARE_FIGURES}
CAPTION = "workflow/report/figures/{name}.rst"
PATH = "results/plots/{name}.png"


def settings_of(name: str, config: dict) -> dict:
    """{last key: value} of the settings a figure uses, from the campaign's config."""
    out = {}
    for key in ALL[name].settings:
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
    """The runs whose traces a figure draws: those its module's select_runs(data) picks, else
    every run of its runs table."""
    select = getattr(import_module(f"figures.{name}"), "select_runs", None)
    return select(data) if select else data["runs"]


def draw(name: str, data: dict, settings: dict, out_path) -> None:
    import_module(f"figures.{name}").draw(data, settings, out_path)

"""Phase bands behind a trace: each phase of a run (solver.phase_pattern) as a shaded span of
time, named at its start. Used by the traces figure; the report's explorer draws the same bands.

    bands.draw(ax, [[0.0, 0.4, "(start)"], [0.4, 1.2, "Cache"], [1.2, 2.0, "Bucket 1/3"]])
"""

from matplotlib.transforms import blended_transform_factory

from plots import style
from sampling import phases as sampler_phases

SHADES = ("#dbe9f6", "#f3e6d3")  # alternate phases, light enough to keep the traces in front


def draw(ax, phases: list, note: str = "") -> None:
    """Shade each [start_s, end_s, name] of `phases` behind the data and write its name, rotated,
    at the bottom of the panel (the top holds the limit's note); `note` (e.g. whose phases these
    are) goes in the lower right."""
    edge = blended_transform_factory(ax.transData, ax.transAxes)
    for k, (start, end, name) in enumerate(phases):
        if name == sampler_phases.START:  # before the first line: not a named phase
            continue
        ax.axvspan(start, max(end, start), color=SHADES[k % 2], lw=0, zorder=0)
        ax.text(start, 0.03, f"{style.text(name)}", transform=edge, rotation=90, ha="left",
                va="bottom", fontsize=6.5, color=style.MUTED, clip_on=True, zorder=1)  # fmt: skip
    if note and phases:
        ax.text(0.99, 0.02, note, transform=ax.transAxes, ha="right", va="bottom", fontsize=6.5,
                color=style.MUTED)  # fmt: skip


def draw_for(ax, runs, phases: dict) -> None:
    """The bands of the first repeat of `runs` (a configuration's rows of runs.csv) that has
    phases ({run_dir: [[start_s, end_s, name], ...]}, from the digest); nothing without."""
    for _, run in runs.sort_values("repeat").iterrows():
        if phases.get(run["run_dir"]):
            note = f"phases of rep {run['repeat']:g}" if len(runs) > 1 else ""
            return draw(ax, phases[run["run_dir"]], note)
    return None

"""The report's trace explorer: every configuration's traces, zoomable down to single samples.

Lays out one section of results/report.html: Plotly (the library, inlined from the `plotly`
package, so the page works offline), the digest of every trace (results/summary/traces.json.gz,
embedded as it is, gzip and base64), a small JSON of the configurations (their runs, spike tops,
VmHWM, verdict level, and the overview's grid of peak as % of the limit; each run's phases, when
solver.phase_pattern is set, are in the digest and drawn as named bands), and
workflow/report/explorer.js, which draws the clickable overview and the traces. It opens on the
first configuration that matters (highlights.focus). By hand:

    html = explorer.section(data, "results/summary/traces.json.gz")
    # -> '<div id="explorer" ...' with the data and scripts; about 4.8 MB of it is Plotly
"""

import base64
import json
from collections import Counter
from pathlib import Path

import pandas as pd
from plotly.offline import get_plotlyjs

import plots
import tables
from report import highlights
from sampling import phases as sampler_phases

SCRIPT = plots.ROOT / "workflow/report/explorer.js"
RANK = {"ok": 0, "warn": 1, "fail": 2}


def number(value, digits=3):
    return None if pd.isna(value) else round(float(value), digits)


def config_levels(found: pd.DataFrame) -> dict:
    """The worst verdict level of each configuration (variant, limit_mb, bucket_model)."""
    rows = found.dropna(subset=["limit_mb"])
    levels = {}
    for key, level in zip(rows[tables.CONFIG_KEY].itertuples(index=False), rows["level"],
                          strict=True):  # fmt: skip
        key = tuple(key)
        if RANK[level] >= RANK[levels.get(key, "ok")]:
            levels[key] = level
    return levels


def summary(runs: list[dict], var_row) -> str:
    statuses = Counter(r["status"] for r in runs)
    text = f"{len(runs)} run(s): " + ", ".join(f"{n} {s}" for s, n in statuses.most_common())
    peaks = [r["peak_mb"] for r in runs if pd.notna(r["peak_mb"])]
    limit = runs[0]["limit_mb"]
    if peaks:
        peak = max(peaks)
        text += f"; largest peak {peak:.1f} MB ({100 * peak / limit:.0f}% of the limit)"
    if var_row is not None and pd.notna(var_row["cv_percent"]):
        text += f"; CV {var_row['cv_percent']:.2f}%"
    return text


def records(frame: pd.DataFrame, columns) -> list[dict]:
    """Rows as plain dicts (NA as None): a loop over dicts, not over pandas rows."""
    part = frame[list(columns)].astype(object)
    return part.where(part.notna(), None).to_dict("records")


def meta(data: dict) -> dict:
    """The configurations, their runs and spikes, and the overview's grid."""
    runs, spikes, variance = data["runs"], data["spikes"], data["variance"]
    window = spikes[spikes["detector"] == "window"]
    tops = {}
    for r in records(window, [*tables.KEY, "time_s", "duration_ms", "rss_mb"]):
        top = r["time_s"] + (r["duration_ms"] or 0) / 1000
        key = tuple(r[k] for k in tables.KEY)
        tops.setdefault(key, []).append([round(top, 4), round(r["rss_mb"], 4)])
    levels = config_levels(data["verdicts"])
    var_rows = {tuple(r[k] for k in tables.CONFIG_KEY): r
                for r in records(variance, [*tables.CONFIG_KEY, "cv_percent"])}  # fmt: skip
    several = runs["variant"].nunique() > 1
    columns = [*tables.KEY, "run_dir", "status", "hwm_mb", "duration_s", "peak_mb"]
    by_config = {}
    for r in records(runs.sort_values([*tables.CONFIG_KEY, "repeat"], kind="stable"), columns):
        by_config.setdefault(tuple(r[k] for k in tables.CONFIG_KEY), []).append(r)
    configs, index = [], {}
    for key, group in by_config.items():
        variant, limit, model = key
        label = f"{variant} · " * several + f"{limit} MB · {model}"
        index[key] = len(configs)
        configs.append(
            {
                "label": label,
                "limit_mb": int(limit),
                "level": levels.get(key, "ok"),
                "summary": summary(group, var_rows.get(key)),
                "runs": [
                    {
                        "run_dir": r["run_dir"],
                        "repeat": int(r["repeat"]),
                        "status": r["status"],
                        "hwm_mb": number(r["hwm_mb"]),
                        "duration_s": number(r["duration_s"]),
                        "spikes": tops.get(tuple(r[k] for k in tables.KEY), []),
                    }
                    for r in group
                ],
            }
        )
    focus = highlights.focus(runs, variance)
    initial = index[tuple(focus[0])] if focus else 0
    return {
        "configs": configs,
        "initial": initial,
        "grid": grid(variance, index, several),
        "peak_scale": {"stops": plots.PEAK_SCALE, "max": plots.PEAK_MAX_PERCENT},
        "start_phase": sampler_phases.START,  # not a named band
    }


def grid(variance: pd.DataFrame, index: dict, several: bool) -> dict:
    """Rows (variant · model), columns (limits), peak as % of the limit, config index per cell."""
    head = variance["variant"] + " · " if several else ""
    var = variance.assign(
        row=head + variance["bucket_model"],
        pct=100 * variance["mean_peak_mb"] / variance["limit_mb"],
    )
    rows = list(dict.fromkeys(var["row"]))
    limits = sorted(var["limit_mb"].unique())
    z = [[None] * len(limits) for _ in rows]
    cell = [[None] * len(limits) for _ in rows]
    for _, r in var.iterrows():
        i, j = rows.index(r["row"]), limits.index(r["limit_mb"])
        z[i][j] = number(r["pct"], 1)
        cell[i][j] = index.get(tuple(r[k] for k in tables.CONFIG_KEY))
    return {"x": [str(v) for v in limits], "y": rows, "z": z, "index": cell}


def script_json(value) -> str:
    """JSON that cannot end the <script> element it sits in."""
    return json.dumps(value, separators=(",", ":")).replace("<", "\\u003c")


def section(data: dict, digest_path) -> str:
    packed = base64.b64encode(Path(digest_path).read_bytes()).decode("ascii")
    return (
        '<div id="explorer" data-state="loading">'
        '<p class="note">Every configuration, whatever the size of the campaign: click a cell of '
        "the overview, or choose one below; drag to zoom (double-click to zoom out), down to "
        "single samples. Lines are the repeats, ▲ the tops of spikes, ◀ each run's VmHWM, the "
        "dashed line the limit, shaded bands the program's phases (when it has them).</p>"
        '<noscript><p class="note">The explorer needs JavaScript; the figures above show the '
        "same traces.</p></noscript>"
        '<div id="explore-overview"></div>'
        '<p><label>Configuration <select aria-label="configuration"></select></label> '
        '<span class="explore-status note"></span></p>'
        '<div id="explore-traces"></div></div>'
        f'<script type="application/json" id="explore-meta">{script_json(meta(data))}</script>'
        f'<script type="application/octet-stream" id="explore-data">{packed}</script>'
        f"<script>{get_plotlyjs()}</script>"
        f"<script>{SCRIPT.read_text()}</script>"
    )

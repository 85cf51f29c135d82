"""Write results/report.html: one self-contained page about a memsweep campaign.

The page opens with the verdicts (threshold checks, runs that did not finish, over-budget runs,
unstable configurations, runs whose samples missed the kernel's peak), then the figures (embedded
as base64 PNGs), the tables, the config used and the environment. No network is needed to read
it; every value that comes from data is HTML-escaped. Called by the `report_html` rule; by hand:

    import report
    page = report.build_report(runs, variance, spikes, thresholds,
                               {"traces": "results/plots/traces.png"}, config, "0.1.0")
    # -> "<!DOCTYPE html>..." opening with a banner such as "1 check failed"

A small inline script sets `<body data-images-loaded="5/5">` once the page has loaded (images
complete and decoded), so a headless browser can tell that every figure rendered.
"""

import base64
import datetime
import html
import json
import logging
import struct
from pathlib import Path

import pandas as pd
from memsweep_tables import as_bool, read_table, setup_logging

log = logging.getLogger("report")

FIGURES = {
    "traces": (
        "Memory traces",
        "RSS over time per configuration, repeats overlaid; ▲ detected spikes, ◀ the kernel's "
        "peak (VmHWM), dashed red the memory limit (a note instead when it is far above).",
    ),
    "peak_vs_limit": (
        "Peak RSS vs memory limit",
        "Each run's kernel peak (VmHWM; the sampled peak where unknown): mean of the ok runs per "
        "model with min–max bars and one point per repeat. The dashed line is the budget (peak "
        "= limit); runs above it are ringed in red. Right: the same peaks as a percentage of "
        "their limit.",
    ),
    "stability": (
        "Stability across repeats",
        "Coefficient of variation of the kernel peak per configuration (framed in red above the "
        "warning level), and each ok repeat's peak relative to its configuration's median, MAD "
        "outliers in red.",
    ),
    "spikes": (
        "Memory spikes",
        "Bursts found by the window detector: size and rate over time, and spikes per run for "
        "each configuration.",
    ),
    "thresholds": (
        "Threshold checks",
        "Peak RSS and the configuration the program reported at limit−1, limit and limit+1 MB; "
        "PASS when it is the expected one.",
    ),
}
KIND = {"ok": "ok", "PASS": "ok", "FAIL": "fail", "failed": "fail", "killed": "fail"}
KIND |= {"timeout": "warn", "oom": "oom", "yes": "ok", "no": "fail"}
LEVEL_BADGE = {"ok": "OK", "warn": "CHECK", "fail": "FAIL"}

# Table columns: (column, header, format); format is the number of decimals for numbers, or
# "text", "key" (short text that never wraps), "badge", "bool".
RUN_COLUMNS = [
    ("limit_mb", "limit MB", 0),
    ("bucket_model", "model", "key"),
    ("repeat", "rep", 0),
    ("role", "role", "key"),
    ("status", "status", "badge"),
    ("exit", "exit", "key"),
    ("peak_mb", "peak MB", 1),
    ("peak_rss_mb", "sampled MB", 1),
    ("hwm_mb", "VmHWM MB", 1),
    ("cgroup_peak_mb", "cgroup peak MB", 1),
    ("peak_capture", "capture", 3),
    ("over_budget", "over budget", "bool"),
    ("n_spikes", "spikes", 0),
    ("duration_s", "time s", 2),
    ("samples", "samples", 0),
    ("effective_interval_ms", "interval ms", 2),
    ("missed_ticks", "missed", 0),
    ("reported_config", "reported", "text"),
]
COMPLIANCE_COLUMNS = [
    ("limit_mb", "limit MB", 0),
    ("bucket_model", "model", "key"),
    ("runs", "runs", 0),
    ("ok", "ok", 0),
    ("oom", "oom", 0),
    ("over", "over budget", 0),
    ("max_peak", "largest peak MB", 1),
    ("headroom", "headroom MB", 1),
    ("fits", "fits", "badge"),
]
VARIANCE_COLUMNS = [
    ("limit_mb", "limit MB", 0),
    ("bucket_model", "model", "key"),
    ("n", "n", 0),
    ("n_failed", "not ok", 0),
    ("mean_peak_mb", "mean MB", 1),
    ("std_mb", "std MB", 2),
    ("cv_percent", "CV %", 2),
    ("min_mb", "min MB", 1),
    ("max_mb", "max MB", 1),
    ("median_mb", "median MB", 1),
    ("n_outliers", "outliers", 0),
    ("outlier_repeats", "outlier repeats", "key"),
]
SPIKE_COLUMNS = [
    ("limit_mb", "limit MB", 0),
    ("bucket_model", "model", "key"),
    ("repeat", "rep", 0),
    ("detector", "detector", "key"),
    ("time_s", "start s", 3),
    ("increase_mb", "increase MB", 1),
    ("rss_mb", "RSS at top MB", 1),
    ("duration_ms", "duration ms", 1),
    ("rate_mb_s", "rate MB/s", 0),
]
THRESHOLD_COLUMNS = [
    ("threshold_mb", "threshold MB", 0),
    ("position", "position", "key"),
    ("limit_mb", "limit MB", 0),
    ("bucket_model", "model", "key"),
    ("repeat", "rep", 0),
    ("status", "status", "badge"),
    ("reported_config", "reported", "text"),
    ("expected", "expected", "text"),
    ("verdict", "verdict", "badge"),
    ("peak_mb", "peak MB", 1),
    ("run_dir", "run folder", "text"),
]

STYLE = """
:root{--ok:#1a7f37;--ok-bg:#dafbe1;--fail:#cf222e;--fail-bg:#ffebe9;--warn:#9a6700;
--warn-bg:#fff8c5;--warn-line:#d4a72c;--oom:#8250df;--oom-bg:#fbefff;--fg:#1f2328;
--muted:#59636e;--line:#d1d9e0;--head:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;color:var(--fg);background:#fff;line-height:1.5;font-size:15px;
font-family:-apple-system,BlinkMacSystemFont,"Segoe UI","Noto Sans",Helvetica,Arial,
"Liberation Sans","DejaVu Sans",sans-serif}
.wrap{max-width:1240px;margin:0 auto;padding:0 28px}
header.top{background:#24292f;color:#fff;padding:22px 0 18px}
header.top h1{margin:0;font-size:26px;font-weight:600;letter-spacing:-.01em}
header.top p{margin:4px 0 0;color:#c9d1d9;font-size:14px}
nav{position:sticky;top:0;z-index:2;background:rgba(255,255,255,.96);
border-bottom:1px solid var(--line)}
nav .wrap{display:flex;gap:24px;padding-top:10px;padding-bottom:10px;font-size:14px}
nav a{color:var(--muted);text-decoration:none;font-weight:500}nav a:hover{color:var(--fg)}
main section{padding:26px 0 6px;scroll-margin-top:44px}
h2{font-size:21px;font-weight:600;margin:0 0 14px;padding-bottom:6px;
border-bottom:1px solid var(--line)}
h3{font-size:16px;font-weight:600;margin:24px 0 8px}
.banner{display:flex;align-items:center;gap:18px;border-radius:10px;padding:16px 22px;
margin:2px 0 16px;border:1px solid}
.banner .icon{font-size:30px;line-height:1;font-weight:700;width:30px;text-align:center}
.banner .what{font-size:20px;font-weight:600}.banner .sub{color:var(--fg);font-size:14px}
.banner.ok{background:var(--ok-bg);border-color:var(--ok);color:var(--ok)}
.banner.warn{background:var(--warn-bg);border-color:var(--warn-line);color:var(--warn)}
.banner.fail{background:var(--fail-bg);border-color:var(--fail);color:var(--fail)}
.checks{display:flex;flex-direction:column;gap:10px}
.check{border:1px solid var(--line);border-left:5px solid;border-radius:8px;padding:9px 16px}
.check.ok{border-left-color:var(--ok)}.check.warn{border-left-color:var(--warn-line)}
.check.fail{border-left-color:var(--fail)}
.check h3{margin:0;font-size:15px;display:flex;align-items:center;gap:10px}
.check h3 .sum{font-weight:400;color:var(--muted);font-size:14px}
.check ul{margin:6px 0 2px;padding-left:20px;font-size:14px}
.check.many ul{columns:2 480px;column-gap:36px}.check.fail ul{columns:auto}
.check li{margin:0 0 5px;break-inside:avoid}
.badge{display:inline-block;padding:0 8px;border-radius:999px;font-size:12px;font-weight:600;
line-height:20px;white-space:nowrap;border:1px solid transparent}
.badge.ok{background:var(--ok-bg);color:var(--ok);border-color:#aceebb}
.badge.fail{background:var(--fail-bg);color:var(--fail);border-color:#ffcecb}
.badge.warn{background:var(--warn-bg);color:var(--warn);border-color:#eed888}
.badge.oom{background:var(--oom-bg);color:var(--oom);border-color:#ecd8ff}
figure{margin:0 0 30px}
figure img{display:block;max-width:100%;height:auto;border:1px solid var(--line);
border-radius:6px}
figcaption{color:var(--muted);font-size:14px;margin-top:6px;max-width:900px}
.missing{padding:30px;border:1px dashed var(--line);color:var(--muted);border-radius:6px}
.scroll{display:inline-block;max-width:100%;overflow-x:auto;vertical-align:top;
border:1px solid var(--line);border-radius:6px;margin-bottom:6px}
table{border-collapse:collapse;font-size:13px}
th,td{padding:4px 10px;border-bottom:1px solid #eaeef2;text-align:left;white-space:nowrap}
th{background:var(--head);font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums}
td.text{white-space:normal;min-width:90px;max-width:260px;overflow-wrap:anywhere}
tbody tr:nth-child(even){background:#fbfcfd}tbody tr:hover{background:#f3f6f9}
tbody tr:last-child td{border-bottom:0}
tr.bad td{background:var(--fail-bg)}tr.hot td{background:var(--warn-bg)}
td.yes{color:var(--fail);font-weight:600}
.na{color:#9aa4ae}
.note{color:var(--muted);font-size:14px;margin:2px 0 8px}
code,pre{font-family:ui-monospace,SFMono-Regular,"DejaVu Sans Mono",Menlo,Consolas,monospace}
pre{background:var(--head);border:1px solid var(--line);border-radius:6px;padding:10px 14px;
overflow-x:auto;font-size:12.5px;line-height:1.45;margin:6px 0}
details{margin:4px 0 2px}summary{cursor:pointer;color:var(--muted);font-size:13px}
dl.env{display:grid;grid-template-columns:max-content 1fr;gap:4px 20px;font-size:14px;margin:0}
dl.env dt{color:var(--muted)}dl.env dd{margin:0}
footer{color:var(--muted);font-size:13px;padding:24px 28px 40px}
"""
SCRIPT = """window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.dataset.imagesLoaded = ok + "/" + imgs.length;
});"""
NA = '<span class="na">–</span>'


# ---------------------------------------------------------------- values


def column(df: pd.DataFrame, name: str, numeric=True) -> pd.Series:
    """A column, numeric if asked, or all-NA when the table lacks it."""
    if name not in df:
        return pd.Series(float("nan") if numeric else None, index=df.index, dtype=object)
    return pd.to_numeric(df[name], errors="coerce") if numeric else df[name]


def esc(value) -> str:
    """HTML-escaped text of a value; NA becomes a muted dash."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return NA
    return html.escape(str(value))


def fmt(value, digits: int = 1) -> str:
    value = pd.to_numeric(value, errors="coerce")
    return NA if pd.isna(value) else f"{value:.{digits}f}"


def short(value) -> str:
    """A number as short text (323, 2.5), "?" when missing."""
    value = pd.to_numeric(value, errors="coerce")
    return "?" if pd.isna(value) else f"{value:g}"


def badge(text, kind: str | None = None) -> str:
    return f'<span class="badge {kind or KIND.get(str(text), "warn")}">{esc(text)}</span>'


def config_label(row) -> str:
    return esc(f"{short(row.get('limit_mb'))} MB · {row.get('bucket_model')}")


def run_label(row) -> str:
    return config_label(row) + esc(f" · rep {short(row.get('repeat'))}")


def exit_text(row) -> str | None:
    if pd.notna(row.get("signal")):
        return f"signal {short(row['signal'])}"
    return None if pd.isna(row.get("exit_code")) else short(row["exit_code"])


def tail(path: Path, lines: int = 20) -> str | None:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return None
    return "\n".join(text.splitlines()[-lines:])


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's header, None when the bytes are not a PNG."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", data[16:24])


# ---------------------------------------------------------------- verdicts


def check(level, title, summary, items=()) -> dict:
    return {"level": level, "title": title, "summary": summary, "items": list(items)}


def threshold_check(thresholds: pd.DataFrame) -> dict:
    if thresholds.empty:
        return check("ok", "Threshold checks", "none configured")
    items, failed = [], 0
    for (mb, model), g in thresholds.groupby(["threshold_mb", "bucket_model"], sort=False):
        passed = bool((g["verdict"] == "PASS").all())
        failed += not passed
        steps = []
        for _, r in g.iterrows():
            step = f"{short(r['limit_mb'])} MB → {esc(r['reported_config'])}"
            if r["verdict"] != "PASS":
                step += f" <span class='na'>(expected {esc(r['expected'])})</span>"
            steps.append(step)
        head = badge("PASS" if passed else "FAIL")
        items.append(f"{head} {short(mb)} MB · {esc(model)}: " + ", ".join(steps))
    summary = f"{len(items) - failed} of {len(items)} passed"
    return check("fail" if failed else "ok", "Threshold checks", summary, items)


def failed_runs_check(runs: pd.DataFrame, root) -> dict:
    bad = runs[column(runs, "status", numeric=False).astype(str) != "ok"]
    if bad.empty:
        return check("ok", "Runs that did not finish", f"all {len(runs)} runs ok")
    items = []
    for _, row in bad.iterrows():
        item = f"{badge(row['status'])} {run_label(row)}"
        code = exit_text(row)
        if code:
            code = code if code.startswith("signal") else f"exit {code}"
            item += f" <span class='na'>({esc(code)})</span>"
        log_tail = tail(Path(root) / str(row.get("run_dir")) / "solver.log")
        if log_tail is not None:
            item += (
                f"<details><summary>last lines of {esc(row.get('run_dir'))}/solver.log</summary>"
                f"<pre>{esc(log_tail)}</pre></details>"
            )
        items.append(item)
    counts = ", ".join(f"{n} {status}" for status, n in bad["status"].value_counts().items())
    return check("fail", "Runs that did not finish", f"{counts} of {len(runs)} runs", items)


def over_budget_check(runs: pd.DataFrame) -> dict:
    title = "Over budget (peak > limit)"
    over = runs[as_bool(column(runs, "over_budget", numeric=False))]
    if over.empty:
        return check("ok", title, "every run within its limit")
    items = []
    for (_, _), g in over.groupby(["limit_mb", "bucket_model"], sort=True):
        total = runs[(runs["limit_mb"] == g["limit_mb"].iloc[0])]
        total = total[total["bucket_model"] == g["bucket_model"].iloc[0]]
        peak = column(g, "peak_mb").max()
        excess = peak - column(g, "limit_mb").max()
        items.append(
            f"{config_label(g.iloc[0])}: {len(g)} of {len(total)} run(s), "
            f"peak up to {fmt(peak)} MB (+{fmt(excess)} MB)"
        )
    return check("warn", title, f"{len(over)} run(s) in {len(items)} configuration(s)", items)


def stability_check(variance: pd.DataFrame, cv_warn_percent: float) -> dict:
    title = f"Unstable configurations (CV > {cv_warn_percent:g}%)"
    cv = column(variance, "cv_percent")
    high = variance[cv > cv_warn_percent]
    if high.empty:
        return check("ok", title, f"all {len(variance)} configurations within it")
    items = []
    for i, row in high.iterrows():
        item = f"{config_label(row)}: CV {fmt(cv[i], 2)}% over {short(row.get('n'))} runs"
        if pd.notna(row.get("outlier_repeats")):
            item += f", outlier repeat(s) {esc(row['outlier_repeats'])}"
        items.append(item)
    return check("warn", title, f"{len(high)} of {len(variance)} configurations", items)


def capture_check(runs: pd.DataFrame, capture_warn: float) -> dict:
    title = f"Low peak capture (< {capture_warn:g})"
    capture = column(runs, "peak_capture")
    low = runs[capture < capture_warn]
    if low.empty:
        return check("ok", title, "the samples caught the kernel's peak in every run")
    items = [
        f"{run_label(row)}: sampled peak is {fmt(capture[i], 3)} of the kernel's"
        for i, row in low.iterrows()
    ]
    return check("warn", title, f"{len(low)} run(s) missed part of their peak", items)


def verdicts(runs, variance, thresholds, cv_warn_percent=5.0, capture_warn=0.9, root=".") -> list:
    """The checks, each a dict: level ("ok" | "warn" | "fail"), title, summary, items (HTML)."""
    return [
        threshold_check(thresholds),
        failed_runs_check(runs, root),
        over_budget_check(runs),
        stability_check(variance, cv_warn_percent),
        capture_check(runs, capture_warn),
    ]


# ---------------------------------------------------------------- page parts


def cell(value, kind) -> str:
    if isinstance(kind, int):
        return f'<td class="num">{fmt(value, kind)}</td>'
    if kind == "badge":
        return f"<td>{NA if pd.isna(value) else badge(value)}</td>"
    if kind == "bool":
        yes = str(value).strip().lower() == "true"
        text = "yes" if yes else (NA if pd.isna(value) else "no")
        return f'<td class="{"yes" if yes else ""}">{text}</td>'
    return f'<td class="{"text" if kind == "text" else ""}">{esc(value)}</td>'


def table(df: pd.DataFrame, columns: list, row_class=None, empty="No rows.") -> str:
    """An HTML table of the given columns; numbers right-aligned."""
    if df.empty:
        return f'<p class="note">{esc(empty)}</p>'
    head = "".join(
        f'<th class="{"num" if isinstance(kind, int) else ""}">{esc(label)}</th>'
        for _, label, kind in columns
    )
    rows = []
    for _, row in df.iterrows():
        cells = "".join(cell(row.get(name), kind) for name, _, kind in columns)
        rows.append(f'<tr class="{row_class(row) if row_class else ""}">{cells}</tr>')
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def figure(name: str, path) -> str:
    title, caption = FIGURES.get(name, (name, ""))
    data = Path(path).read_bytes() if path and Path(path).is_file() else b""
    size = png_size(data)
    if size is None:
        body = f'<div class="missing">The figure {esc(name)} is missing or not a PNG.</div>'
    else:
        src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        body = f'<img src="{src}" alt="{esc(title)}" width="{size[0]}" height="{size[1]}">'
    return (
        f'<figure id="fig-{esc(name)}"><h3>{esc(title)}</h3>{body}'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def runs_view(runs: pd.DataFrame) -> pd.DataFrame:
    """Runs in reading order (grid, then threshold-only) with a role and an exit column."""
    if runs.empty:
        return runs
    grid = as_bool(column(runs, "in_grid", numeric=False))
    check_ = as_bool(column(runs, "threshold_check", numeric=False))
    role = [
        " + ".join(name for name, on in (("grid", g), ("threshold", t)) if on) or "other"
        for g, t in zip(grid, check_, strict=True)
    ]
    view = runs.assign(
        role=role,
        exit=[exit_text(row) for _, row in runs.iterrows()],
        _grid=~grid,
        _limit=column(runs, "limit_mb"),
        _rep=column(runs, "repeat"),
    )
    view = view.sort_values(["_grid", "bucket_model", "_limit", "_rep"], kind="stable")
    return view


def compliance(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (limit, model): runs, ok, oom, over budget, largest peak, headroom, fits."""
    if runs.empty:
        return runs
    df = runs_view(runs).assign(
        _peak=column(runs, "peak_mb"),  # the run's peak as every table takes it
        _over=as_bool(column(runs, "over_budget", numeric=False)),
    )
    rows = []
    for (limit, model), g in df.groupby(["_limit", "bucket_model"], sort=False):
        oom = int((g["status"] == "oom").sum())
        fits = "no" if g["_over"].any() or oom else ("yes" if g["_peak"].notna().any() else None)
        rows.append(
            {
                "limit_mb": limit,
                "bucket_model": model,
                "runs": len(g),
                "ok": int((g["status"] == "ok").sum()),
                "oom": oom,
                "over": int(g["_over"].sum()),
                "max_peak": g["_peak"].max(),
                "headroom": limit - g["_peak"].max(),
                "fits": fits,
            }
        )
    return pd.DataFrame(rows)


def environment(runs: pd.DataFrame, memsweep_version) -> str:
    def distinct(col):
        values = column(runs, col, numeric=False).dropna().astype(str).unique()
        return esc(", ".join(values)) if len(values) else NA

    written = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    pairs = [
        ("memsweep version", esc(memsweep_version)),
        ("host", distinct("hostname")),
        ("kernel", distinct("kernel")),
        ("sampler version", distinct("sampler_version")),
        ("report written", esc(written)),
    ]
    return '<dl class="env">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>"


def dump_config(config) -> str:
    try:
        import yaml

        return yaml.safe_dump(
            config, sort_keys=False, allow_unicode=True, default_flow_style=None, width=96
        )
    except Exception:  # no PyYAML, or a value it cannot represent
        return json.dumps(config, indent=2, default=str)


def banner(checks: list, runs: pd.DataFrame, thresholds: pd.DataFrame) -> str:
    failed = [c["title"] for c in checks if c["level"] == "fail"]
    warned = [c["title"] for c in checks if c["level"] == "warn"]
    level = "fail" if failed else ("warn" if warned else "ok")
    if failed:
        headline = f"{len(failed)} check{'s' * (len(failed) > 1)} failed"
    elif warned:
        headline = f"{len(warned)} check{'s' * (len(warned) > 1)} to look at"
    else:
        headline = "All checks passed"
    parts = [f"Failed: {', '.join(failed)}"] if failed else []
    parts += [f"To look at: {', '.join(warned)}"] if warned else []
    n_ok = int((column(runs, "status", numeric=False) == "ok").sum())
    parts += [f"{n_ok} of {len(runs)} runs ok · {len(thresholds)} threshold run(s)"]
    icon = {"ok": "✔", "warn": "!", "fail": "✖"}[level]
    return (
        f'<div class="banner {level}" id="verdict" data-level="{level}"><div class="icon">{icon}'
        f'</div><div><div class="what">{esc(headline)}</div>'
        + "".join(f'<div class="sub">{esc(part)}</div>' for part in parts)
        + "</div></div>"
    )


def cards(checks: list) -> str:
    out = []
    for c in checks:
        items = "".join(f"<li>{item}</li>" for item in c["items"])
        many = " many" if len(c["items"]) > 4 else ""
        level = badge(LEVEL_BADGE[c["level"]], c["level"])
        out.append(
            f'<div class="check {c["level"]}{many}"><h3>{level}'
            f'<span>{esc(c["title"])}</span><span class="sum">{esc(c["summary"])}</span></h3>'
            f"{f'<ul>{items}</ul>' if items else ''}</div>"
        )
    return f'<div class="checks">{"".join(out)}</div>'


def campaign_shape(runs: pd.DataFrame) -> str:
    grid = runs[as_bool(column(runs, "in_grid", numeric=False))] if not runs.empty else runs
    if grid.empty:
        return "no grid runs"
    n = grid[["limit_mb", "bucket_model", "repeat"]].nunique()
    return f"{n['limit_mb']} limits × {n['bucket_model']} models × {n['repeat']} repeats"


def tables(runs, variance, spikes, thresholds, cv_warn_percent) -> str:
    shown = [c for c in RUN_COLUMNS if c[0] != "cgroup_peak_mb" or column(runs, c[0]).notna().any()]
    cv = column(variance, "cv_percent")
    largest = spikes.assign(_size=column(spikes, "increase_mb"))
    largest = largest.sort_values("_size", ascending=False, kind="stable").head(15)
    parts = [
        "<h3>Runs</h3>",
        table(runs_view(runs), shown, lambda r: "" if r.get("status") == "ok" else "bad"),
        "<h3>Limit compliance</h3>",
        '<p class="note">Per configuration: does every run stay within its memory limit? '
        "A run's peak is peak_mb: the larger of the kernel's (VmHWM) and the sampled one.</p>",
        table(compliance(runs), COMPLIANCE_COLUMNS, lambda r: "" if r["fits"] != "no" else "hot"),
        f"<h3>Variance of the peak</h3><p class='note'>Over the ok grid runs; CV above "
        f"{cv_warn_percent:g}% is highlighted.</p>",
        table(
            variance.assign(_cv=cv),
            VARIANCE_COLUMNS,
            lambda r: "hot" * (r["_cv"] > cv_warn_percent),
        ),
        "<h3>Largest spikes</h3>",
        f'<p class="note">The {len(largest)} largest of {len(spikes)} bursts by increase; all '
        "of them are in results/summary/spikes.csv.</p>"
        if len(spikes)
        else "",
        table(largest, SPIKE_COLUMNS, empty="No spikes detected."),
        "<h3>Threshold checks</h3>",
        table(
            thresholds,
            THRESHOLD_COLUMNS,
            lambda r: "" if r.get("verdict") == "PASS" else "bad",
            empty="No thresholds configured.",
        ),
    ]
    return "".join(parts)


def build_report(
    runs,
    variance,
    spikes,
    thresholds,
    figures: dict,
    config: dict,
    memsweep_version: str,
    cv_warn_percent=5.0,
    capture_warn=0.9,
    root=".",
) -> str:
    """The whole HTML page; `root` is the folder the runs' run_dir paths are relative to."""
    cv_warn_percent = 5.0 if cv_warn_percent is None else float(cv_warn_percent)
    capture_warn = 0.9 if capture_warn is None else float(capture_warn)
    checks = verdicts(runs, variance, thresholds, cv_warn_percent, capture_warn, root)
    top = banner(checks, runs, thresholds)
    sections = [
        ("verdicts", "Verdicts", top + cards(checks)),
        ("figures", "Figures", "".join(figure(name, figures.get(name)) for name in FIGURES)),
        ("tables", "Tables", tables(runs, variance, spikes, thresholds, cv_warn_percent)),
        ("config", "Config", f"<pre>{esc(dump_config(config))}</pre>"),
        ("environment", "Environment", environment(runs, memsweep_version)),
    ]
    nav = "".join(f'<a href="#{key}">{title}</a>' for key, title, _ in sections)
    body = "".join(f'<section id="{k}"><h2>{t}</h2>{part}</section>' for k, t, part in sections)
    subtitle = f"{len(runs)} runs · {campaign_shape(runs)} · {len(thresholds)} threshold run(s)"
    verdict = "FAIL" if 'data-level="fail"' in top else "PASS"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>memsweep report · {verdict}</title>
<style>{STYLE}</style></head>
<body data-images-loaded="pending">
<header class="top"><div class="wrap"><h1>memsweep report</h1><p>{esc(subtitle)}</p></div>
</header>
<nav><div class="wrap">{nav}</div></nav>
<main class="wrap">{body}</main>
<footer class="wrap">memsweep {esc(memsweep_version)} · memory in MB = kB / 1024 · the full
tables are in results/summary/</footer>
<script>{SCRIPT}</script>
</body></html>
"""


def main(
    inputs,
    html_path,
    config,
    memsweep_version,
    cv_warn_percent=5.0,
    capture_warn=0.9,
    log_path=None,
) -> None:
    setup_logging(log_path)
    plots = inputs["plots"]
    figures = dict(plots) if isinstance(plots, dict) else {Path(p).stem: p for p in plots}
    tables_ = {
        name: read_table(inputs[name]) for name in ("runs", "variance", "spikes", "thresholds")
    }
    page = build_report(
        *tables_.values(), figures, config, memsweep_version, cv_warn_percent, capture_warn
    )
    Path(html_path).write_text(page, encoding="utf-8")
    log.info("wrote %s: %d kB, %d runs", html_path, len(page) // 1024, len(tables_["runs"]))


if "snakemake" in globals():
    sm = snakemake  # noqa: F821 (injected by Snakemake's script: directive)
    main(
        {
            "runs": sm.input.runs,
            "variance": sm.input.variance,
            "spikes": sm.input.spikes,
            "thresholds": sm.input.thresholds,
            "plots": list(sm.input.plots),
        },
        sm.output.html,
        config=dict(sm.params.config),
        memsweep_version=sm.params.memsweep_version,
        cv_warn_percent=sm.params.cv_warn_percent,
        capture_warn=sm.params.capture_warn,
        log_path=sm.log[0],
    )

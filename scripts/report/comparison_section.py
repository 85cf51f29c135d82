"""The report's comparison section (with compare.baseline set): the comparison's verdicts worst
first, which phase each change landed in (with phases), where each side ran, and the comparison's
figures. Its imports (scipy) are paid only by a campaign with a comparison."""

import plots
import tables
from report.figure_block import figure_html
from report.markup import BADGE, badge, esc, levels_for, table_html


def compare_html(data: dict, figure_paths: dict, config: dict) -> str:
    """The comparison: its verdicts first (worst first), where both sides ran, its figures."""
    import comparison.stats  # scipy: about a second, paid only by a campaign with a comparison
    from comparison import documents

    found, env, key = data["verdicts"], data["compare_env"], tables.CONFIG_KEY
    rank = {verdict: i for i, verdict in enumerate(documents.ORDER)}
    compare = data["compare"].sort_values("verdict", key=lambda v: v.map(rank), kind="stable")
    tests = int(compare["p_value"].notna().sum())
    rule = comparison.stats.describe(config["compare"], tests)
    counts = documents.phrase(documents.counts(compare))
    parts = [
        f'<p class="note">{esc(counts or "Nothing compared")}. {esc(rule)}</p>',
        table_html(compare, tables.COMPARE, levels_for(compare, found, "compare", key)),
        *compare_phases_html(data),
        "<h3>Where each side ran</h3>",
        table_html(env, tables.COMPARE_ENV, env["level"]),
    ]
    for r in documents.not_compared(env).itertuples():
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

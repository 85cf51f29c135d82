"""Every check of a campaign, one entry each, in the order the report shows them: its kind (the
`kind` column of verdicts.csv), its card's title, what one of its rows judges, the rule in words,
the tables it reads and the settings it takes, the function that decides its rows, and the
config key that turns it on (a check with one, or whose subjects a campaign may lack, may have
no row). verdicts.csv, the report's cards, the verdicts caption (`described`) and the settings
(`settings_of`) follow this registry.

    >>> list(CHECKS)[:4]
    ['compare', 'compare_env', 'threshold', 'run_status']
    >>> described({"variance": {"cv_warn_percent": 5}}, ["stability"])
    ['``stability`` (configurations): warn when the CV of peak_mb is above 5%']

A check's `decide` names its function ("module.function" of verdicts/), which takes the frames of
`reads`, in that order, then (when it has settings) a dict of its settings by their last name:
`stability_rows(variance, {"cv_warn_percent": 5})`. The workflow reads the registry when it
starts; the functions, and pandas, are imported only by the job that decides the verdicts.
"""

import re
from dataclasses import dataclass

SETTING = re.compile(r"\{(\w+)\.(\w+)\}")  # {section.key} in a check's rule: the setting's value


@dataclass(frozen=True)
class Check:
    kind: str
    title: str  # its card in the report
    subjects: str  # what one row judges, plural
    rule: str  # the rule in words; {section.key} stands for a setting (the caption shows its value)
    decide: str  # "module.function" of verdicts/ (decide.py imports them, the workflow does not)
    reads: tuple[str, ...] = ("runs",)  # tables (tables.BY_NAME), given to decide in this order
    settings: tuple[str, ...] = ()  # "section.key" of the config
    when: str | None = None  # the config key ("section" or "section.key") that turns it on
    rare: bool = False  # even when on, a campaign may have none of its subjects

    @property
    def optional(self) -> bool:
        """A campaign may have no row of it."""
        return self.when is not None or self.rare


CHECKS = {c.kind: c for c in (
    Check("compare", "Compared with the baseline", "configurations",
          "of compare.csv: fail on a regression; warn when the reported configuration changed or "
          "an apparent regression could be noise", "comparison.compare_rows", ("compare",),
          when="compare.baseline"),
    Check("compare_env", "Comparison environment", "aspects",
          "of compare_env.csv (host, kernel, ...): warn when the sides differ, or when the "
          "baseline did not record it (not compared)",
          "comparison.compare_env_rows", ("compare_env",), when="compare.baseline"),
    Check("threshold", "Threshold checks", "threshold runs",
          "each run at a threshold - 1, the threshold and + 1: fail unless the program reported "
          "the expected configuration", "thresholds.threshold_rows", ("thresholds",)),
    Check("run_status", "Runs that did not finish", "runs",
          "fail unless its status is ok (failed, killed, oom, timeout)", "runs.status_rows"),
    Check("budget", "Over budget (peak > limit)", "configurations",
          "warn when a run's peak_mb exceeded its limit or a run was OOM-killed",
          "configurations.budget_rows"),
    Check("stability", "Unstable configurations", "configurations",
          "warn when the CV of peak_mb is above {variance.cv_warn_percent}%",
          "configurations.stability_rows", ("variance",), ("variance.cv_warn_percent",)),
    Check("capture", "Low peak capture", "runs",
          "warn when peak_capture (the sampled peak / the kernel's) is below "
          "{report.capture_warn}: the samples missed part of the true peak",
          "runs.capture_rows", settings=("report.capture_warn",)),
    Check("sources", "Peak sources that disagree", "runs",
          "with two or more peak figures that should agree (VmHWM, PSS, the cgroup's peak; for a "
          "tree without a PSS reading the summed RSS too): warn when the largest exceeds the "
          "smallest by more than {report.sources_warn_percent}% of the largest and more than "
          "{report.sources_warn_mb} MB", "runs.source_rows",
          settings=("report.sources_warn_percent", "report.sources_warn_mb"), rare=True),
    Check("unseen", "Peak not seen", "runs",
          "whose peak no source saw (fewer samples than peaks.MIN_SAMPLES and no cgroup): warn, "
          "with the bounds it has (the largest figure seen, and ru_maxrss)", "runs.unseen_rows",
          rare=True),
    Check("leftovers", "Processes left behind", "runs",
          "warn when processes it started outlived it (they were killed)", "runs.leftover_rows"),
    Check("output", "Program output cut from solver.log", "runs",
          "warn when the program wrote more than solver.log_max_mb to stdout and stderr (its "
          "solver.log keeps the first and last halves)", "runs.output_rows"),
    Check("sampling", "Missed samples", "runs",
          "warn when the sampler missed more than {report.missed_warn_percent}% of its ticks "
          "(the machine was too busy to sample on time: the trace has gaps)",
          "runs.sampling_rows", settings=("report.missed_warn_percent",)),
    Check("near_timeout", "Runs near their timeout", "runs",
          "warn when a run that did not time out ran longer than "
          "{report.timeout_warn_percent}% of its solver.timeout_s",
          "runs.near_timeout_rows", settings=("report.timeout_warn_percent",),
          when="report.timeout_warn_percent"),
    Check("search", "Searches", "search findings",
          "ok for a switch or a least limit found exactly; fail when a documented threshold's "
          "switch is found elsewhere, a probe reported nothing, a search ran out of max_probes, "
          "or min_memory fails even at high_mb; warn for repeats that disagree, a flaky "
          "boundary, no switch in the range, success already at low_mb, and a switch search "
          "that is not monotonic in the limit", "searches.search_rows", ("search",), when="search"),
    Check("phases", "Phases", "runs",
          "ok with the phase holding its peak; warn when no line matched, or when all its phase "
          "lines arrived at its very end (its output was buffered); one warn naming the pattern "
          "when it matched no line of any run", "phases.phase_rows", ("phase_runs", "runs"),
          ("solver.phase_pattern",), when="solver.phase_pattern"),
)}  # fmt: skip


def setting(config: dict, key: str):
    """The value of "section" or "section.key" in config."""
    section, _, name = key.partition(".")
    return config[section][name] if name else config[section]


def settings_of(config: dict) -> dict:
    """Every check's settings, by their last name (as decide gets them)."""
    return {key.rpartition(".")[2]: setting(config, key)
            for check in CHECKS.values() for key in check.settings}  # fmt: skip


def described(config: dict, kinds=None) -> list[str]:
    """A line per check the config turns on (of kinds, default all), its settings' values in
    its rule: the verdicts caption lists them (workflow/report/verdicts.rst)."""
    lines = []
    for check in CHECKS.values():
        if (kinds is not None and check.kind not in kinds) or (
            check.when and not setting(config, check.when)
        ):
            continue
        rule = SETTING.sub(lambda m: f"{setting(config, f'{m[1]}.{m[2]}'):g}", check.rule)
        lines.append(f"``{check.kind}`` ({check.subjects}): {rule}")
    return lines

"""The decision rule of a comparison: did a configuration's peak move beyond a practical threshold,
and is that unlikely to be run-to-run noise? Pure functions on numbers, no files.

For one configuration with baseline peaks b (n_b >= 2 ok runs) and candidate peaks c (n_c >= 2):

- d = mean(c) - mean(b), the change in MB (positive: the candidate needs more memory);
- Welch's t-test (unequal variances, Welch-Satterthwaite degrees of freedom): valid for small
  samples of roughly normal values, which repeated kernel peaks of one program are; a rank test
  is not an option at 3 repeats (3 vs 3 runs cannot reach p < 0.1, whatever the data);
- m configurations are tested at once, so Bonferroni: p_adjusted = min(1, m * p), and the
  interval for d is Welch's at the level 1 - alpha / m (all m intervals hold together with
  probability >= 1 - alpha); a configuration is significant exactly when its interval excludes 0;
- the practical threshold T = max(min_change_mb, min_change_percent % of mean(b));
- regression when d > T and p_adjusted < alpha; improvement when d < -T and p_adjusted < alpha;
  unchanged when the whole interval lies within (-T, T); inconclusive otherwise.

Zero spread: a deterministic program's kernel peak (VmHWM) can repeat to the kB, and a standard
deviation of 0 would make any difference infinitely significant. A side's standard deviation is
therefore never taken below one page (4 kB), the resolution of the kernel's counters: identical
repeats are believed to that resolution and no further, and the practical threshold (at least
min_change_mb) still decides whether the change matters.

    >>> r = welch([100.0, 100.2, 99.8], [103.0, 103.2, 102.8], m=12, alpha=0.05)
    >>> round(r.diff, 2), round(r.low, 2), round(r.high, 2), r.p_adjusted < 0.01
    (3.0, 2.04, 3.96, True)
    >>> verdict(r, threshold=1.0, alpha=0.05)
    'regression'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

PAGE_MB = 4 / 1024  # the resolution of VmRSS, VmHWM and ru_maxrss: one 4 kB page
VERDICTS = ("regression", "improvement", "unchanged", "inconclusive")


@dataclass(frozen=True)
class Test:
    """Welch's test of one configuration: the change d (MB) with its interval, and p."""

    diff: float
    low: float
    high: float
    p: float
    p_adjusted: float
    df: float
    floored: bool  # a side had no spread and was given one page


def spread(values: np.ndarray) -> tuple[float, bool]:
    """Sample standard deviation (ddof=1), raised to one page when smaller; and whether it was."""
    sd = float(np.std(values, ddof=1))
    return (PAGE_MB, True) if sd < PAGE_MB else (sd, False)


def welch(baseline, candidate, m: int = 1, alpha: float = 0.05) -> Test:
    """Welch's test of mean(candidate) - mean(baseline), Bonferroni-corrected for m tests."""
    b = np.asarray(baseline, dtype=float)
    c = np.asarray(candidate, dtype=float)
    if len(b) < 2 or len(c) < 2:
        raise ValueError("Welch's test needs at least 2 values on each side")
    (sb, fb), (sc, fc) = spread(b), spread(c)
    vb, vc = sb**2 / len(b), sc**2 / len(c)
    se = math.sqrt(vb + vc)
    df = (vb + vc) ** 2 / (vb**2 / (len(b) - 1) + vc**2 / (len(c) - 1))
    diff = float(c.mean() - b.mean())
    p = float(2 * stats.t.sf(abs(diff) / se, df))
    half = float(stats.t.ppf(1 - alpha / (2 * m), df)) * se
    return Test(diff, diff - half, diff + half, p, min(1.0, p * m), df, fb or fc)


def threshold(baseline_mean: float, min_change_mb: float, min_change_percent: float) -> float:
    """The practical threshold in MB: the larger of the two settings."""
    return max(float(min_change_mb), float(min_change_percent) / 100 * abs(baseline_mean))


def verdict(test: Test, threshold: float, alpha: float) -> str:
    """regression, improvement, unchanged or inconclusive (see the module docstring)."""
    significant = test.p_adjusted < alpha
    if significant and test.diff > threshold:
        return "regression"
    if significant and test.diff < -threshold:
        return "improvement"
    if -threshold < test.low and test.high < threshold:
        return "unchanged"
    return "inconclusive"


def detectable(n: int, m: int, alpha: float = 0.05) -> float:
    """The smallest change, in run-to-run standard deviations, that n repeats per side can call
    significant among m tests (equal spread on both sides): t(1 - alpha/2m, 2n-2) * sqrt(2/n).

    >>> round(detectable(3, 12), 1), round(detectable(5, 12), 1)
    (4.8, 2.5)
    """
    return float(stats.t.ppf(1 - alpha / (2 * m), 2 * n - 2)) * math.sqrt(2 / n)


def describe(settings: dict, tests: int) -> str:
    """The rule in one sentence, with the settings and the number of tests filled in."""
    alpha = float(settings["alpha"])
    return (
        f"A change counts when the mean peak moved by more than {settings['min_change_mb']:g} MB "
        f"and {settings['min_change_percent']:g}% of the baseline's, and Welch's t-test gives "
        f"p < {alpha:g} after a Bonferroni correction for the {tests} configuration(s) tested; "
        f"each interval is at {100 * (1 - alpha / max(tests, 1)):.2f}%, so that all of them hold "
        f"together with {100 * (1 - alpha):g}% confidence."
    )

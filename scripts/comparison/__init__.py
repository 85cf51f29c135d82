"""A comparison with a baseline: the baseline found and checked (baselines), the statistics of a
difference (stats) and the per-phase comparison (phases). The rules' entries are scripts/compare.py
and scripts/compare_summary.py; scripts/compare_gate.py reads their files for CI."""

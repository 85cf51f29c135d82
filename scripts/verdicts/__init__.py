"""Every verdict of a campaign, decided once: results/summary/verdicts.csv.

One row per check and subject, with its level (ok, warn, fail), a message, and the figures behind
it (value, bound, unit). The HTML report, `snakemake --report` and the workflow's last message
all read this table; nothing else decides a verdict.

- registry.py: every check, one entry each (kind, title, subjects, rule, tables, settings, the
  function deciding its rows), in the order the report shows them;
- decide.py: the table from the registry, and the campaign's overall level;
- rows.py: what every check writes (a number as text, a run's or configuration's subject, a row);
- the checks by what they judge: runs.py, configurations.py, thresholds.py, searches.py,
  comparison.py, phases.py.
"""

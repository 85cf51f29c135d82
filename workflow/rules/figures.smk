rule figures:
    """Every verdict of the campaign, decided once (the checks of scripts/verdicts/registry.py),
    then every figure of the registry in scripts/plots/, then the self-contained HTML report that
    shows them with the tables, config and environment: one interpreter imports seaborn, pandas and matplotlib
    and reads the tables once (a changed setting redraws all figures, a few seconds)."""
    input:
        unpack(get_figures_inputs),
    output:
        **figure_outputs(),
        verdicts=report(
            SUMMARY["verdicts"],
            caption="../report/verdicts.rst",
            category="Tables",
            labels={"table": "verdicts"},
        ),
        html=report(
            REPORT,
            caption="../report/report.rst",
            category="Report",
            labels={"page": "memsweep report"},
        ),
    log:
        "logs/figures/figures.log",
    conda:
        "../../envs/analysis.yaml"
    # the figures are drawn in up to this many processes forked after the imports (--cores 1:
    # one, the job's own); beyond 4 the longest figure alone sets the time
    threads: 4
    params:
        config=config,
        version=memsweep_version(),
        # the checks this config turns on, in words, for the verdicts caption
        checks=verdicts.registry.described(config),
    script:
        "../../scripts/figures.py"

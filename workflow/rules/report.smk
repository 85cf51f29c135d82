rule report_html:
    """The self-contained HTML report: verdicts, figures, tables, config, environment."""
    input:
        tables="scripts/memsweep_tables.py",
        runs=SUMMARY["runs"],
        variance=SUMMARY["variance"],
        spikes=SUMMARY["spikes"],
        thresholds=SUMMARY["thresholds"],
        plots=list(PLOTS.values()),
    output:
        html=report(
            "results/report.html",
            caption="../report/report.rst",
            category="Report",
            labels={"page": "memsweep report"},
        ),
    log:
        "logs/report/report.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        config=config,
        memsweep_version=memsweep_version(),
        cv_warn_percent=config["variance"]["cv_warn_percent"],
        capture_warn=config["report"]["capture_warn"],
    script:
        "../../scripts/report.py"

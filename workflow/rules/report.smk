rule report_html:
    """The self-contained HTML report: verdicts, figures, tables, config, environment."""
    input:
        unpack(get_report_inputs),
    output:
        html=report(
            REPORT,
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
        version=memsweep_version(),
    script:
        "../../scripts/report.py"

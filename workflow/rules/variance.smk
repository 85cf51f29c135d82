rule variance:
    """Peak statistics across repeats, per configuration."""
    input:
        code=code_of("variance.py"),
        runs=SUMMARY["runs"],
    output:
        csv=report(
            SUMMARY["variance"],
            caption="../report/variance.rst",
            category="Tables",
            labels={"table": "variance"},
        ),
    log:
        "logs/variance/variance.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        mad_threshold=config["variance"]["mad_threshold"],
        outlier_min_percent=config["variance"]["outlier_min_percent"],
    script:
        "../../scripts/variance.py"

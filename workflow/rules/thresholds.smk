rule thresholds:
    """PASS / FAIL per checked limit: did the program switch configuration where documented?"""
    input:
        code=code_of("thresholds.py"),
        runs=SUMMARY["runs"],
        logs=get_threshold_logs,
        seeds=get_threshold_seeds,
    output:
        csv=report(
            SUMMARY["thresholds"],
            caption="../report/thresholds_table.rst",
            category="Tables",
            labels={"table": "thresholds"},
        ),
    log:
        "logs/thresholds/thresholds.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        thresholds=config["thresholds"],
        variants=list(VARIANTS),
        seeds=SEEDS,
    script:
        "../../scripts/thresholds.py"

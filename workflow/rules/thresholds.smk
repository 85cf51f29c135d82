rule thresholds:
    """PASS / FAIL per checked limit: did the program switch configuration where documented?"""
    input:
        tables="scripts/memsweep_tables.py",
        parser="scripts/run_monitored.py",
        runs=SUMMARY["runs"],
        logs=get_threshold_logs,
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
    script:
        "../../scripts/thresholds.py"


onsuccess:
    failures = threshold_failures(SUMMARY["thresholds"])
    if failures:
        print(
            f"memsweep: {len(failures)} threshold check(s) FAILED:",
            *failures,
            sep="\n",
            file=sys.stderr,
        )

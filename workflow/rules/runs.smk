rule runs:
    """One row per run: its run.json, its reported configuration, its spikes."""
    input:
        code=STAGE_CODE,
        runs=run_files("run.json"),
        logs=run_files("solver.log"),
        spikes=SUMMARY["spikes"],
    output:
        runs=report(
            SUMMARY["runs"],
            caption="../report/runs.rst",
            category="Tables",
            labels={"table": "runs"},
        ),
    log:
        "logs/runs/runs.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        membership=run_membership(),
        report_pattern=config["solver"]["report_pattern"],
    script:
        "../../scripts/runs.py"

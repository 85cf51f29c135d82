rule runs:
    """One row per run: its run.json, its reported configuration (from its solver.log, which
    the run rewrites with its run.json), its spikes."""
    input:
        code=code_of("runs.py"),
        runs=run_files("run.json"),
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

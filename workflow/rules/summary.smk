rule summary:
    """One row per run, and every run's spikes in one table."""
    input:
        tables="scripts/memsweep_tables.py",
        runs=run_files("run.json"),
        spikes=run_files("spikes.csv"),
    output:
        runs=report(
            SUMMARY["runs"],
            caption="../report/runs.rst",
            category="Tables",
            labels={"table": "runs"},
        ),
        spikes=report(
            SUMMARY["spikes"],
            caption="../report/spikes_table.rst",
            category="Tables",
            labels={"table": "spikes"},
        ),
    log:
        "logs/summary/summary.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        grid_runs=run_keys("in_grid"),
        threshold_runs=run_keys("threshold_check"),
    script:
        "../../scripts/summarize_runs.py"

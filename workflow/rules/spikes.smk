rule spikes:
    """Allocation bursts of every run, by both detectors (one job for all runs)."""
    input:
        code=code_of("spikes.py"),
        traces=run_files("trace.csv"),
    output:
        csv=report(
            SUMMARY["spikes"],
            caption="../report/spikes_table.rst",
            category="Tables",
            labels={"table": "spikes"},
        ),
    log:
        "logs/spikes/spikes.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        settings=config["spikes"],
    script:
        "../../scripts/spikes.py"

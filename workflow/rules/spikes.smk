rule spikes:
    """Allocation bursts of every run, by both detectors (one job for all runs)."""
    input:
        code=STAGE_CODE,
        traces=run_files("trace.csv"),
        phases=get_run_phases(),
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

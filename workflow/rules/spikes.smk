rule spikes:
    """Allocation bursts of one run, by both detectors."""
    input:
        tables="scripts/memsweep_tables.py",
        trace=f"{RUN_DIR}/trace.csv",
    output:
        csv=f"{RUN_DIR}/spikes.csv",
    log:
        "logs/spikes/{limit}MB/{model}/rep{repeat}.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        rate_threshold_mb_s=config["spikes"]["rate_threshold_mb_s"],
        window_s=config["spikes"]["window_s"],
        min_increase_mb=config["spikes"]["min_increase_mb"],
    script:
        "../../scripts/spikes.py"

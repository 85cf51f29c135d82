rule digest:
    """Every run's trace, read once, in one compact file for the figures and the explorer."""
    input:
        code=code_of("digest.py"),
        runs=SUMMARY["runs"],
        variance=SUMMARY["variance"],
        spikes=SUMMARY["spikes"],
        traces=run_files("trace.csv"),
    output:
        digest=tables.DIGEST,
    log:
        "logs/digest/digest.log",
    conda:
        "../../envs/analysis.yaml"
    script:
        "../../scripts/digest.py"

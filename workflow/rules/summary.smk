rule summary:
    """The summary tables, one job for the five stages (scripts/summary.py): allocation bursts
    of every run by both detectors, one row per run (its run.json, its reported configuration
    from its solver.log, which the run rewrites with its run.json, its spikes), peak statistics
    across repeats, PASS / FAIL per checked limit, with solver.phase_pattern every run's phases
    gathered and each phase's peak per configuration, and every run's trace read once into the
    digest for the figures and the explorer."""
    input:
        code=code_of("summary.py"),
        traces=run_files("trace.csv"),
        runs=run_files("run.json"),
        logs=get_threshold_logs,
        seeds=get_threshold_seeds,
        phases=get_run_phases(),
    output:
        **phase_outputs(),
        spikes=report(
            SUMMARY["spikes"],
            caption="../report/spikes_table.rst",
            category="Tables",
            labels={"table": "spikes"},
        ),
        runs=report(
            SUMMARY["runs"],
            caption="../report/runs.rst",
            category="Tables",
            labels={"table": "runs"},
        ),
        variance=report(
            SUMMARY["variance"],
            caption="../report/variance.rst",
            category="Tables",
            labels={"table": "variance"},
        ),
        thresholds=report(
            SUMMARY["thresholds"],
            caption="../report/thresholds_table.rst",
            category="Tables",
            labels={"table": "thresholds"},
        ),
        digest=tables.DIGEST,
    log:
        "logs/summary/summary.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        spikes=config["spikes"],
        membership=run_membership(),
        report_pattern=config["solver"]["report_pattern"],
        mad_threshold=config["variance"]["mad_threshold"],
        outlier_min_percent=config["variance"]["outlier_min_percent"],
        thresholds=config["thresholds"],
        variants=list(VARIANTS),
        seeds=SEEDS,
        phase_pattern=PHASE_PATTERN,
    script:
        "../../scripts/summary.py"

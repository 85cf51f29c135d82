rule phases:
    """Every run's phases gathered, and each phase's peak per configuration (with
    solver.phase_pattern set)."""
    input:
        code=STAGE_CODE,
        runs=SUMMARY["runs"],
        phases=get_run_phases(),
    output:
        runs=report(
            tables.PHASE_RUNS.path,
            caption="../report/phase_runs.rst",
            category="Tables",
            labels={"table": "phase_runs"},
        ),
        summary=report(
            tables.PHASES.path,
            caption="../report/phases.rst",
            category="Tables",
            labels={"table": "phases"},
        ),
    log:
        "logs/phases/phases.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        pattern=PHASE_PATTERN,
    script:
        "../../scripts/phases.py"

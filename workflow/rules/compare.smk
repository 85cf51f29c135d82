rule compare:
    """The campaign against its baseline (compare.baseline): per configuration the change of the
    peak beyond the noise, of the status and of the threshold verdicts; where both sides ran;
    with solver.phase_pattern set, each phase's peak."""
    input:
        unpack(get_compare_inputs),
    output:
        **COMPARED_PHASES,
        compare=report(
            COMPARED["compare"],
            caption="../report/compare_table.rst",
            category="Comparison",
            labels={"table": "compare"},
        ),
        compare_runs=COMPARED["compare_runs"],
        compare_env=COMPARED["compare_env"],
    log:
        "logs/compare/compare.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        settings=get_compare_settings(),
        baseline=config["compare"]["baseline"],
        variants=list(VARIANTS),
    script:
        "../../scripts/compare.py"


rule compare_summary:
    """The comparison for a pull request (markdown), for machines (JSON), and as a "smaller is
    better" series for CI benchmark trackers."""
    input:
        code=code_of("compare_summary.py"),
        compare=COMPARED["compare"],
        runs=COMPARED["compare_runs"],
        env=COMPARED["compare_env"],
        phases=get_compare_phases(),
    output:
        md=report(
            COMPARE_FILES["md"],
            caption="../report/compare_md.rst",
            category="Comparison",
            labels={"file": "compare.md"},
        ),
        json=COMPARE_FILES["json"],
        benchmark=COMPARE_FILES["benchmark"],
    log:
        "logs/compare_summary/compare_summary.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        settings=config["compare"],
    script:
        "../../scripts/compare_summary.py"

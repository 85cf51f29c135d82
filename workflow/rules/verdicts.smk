rule verdicts:
    """Every verdict of the campaign, decided once: what the report and the last message say."""
    input:
        code=STAGE_CODE,
        runs=SUMMARY["runs"],
        variance=SUMMARY["variance"],
        thresholds=SUMMARY["thresholds"],
        search=get_search_table,
        compare=get_verdict_compare_inputs(),
        phases=get_phase_runs(),
    output:
        csv=report(
            SUMMARY["verdicts"],
            caption="../report/verdicts.rst",
            category="Tables",
            labels={"table": "verdicts"},
        ),
    log:
        "logs/verdicts/verdicts.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        # the report section holds the verdicts' own settings
        settings={
            "cv_warn_percent": config["variance"]["cv_warn_percent"],
            **config["report"],
        },
        phase_pattern=PHASE_PATTERN,
    script:
        "../../scripts/verdicts.py"


onsuccess:
    if Path(SUMMARY["verdicts"]).exists():
        failed = verdicts.failures(tables.VERDICTS.read(SUMMARY["verdicts"]))
        if failed:
            print(
                f"memsweep: {len(failed)} check(s) FAILED:", *failed, sep="\n", file=sys.stderr
            )

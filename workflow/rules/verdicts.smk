rule verdicts:
    """Every verdict of the campaign, decided once: what the report and the last message say."""
    input:
        code=code_of("verdicts.py"),
        runs=SUMMARY["runs"],
        variance=SUMMARY["variance"],
        thresholds=SUMMARY["thresholds"],
        search=get_search_table,
        compare=get_verdict_compare_inputs(),
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
    script:
        "../../scripts/verdicts.py"


onsuccess:
    closing_message()

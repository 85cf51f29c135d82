rule plots:
    """Every figure of the campaign."""
    input:
        tables="scripts/memsweep_tables.py",
        runs=SUMMARY["runs"],
        variance=SUMMARY["variance"],
        spikes=SUMMARY["spikes"],
        thresholds=SUMMARY["thresholds"],
        traces=run_files("trace.csv"),
    output:
        traces=report(
            PLOTS["traces"],
            caption="../report/traces.rst",
            category="Figures",
            labels={"figure": "traces"},
        ),
        peak_vs_limit=report(
            PLOTS["peak_vs_limit"],
            caption="../report/peak_vs_limit.rst",
            category="Figures",
            labels={"figure": "peak vs limit"},
        ),
        stability=report(
            PLOTS["stability"],
            caption="../report/stability.rst",
            category="Figures",
            labels={"figure": "stability"},
        ),
        spikes=report(
            PLOTS["spikes"],
            caption="../report/spikes.rst",
            category="Figures",
            labels={"figure": "spikes"},
        ),
        thresholds=report(
            PLOTS["thresholds"],
            caption="../report/thresholds_plot.rst",
            category="Figures",
            labels={"figure": "thresholds"},
        ),
    log:
        "logs/plots/plots.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        cv_warn_percent=config["variance"]["cv_warn_percent"],
    script:
        "../../scripts/plots.py"

rule figure:
    """One figure of the registry in scripts/figures/ (a job per figure: a changed setting
    redraws only the figures that use it)."""
    input:
        unpack(get_figure_inputs),
    output:
        png=report(
            figures.PATH.format(name="{figure}"),
            caption="../report/figure.rst",
            category="Figures",
            labels={"figure": "{figure}"},
        ),
    log:
        "logs/figure/{figure}.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        settings=get_figure_settings,
        caption=get_figure_caption,
    script:
        "../../scripts/draw_figure.py"

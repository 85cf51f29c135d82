checkpoint search_step:
    """One step of a bisection: the runs so far decide the next ones, which join the DAG (as
    monitor jobs, or as runs the campaign has already) when this step is done."""
    input:
        unpack(get_search_step_inputs),
    output:
        state_json="results/search/{variant}/{search}/step{step}.json",
    log:
        "logs/search_step/{variant}/{search}/step{step}.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        spec=get_search_spec,
        known=get_search_known,
    script:
        "../../scripts/search_step.py"


rule search:
    """The answer of every search, and every run it used in the order it used them."""
    input:
        unpack(get_search_inputs),
    output:
        search_csv=report(
            SEARCH_TABLES["search"],
            caption="../report/search_table.rst",
            category="Tables",
            labels={"table": "search"},
        ),
        probes_csv=report(
            SEARCH_TABLES["search_probes"],
            caption="../report/search_probes.rst",
            category="Tables",
            labels={"table": "search_probes"},
        ),
    log:
        "logs/search/search.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        searches=config["search"],
        thresholds=config["thresholds"],
    script:
        "../../scripts/search.py"

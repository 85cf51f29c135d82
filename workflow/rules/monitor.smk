rule launch:
    """How one variant's runs are launched, in one file its runs depend on: a changed command,
    environment, interval, timeout, enforcement or phase pattern reruns exactly that variant's
    runs."""
    input:
        # the sampler's code and the program's own files: editing one rewrites this spec, and
        # so reruns the variant's runs (one input per variant, not one per run)
        code=code_of("monitor.py"),
        program=get_program_files,
    output:
        spec_json=campaign.spec.SPEC_PATH,
    log:
        "logs/launch/{variant}.log",
    conda:
        "../../envs/sampler.yaml"
    params:
        launch=get_launch_spec,
    script:
        "../../scripts/launch.py"


rule monitor:
    """One monitored run of the program: the run wrapper starts the sampler around it (and, with
    solver.phase_pattern set, writes the run's phases.csv)."""
    input:
        launch=campaign.spec.SPEC_PATH,
    output:
        **RUN_PHASES,
        trace=f"{RUN_DIR}/trace.csv",
        solver_log=f"{RUN_DIR}/solver.log",
        run=f"{RUN_DIR}/run.json",
        benchmark=f"{RUN_DIR}/benchmark.tsv",
    log:
        "logs/monitor/{variant}/{limit}MB/{model}/rep{repeat}.log",
    conda:
        "../../envs/sampler.yaml"
    resources:
        # one measurement at a time unless --resources measurement_slots=N (common.smk)
        measurement_slots=1,
        mem_mb=get_monitor_mem_mb,
        runtime=MONITOR_RUNTIME,
    params:
        # the run wrapper's code is an input of the launch rule: editing it reruns the runs
        wrapper=RUN_WRAPPER,
        run_dir=RUN_DIR,
    # -S: the run wrapper and the sampler need only the standard library; not importing site
    # (site-packages and the .pth files there) saves 0.1-0.2 s of every run
    shell:
        "python -S {params.wrapper} --launch {input.launch} --run-dir {params.run_dir}"
        " --limit-mb {wildcards.limit} --bucket-model {wildcards.model} --repeat {wildcards.repeat}"
        " --log {log}"

rule monitor:
    """One monitored run of the solver: the sampler in launch mode, then run.json."""
    input:
        sampler="scripts/sampler.py",
        cgroups="scripts/cgroups.py",
        program=get_program_files,
    output:
        trace=f"{RUN_DIR}/trace.csv",
        sampler=f"{RUN_DIR}/sampler.json",
        solver_log=f"{RUN_DIR}/solver.log",
        run=f"{RUN_DIR}/run.json",
    log:
        "logs/monitor/{limit}MB/{model}/rep{repeat}.log",
    conda:
        "../../envs/sampler.yaml"
    resources:
        # one measurement at a time by default (profiles/default sets measurement_slots=1)
        measurement_slots=1,
        mem_mb=get_monitor_mem_mb,
        runtime=get_monitor_runtime,
    params:
        argv=solver_argv,
        bucket_model=get_bucket_model,
        env=get_run_env,
        interval_ms=config["sampler"]["interval_ms"],
        timeout_s=config["solver"]["timeout_s"],
        enforce=config["limits"]["enforce"],
        report_pattern=config["solver"]["report_pattern"],
    script:
        "../../scripts/run_monitored.py"

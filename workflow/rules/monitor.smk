rule monitor:
    """One monitored run of the program: the run wrapper starts the sampler around it."""
    input:
        code=SAMPLER_CODE,
        program=get_program_files,
    output:
        trace=f"{RUN_DIR}/trace.csv",
        solver_log=f"{RUN_DIR}/solver.log",
        run=f"{RUN_DIR}/run.json",
    log:
        "logs/monitor/{variant}/{limit}MB/{model}/rep{repeat}.log",
    conda:
        "../../envs/sampler.yaml"
    resources:
        # one measurement at a time by default (profiles/default sets measurement_slots=1)
        measurement_slots=1,
        mem_mb=get_monitor_mem_mb,
        runtime=get_monitor_runtime,
    params:
        run_dir=RUN_DIR,
        bucket_model=get_bucket_model,
        argv=get_argv,
        env=get_env_options,
        interval_ms=config["sampler"]["interval_ms"],
        timeout_s=config["solver"]["timeout_s"],
        enforce=config["limits"]["enforce"],
    shell:
        "python {input.code[0]} --run-dir {params.run_dir} --variant {wildcards.variant}"
        " --limit-mb {wildcards.limit} --bucket-model {params.bucket_model:q}"
        " --repeat {wildcards.repeat} --interval-ms {params.interval_ms}"
        " --timeout {params.timeout_s} --enforce {params.enforce} {params.env}"
        " --log {log} -- {params.argv:q}"

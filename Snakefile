from snakemake.utils import min_version

min_version("9.0")


# memsweep's default campaign (the demo solver): --configfile overlays the user's own on it
configfile: f"{workflow.current_basedir}/config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/monitor.smk"
include: "workflow/rules/spikes.smk"
include: "workflow/rules/runs.smk"
include: "workflow/rules/variance.smk"
include: "workflow/rules/digest.smk"
include: "workflow/rules/search.smk"
include: "workflow/rules/thresholds.smk"
include: "workflow/rules/compare.smk"
include: "workflow/rules/verdicts.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"


# The whole campaign: tables, figures and the HTML report.
rule all:
    default_target: True
    input:
        get_final_outputs(),

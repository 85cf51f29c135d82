"""The `launch` rule: write a variant's launch spec (results/runs/{variant}/launch.json), the one
file every run of the variant depends on. What the spec holds, and how it is written and read, is
scripts/campaign/spec.py's."""

from campaign import spec

if "snakemake" in globals():
    spec.write_spec(snakemake.output.spec, dict(snakemake.params.spec))

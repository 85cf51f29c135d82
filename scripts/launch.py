"""The `launch` rule: write a variant's launch spec (results/runs/{variant}/launch.json), the one
file every run of the variant depends on. What the spec holds, and how it is written and read, is
scripts/campaign/spec.py's."""

from campaign import spec
from pipeline import handoff


def main(spec_json, launch: dict) -> None:
    """spec_json: the spec's path; launch: what it holds (get_launch_spec in common.smk)."""
    spec.write_spec(spec_json, dict(launch))


if "snakemake" in globals():
    handoff.hand_off(snakemake, main)

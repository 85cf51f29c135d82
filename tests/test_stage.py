"""The Snakemake hand-off: a stage's main gets the rule's named items by its parameters' names."""

from types import SimpleNamespace

import pytest
from snakemake.iocontainers import Namedlist

from pipeline import handoff, stage


def job(tmp_path, **kinds):
    """A stand-in for Snakemake's `snakemake` object: named input, output, params, wildcards."""
    named = {kind: Namedlist(fromdict=kinds.get(kind, {})) for kind in handoff.KINDS}
    return SimpleNamespace(rule="r", log=[str(tmp_path / "r.log")], threads=2, **named)


def test_main_gets_each_named_item_by_its_name_and_a_kind_whole(tmp_path):
    seen = {}

    def main(runs, out_csv, threshold, step, outputs, phases=()):
        seen.update(runs=runs, out_csv=out_csv, threshold=threshold, step=step, outputs=outputs,
                    phases=phases)  # fmt: skip

    smk = job(tmp_path, input={"runs": "a.csv", "code": ["x.py"]}, output={"out_csv": "b.csv"},
              params={"threshold": 5}, wildcards={"step": "3"})  # fmt: skip
    stage.hand_off(smk, main)
    assert seen == {"runs": "a.csv", "out_csv": "b.csv", "threshold": 5, "step": "3",
                    "outputs": {"out_csv": "b.csv"}, "phases": ()}  # fmt: skip
    assert (tmp_path / "r.log").exists()  # the log went to the rule's log


def test_threads_are_the_jobs_threads(tmp_path):
    assert handoff.arguments(job(tmp_path), lambda threads=1: None) == {"threads": 2}


def test_a_name_the_rule_gives_twice_or_not_at_all_is_an_error(tmp_path):
    def main(runs):
        raise AssertionError("not called")

    twice = job(tmp_path, input={"runs": "a.csv"}, output={"runs": "b.csv"})
    with pytest.raises(ValueError, match="rule r: 'runs' is named in its input and output"):
        stage.hand_off(twice, main)
    with pytest.raises(ValueError, match="rule r names no 'runs'"):
        stage.hand_off(job(tmp_path, input={"other": "a.csv"}), main)

"""The config check and the run table, on plain dicts: every bad value names its key."""

import stat

import pytest

import campaign.config
import check_config
from campaign.config import ConfigError

ROOT = campaign.config.ROOT


def load(cfg, cwd=ROOT):
    return campaign.config.load(cfg, cwd=cwd)


BAD = [
    ({"grid": {"repeats": 1, "colour": "red"}}, ["grid", "colour", "repeats"]),
    ({"grid": {"memory_limits_mb": [0]}}, ["grid.memory_limits_mb[0]", "0", "minimum of 1"]),
    ({"grid": {"memory_limits_mb": ["abc"]}}, ["grid.memory_limits_mb[0]", "'abc'", "integer"]),
    ({"grid": {"memory_limits_mb": [300.5]}}, ["grid.memory_limits_mb[0]", "300.5", "integer"]),
    ({"grid": {"memory_limits_mb": [99999999999999999999999]}},
     ["grid.memory_limits_mb[0]", "99999999999999999999999", "maximum of 16777216"]),
    ({"grid": {"repeats": 2.5}}, ["grid.repeats", "2.5"]),
    ({"grid": {"bucket_models": ["4M/8M"]}}, ["grid.bucket_models[0]", "'4M/8M'", "auto"]),
    ({"grid": {"bucket_models": ["4M/8M/4M\n"]}}, ["grid.bucket_models[0]", "'4M/8M/4M\\n'"]),
    ({"solver": {"report_pattern": "Bucket sizes: \\S+"}}, ["solver.report_pattern", "0 groups"]),
    ({"thresholds": [{"memory_mb": 900, "pattern": "(a(", "expected": {}}]},
     ["thresholds[0]", "expected"]),
    ({"thresholds": [{"memory_mb": 900, "pattern": "(a)(b)",
                      "expected": {"below": "a", "at": "b", "above": "b"}}]},
     ["thresholds[0].pattern", "'(a)(b)'", "2 groups"]),
    ({"thresholds": [{"memory_mb": 900, "bucket_model": "auto ",
                      "expected": {"below": "a", "at": "b", "above": "b"}}]},
     ["thresholds[0].bucket_model", "'auto '"]),
    ({"solver": {"command": "./no-such-solver {memory_mb}"}}, ["solver.command", "no-such-solver"]),
    ({"solver": {"command": "python no_such_solver.py"}}, ["solver.command", "no_such_solver.py"]),
    ({"solver": {"command": "no-such-program-xyz"}}, ["solver.command", "no-such-program-xyz"]),
    ({"solver": {"command": "python x.py {memory}"}}, ["solver.command", "memory"]),
    ({"solver": {"command": "python x.py {"}}, ["solver.command", "Single '{'"]),
    ({"limits": {"enforce": "docker"}}, ["limits.enforce", "'docker'", "cgroup"]),
    ({"sampler": {"interval_ms": 0.1}}, ["sampler.interval_ms", "0.1", "0.5"]),
    ({"variants": {"a b": {}}}, ["variants.a b", "not a variant name"]),
    ({"variants": {"new": {"command": "./nope"}}}, ["variants.new.command", "./nope"]),
    ({"variants": {"new": {"colour": "red"}}}, ["variants.new", "colour"]),
]  # fmt: skip


@pytest.mark.parametrize(("overlay", "words"), BAD, ids=[str(b[0])[:60] for b in BAD])
def test_a_bad_value_names_the_key_and_the_value(overlay, words):
    with pytest.raises(ConfigError) as err:
        load(overlay)
    message = str(err.value)
    assert message.startswith("config error at ")
    for word in words:
        assert word in message, (word, message)


def test_defaults_fill_every_section_and_thresholds_take_the_report_pattern():
    cfg = load({"solver": {"report_pattern": "Size: (\\d+)"},
                "thresholds": [{"memory_mb": 100, "expected": {"below": "1", "at": "2",
                                                               "above": "2"}}]})  # fmt: skip
    assert cfg["grid"]["repeats"] == 3 and cfg["sampler"]["interval_ms"] == 10
    assert cfg["thresholds"][0]["pattern"] == "Size: (\\d+)"
    assert cfg["thresholds"][0]["bucket_model"] == "auto"
    assert cfg["variants"] == {}


def test_whole_number_floats_and_command_line_text_are_accepted_where_integers_are_meant():
    cfg = load({"grid": {"memory_limits_mb": [300.0, "400"], "repeats": 2.0},
                "thresholds": [{"memory_mb": 500.0, "expected": {"below": "a", "at": "b",
                                                                 "above": "b"}}]})  # fmt: skip
    assert cfg["grid"]["memory_limits_mb"] == [300, 400] and cfg["grid"]["repeats"] == 2
    assert cfg["thresholds"][0]["memory_mb"] == 500
    assert all(type(v) is int for v in cfg["grid"]["memory_limits_mb"])


def test_a_program_that_is_not_executable_is_refused(tmp_path):
    program = tmp_path / "solver.sh"
    program.write_text("#!/bin/sh\necho hi\n")
    with pytest.raises(ConfigError, match="'./solver.sh' is not executable"):
        load({"solver": {"command": "./solver.sh {memory_mb}"}}, cwd=tmp_path)
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    assert load({"solver": {"command": "./solver.sh {memory_mb}"}}, cwd=tmp_path)


def test_the_runs_of_a_campaign_with_variants_and_a_threshold():
    cfg = load({
        "grid": {"memory_limits_mb": [500, 1000], "bucket_models": ["auto"], "repeats": 2},
        "variants": {"base": {}, "new": {"env": {"OPT": "1"}}},
        "solver": {"env": {"A": "x"}},
        "thresholds": [{"memory_mb": 1000, "expected": {"below": "a", "at": "b", "above": "b"}}],
    })  # fmt: skip
    runs = campaign.plan.build_runs(cfg)
    grid = [run for run in runs if run["in_grid"]]
    assert len(grid) == 2 * 2 * 2
    # variants alternate innermost, repeats outermost: a drift of the machine favours none
    assert [run["variant"] for run in grid[:4]] == ["base", "new", "base", "new"]
    assert [run["repeat"] for run in grid[:4]] == [1, 1, 1, 1]
    checks = [run for run in runs if run["threshold_check"]]
    assert sorted({run["limit_mb"] for run in checks}) == [999, 1000, 1001] and len(checks) == 6
    both = [run for run in runs if run["in_grid"] and run["threshold_check"]]
    assert {(run["limit_mb"], run["repeat"]) for run in both} == {(1000, 1)}  # one run, not two
    assert len(both) == 2  # one per variant
    assert runs[1]["run_dir"] == "results/runs/new/500MB/auto/rep1"
    variants = campaign.plan.variants(cfg)
    assert variants["new"]["env"] == {"A": "x", "OPT": "1"} and variants["base"]["env"] == {
        "A": "x"
    }


def test_the_command_line_check_names_the_file_and_line_of_a_yaml_error(
    tmp_path, capsys, monkeypatch
):
    bad = tmp_path / "bad.yaml"
    bad.write_text("grid:\n  repeats: 2\n  bucket_models: [a, b\n")
    monkeypatch.chdir(ROOT)
    assert check_config.main([str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"config error in {bad}: line 4, column 1" in err
    good = tmp_path / "good.yaml"
    good.write_text("grid: {repeats: 1}\n")
    assert check_config.main([str(good)]) == 0
    assert "ok: 15 runs (1 variant(s) x 6 limits x 2 models x 1 repeats, + 3 threshold runs)" in (
        capsys.readouterr().out
    )


def test_a_limit_above_the_machines_memory_is_a_warning_not_an_error(tmp_path):
    cfg = load({
        "grid": {"memory_limits_mb": [300, 5000, 9000]},
        "thresholds": [{"memory_mb": 4096, "bucket_model": "auto",
                        "expected": {"below": "a", "at": "b", "above": "b"}}],
        "search": [{"kind": "switch", "bucket_model": "auto", "low_mb": 100, "high_mb": 300}],
    })  # fmt: skip
    found = campaign.config.warnings(cfg, total_mb=4096.0)
    assert [line.split(":")[0] for line in found] == [
        "config warning at grid.memory_limits_mb", "config warning at thresholds[0].memory_mb",
    ]  # fmt: skip
    assert "5000, 9000 MB are above the memory of this machine (4096 MB" in found[0]
    assert "4097 MB is above" in found[1]  # the check above the threshold
    assert campaign.config.warnings(cfg, total_mb=10_000.0) == []
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24683520 kB\nMemFree: 1 kB\n")
    assert campaign.config.mem_total_mb(str(meminfo)) == 24105.0
    assert campaign.config.mem_total_mb(str(tmp_path / "none")) is None
    overlay = tmp_path / "big.yaml"
    overlay.write_text("grid:\n  memory_limits_mb: [300, 1000000]\n")
    assert check_config.main([str(overlay)]) == 0  # checked fine, with a warning on stderr

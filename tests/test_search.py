"""The bisection on simulated programs: exact answers, and the programs it must not be fooled by."""

import pytest

import campaign.config
from campaign.config import ConfigError
from campaign.search import Probe, Seen, pick, plan, results, simulate, spread

SWITCH = {"kind": "switch", "low_mb": 300, "high_mb": 1500, "repeats": 3, "initial_probes": 3,
          "max_probes": 100, "seed_thresholds": True}  # fmt: skip
MIN_MEMORY = {**SWITCH, "kind": "min_memory", "low_mb": 10, "high_mb": 2000}


def demo(limit, repeat):
    """The demo solver's automatic model table."""
    model = "2M/4M/2M" if limit < 500 else "4M/8M/4M" if limit < 1000 else "8M/8M/8M"
    return Seen("ok", model)


def found(rows):
    return [(r["outcome"], r["result_mb"], r["below"], r["at"]) for r in rows]


def test_switch_finds_every_change_exactly_with_a_seeded_check_run():
    obs, steps = simulate(SWITCH, demo)
    rows = results(SWITCH, obs)
    assert found(rows) == [
        ("found", 500, "2M/4M/2M", "4M/8M/4M"),
        ("found", 1000, "4M/8M/4M", "8M/8M/8M"),
    ]
    assert all(r["monotonic"] for r in rows)
    for limit in (499, 500, 999, 1000):
        assert {(limit, r) for r in (1, 2, 3)} <= set(obs)  # confirmed by 3 repeats
    assert (501, 1) in obs and (1001, 1) in obs  # the seeded threshold checks' "above" run
    assert len(obs) < 45 and steps < 15  # a 1 MB grid would be 1201 runs


def test_known_runs_are_used_as_probes():
    known = [323, 478, 823, 999, 1000, 1001, 1005, 1308]
    obs, _ = simulate(SWITCH, demo, known)
    assert found(results(SWITCH, obs))[1][1] == 1000
    reused = {limit for limit, _ in obs} & set(known)
    assert {999, 1000, 1001} <= reused and len(reused) >= 5


def test_a_configuration_that_comes_back_is_found_out():
    def program(limit, repeat):
        return Seen("ok", "B" if 700 <= limit < 1100 else "A")

    rows = results(SWITCH, simulate(SWITCH, program)[0])
    assert found(rows) == [("found", 700, "A", "B"), ("found", 1100, "B", "A")]
    assert not any(r["monotonic"] for r in rows)
    assert "not monotonic: A again at 1100 MB after B" in rows[0]["note"]


def test_a_missing_report_is_said_not_bisected_over():
    def program(limit, repeat):
        return Seen("failed", None) if limit < 420 else Seen("ok", "A" if limit < 1000 else "B")

    rows = results(SWITCH, simulate(SWITCH, program)[0])
    outcomes = [r["outcome"] for r in rows]
    assert outcomes.count("no_report") >= 1 and ("found", 1000, "A", "B") in found(rows)
    assert "no report at 300 MB (run failed)" in [r["note"] for r in rows]


def test_repeats_that_disagree_at_a_switch_are_said_so():
    def program(limit, repeat):
        if limit == 999 and repeat == 2:
            return Seen("ok", "B")
        return Seen("ok", "A" if limit < 1000 else "B")

    rows = results(SWITCH, simulate(SWITCH, program)[0])
    assert [(r["outcome"], r["range_low_mb"], r["range_high_mb"]) for r in rows] == [
        ("repeats_disagree", 999, 1000)
    ]
    assert "999 MB reported A x2, B x1" in rows[0]["note"]


def test_a_program_that_changes_every_mb_stops_at_max_probes():
    spec = {**SWITCH, "max_probes": 30}
    obs, _ = simulate(spec, lambda limit, repeat: Seen("ok", str(limit % 7)))
    assert len(obs) <= 30
    assert "unresolved" in [r["outcome"] for r in results(spec, obs)]


def test_none_found_when_both_ends_agree():
    rows = results(SWITCH, simulate(SWITCH, lambda limit, repeat: Seen("ok", "A"))[0])
    assert found(rows) == [("none_found", None, "A", "A")]


def oom_below(need):
    return lambda limit, repeat: Seen("ok" if limit >= need else "oom", None)


def test_min_memory_finds_the_least_limit_and_checks_it_with_repeats():
    obs, steps = simulate(MIN_MEMORY, oom_below(37))
    assert found(results(MIN_MEMORY, obs)) == [("found", 37, "oom", "ok")]
    assert {(36, r) for r in (1, 2, 3)} | {(37, r) for r in (1, 2, 3)} <= set(obs)
    assert len(obs) <= 25 and steps <= 15


def test_a_flaky_boundary_is_a_range():
    def program(limit, repeat):
        if limit >= 40:
            return Seen("ok", None)
        return Seen("ok" if limit >= 30 and (limit + repeat) % 3 == 0 else "oom", None)

    (r,) = results(MIN_MEMORY, simulate(MIN_MEMORY, program)[0])
    assert (r["outcome"], r["result_mb"], r["range_high_mb"]) == ("flaky", 40, 40)
    assert 30 <= r["range_low_mb"] <= 31
    assert "all 3 run(s) ok from 40 MB" in r["note"]


@pytest.mark.parametrize(
    ("program", "outcome"),
    [(oom_below(5000), "fails_at_high"), (oom_below(5), "ok_at_low")],
)
def test_min_memory_outside_the_range_says_so(program, outcome):
    obs, steps = simulate(MIN_MEMORY, program)
    assert [r["outcome"] for r in results(MIN_MEMORY, obs)] == [outcome]
    assert steps == 2 and len(obs) == 2 * 3 + 3


def test_the_first_step_runs_the_ends_and_spread_probes():
    assert plan({**SWITCH, "initial_probes": 1}, {}) == [
        Probe(300, 1, "anchor"), Probe(1500, 1, "anchor"), Probe(900, 1, "probe")
    ]  # fmt: skip
    assert spread(300, 1500, 3) == [600, 900, 1200]
    assert spread(300, 1500, 3, known=[1005, 1250]) == [600, 900, 1250]
    assert pick(499, 501) == 500 and pick(300, 900, [310, 899]) == 600


def search_config(*searches, enforce="none"):
    return {"limits": {"enforce": enforce}, "search": list(searches)}


BAD_SEARCHES = [
    ({"kind": "switch", "low_mb": 900, "high_mb": 900}, "none",
     ["search[0].low_mb", "900 is not below high_mb 900"]),
    ({"kind": "switch", "low_mb": 0, "high_mb": 900}, "none", ["search[0].low_mb", "minimum of 1"]),
    ({"kind": "switch", "low_mb": 1, "high_mb": 99999999999}, "none",
     ["search[0].high_mb", "maximum of 16777216"]),
    ({"kind": "min_memory", "low_mb": 10, "high_mb": 90}, "none",
     ["search[0].enforce", "min_memory needs an enforced limit", "limits.enforce: cgroup"]),
    ({"kind": "min_memory", "low_mb": 10, "high_mb": 90, "enforce": "rlimit"}, "none",
     ["search[0].enforce", "'rlimit' differs from limits.enforce 'none'"]),
    ({"kind": "switch", "low_mb": 10, "high_mb": 90, "pattern": "Bucket sizes: \\S+"}, "none",
     ["search[0].pattern", "0 groups"]),
    ({"kind": "switch", "low_mb": 10, "high_mb": 90, "pattern": "(a)(b)"}, "none",
     ["search[0].pattern", "2 groups"]),
    ({"kind": "switch", "low_mb": 10, "high_mb": 90, "bucket_model": "8M"}, "none",
     ["search[0].bucket_model", "'8M'"]),
    ({"kind": "bisect", "low_mb": 10, "high_mb": 90}, "none", ["search[0].kind", "'bisect'"]),
    ({"kind": "switch", "low_mb": 10}, "none", ["search[0]", "'high_mb' is a required property"]),
]  # fmt: skip


@pytest.mark.parametrize(("search", "enforce", "words"), BAD_SEARCHES)
def test_a_bad_search_is_a_config_error_naming_the_key(search, enforce, words):
    with pytest.raises(ConfigError) as err:
        campaign.config.load(search_config(search, enforce=enforce), cwd=campaign.config.ROOT)
    for word in words:
        assert word in str(err.value), (word, str(err.value))


def test_search_defaults_and_names():
    cfg = campaign.config.load(
        search_config({"kind": "switch", "low_mb": 300, "high_mb": 1500},
                      {"kind": "switch", "low_mb": 300, "high_mb": 1500, "name": "again"}),
        cwd=campaign.config.ROOT,
    )  # fmt: skip
    first = cfg["search"][0]
    assert first["name"] == "switch_auto_300-1500" and cfg["search"][1]["name"] == "again"
    assert first["pattern"] == cfg["solver"]["report_pattern"] and first["enforce"] == "none"
    assert (first["repeats"], first["initial_probes"], first["seed_thresholds"]) == (3, 3, True)
    twice = search_config({"kind": "switch", "low_mb": 300, "high_mb": 1500}, first)
    with pytest.raises(ConfigError, match=r"search\[1\].name: 'switch_auto_300-1500'"):
        campaign.config.load(twice, cwd=campaign.config.ROOT)

"""The search stages without Snakemake, on run folders written here: the step files the
checkpoint writes, the search tables, the seeded threshold checks, the verdicts, the figure and
the report's section."""

import contextlib
from pathlib import Path

import matplotlib.image as mpimg
import pandas as pd
import pytest

import plots
import report.page
import search
import search_step
import tables
from analysis import thresholds
from contracts import SEARCH_COLUMNS, SEARCH_PROBE_COLUMNS, THRESHOLD_COLUMNS
from fixtures_report import auto_model
from plots import style
from runfiles import record, write_run
from verdicts import searches
from workflow_helpers import render_caption

PATTERN = r"Bucket sizes: (\S+)"
SWITCH = {"kind": "switch", "bucket_model": "auto", "low_mb": 300, "high_mb": 1500,
          "pattern": PATTERN, "repeats": 2, "initial_probes": 3, "max_probes": 100,
          "enforce": "none", "seed_thresholds": True, "name": "switch_auto_300-1500"}  # fmt: skip
MIN_MEMORY = {**SWITCH, "kind": "min_memory", "bucket_model": "8M/8M/8M", "low_mb": 10,
              "high_mb": 200, "name": "min_memory_8M-8M-8M_10-200"}  # fmt: skip
DOCUMENTED = {"memory_mb": 1000, "bucket_model": "auto", "pattern": PATTERN,
              "expected": {"below": "4M/8M/4M", "at": "8M/8M/8M", "above": "8M/8M/8M"}}  # fmt: skip
THRESHOLD_RUNS = [999, 1000, 1001]


def demo(spec, limit, repeat):
    """(status, solver.log) of the demo solver; 8M/8M/8M needs 37 MB under enforcement."""
    if spec["kind"] == "min_memory":
        return ("ok" if limit >= 37 else "oom"), f"Bucket sizes: {spec['bucket_model']}\n"
    return "ok", f"Memory limit: {limit} MB\nBucket sizes: {auto_model(limit)}\n"


def write_probe(root, spec, limit, repeat, clock=[0]):  # noqa: B006 (a counter across calls)
    status, log = demo(spec, limit, repeat)
    clock[0] += 1
    started = f"2026-01-01T00:{clock[0] // 60:02d}:{clock[0] % 60:02d}"
    run = record(limit=limit, model=spec["bucket_model"], repeat=repeat, status=status,
                 started_at=started)  # fmt: skip
    write_run(root, run, log=log)


def run_search(root: Path, spec: dict, known=()) -> Path:
    """The checkpoint loop as the workflow runs it: a step, then the runs it asks for (a run
    already on disk is not run again). Returns the last step file."""
    step, previous = 0, None
    while True:
        out = root / f"results/search/default/{spec['name']}/step{step}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        search_step.main(spec, "default", step, known, out, previous=previous)
        state = search_step.read_state(out)
        if state["done"]:
            return out
        for probe in state["next"]:
            if not (root / probe["run_dir"] / "run.json").exists():
                write_probe(root, spec, probe["limit_mb"], probe["repeat"])
        previous, step = out, step + 1


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """A switch and a min_memory search, the switch one with the threshold runs at 999-1001."""
    root = tmp_path_factory.mktemp("search")
    with contextlib.chdir(root):
        for limit in THRESHOLD_RUNS:
            write_probe(root, SWITCH, limit, 1)
        steps = [run_search(root, SWITCH, known=[[lim, 1] for lim in THRESHOLD_RUNS]),
                 run_search(root, MIN_MEMORY)]  # fmt: skip
        paths = {name: root / f"{name}.csv" for name in ("search", "probes", "thresholds")}
        search.main(steps, paths["search"], paths["probes"], [SWITCH, MIN_MEMORY],
                           [DOCUMENTED])  # fmt: skip
        data = {"search": tables.SEARCH.read(paths["search"]),
                "search_probes": tables.SEARCH_PROBES.read(paths["probes"])}  # fmt: skip
    return root, steps, paths, data


def test_step_files_say_what_was_seen_and_what_comes_next(campaign):
    _, steps, _, _ = campaign
    state = search_step.read_state(steps[0])
    assert state["done"] and state["next"] == [] and state["search"] == SWITCH["name"]
    first = search_step.read_state(steps[0].with_name("step0.json"))
    assert [p["role"] for p in first["next"]][:2] == ["anchor", "anchor"]
    assert [p["limit_mb"] for p in first["next"]] == [300, 1500, 600, 900, 1200]
    assert first["next"][0]["run_dir"] == "results/runs/default/300MB/auto/rep1"
    seen = {(s["limit_mb"], s["repeat"]): s["reported"] for s in state["seen"]}
    assert seen[(1000, 1)] == "8M/8M/8M" and seen[(999, 2)] == "4M/8M/4M"


def test_a_damaged_step_file_names_itself(tmp_path):
    path = tmp_path / "step3.json"
    path.write_text('{"probes": ')
    with pytest.raises(tables.TableError, match=f"{path}: not a search step file"):
        search_step.read_state(path)


def test_the_search_tables(campaign):
    root, _, paths, data = campaign
    found, probes = data["search"], data["search_probes"]
    assert list(pd.read_csv(paths["search"]).columns) == SEARCH_COLUMNS
    assert list(pd.read_csv(paths["probes"]).columns) == SEARCH_PROBE_COLUMNS
    switch = found[found["kind"] == "switch"]
    assert switch[["result_mb", "below", "at"]].values.tolist() == [
        [500, "2M/4M/2M", "4M/8M/4M"], [1000, "4M/8M/4M", "8M/8M/8M"]
    ]  # fmt: skip
    assert switch["documented_mb"].tolist() == [pd.NA, 1000]
    mine = probes[probes["search"] == SWITCH["name"]]
    assert switch["probes"].iloc[0] == len(mine) and switch["reused"].iloc[0] == 3
    assert set(mine.loc[mine["reused"], "limit_mb"]) == set(THRESHOLD_RUNS)
    assert mine["order"].tolist() == list(range(1, len(mine) + 1))
    assert mine["step"].is_monotonic_increasing
    (least,) = found[found["kind"] == "min_memory"].to_dict("records")
    assert (least["outcome"], least["result_mb"], least["below"], least["at"]) == (
        "found", 37, "oom", "ok"
    )  # fmt: skip


def test_seeded_threshold_checks_join_the_documented_one(campaign):
    root, _, paths, _ = campaign
    runs = pd.DataFrame(
        [{"variant": "default", "limit_mb": lim, "bucket_model": "auto", "repeat": 1,
          "status": "ok", "peak_mb": 500.0, "threshold_check": True,
          "run_dir": f"results/runs/default/{lim}MB/auto/rep1"} for lim in THRESHOLD_RUNS]
    )  # fmt: skip
    runs_csv = root / "runs.csv"
    tables.RUNS.write(tables.typed(runs.reindex(columns=tables.RUNS.names), tables.RUNS), runs_csv)
    seeds = {SWITCH["name"]: PATTERN}
    with contextlib.chdir(root):
        thresholds.main(runs_csv, paths["thresholds"], [DOCUMENTED], ["default"],
                        [paths["search"], paths["probes"]], seeds)  # fmt: skip
    table = pd.read_csv(paths["thresholds"])
    assert list(table.columns) == THRESHOLD_COLUMNS
    assert table.groupby("threshold_mb")["limit_mb"].apply(list).to_dict() == {
        500: [499, 499, 500, 500, 501], 1000: [999, 1000, 1001]  # the 1000 check is not doubled
    }  # fmt: skip
    assert set(table["verdict"]) == {"PASS"}


def verdict_rows(found: pd.DataFrame) -> list[tuple[str, str]]:
    return [(r["level"], r["message"]) for r in searches.search_rows(found)]


def test_search_verdicts(campaign):
    _, _, _, data = campaign
    rows = verdict_rows(data["search"])
    assert rows[0] == ("ok", "switches at 500 MB: 2M/4M/2M -> 4M/8M/4M (26 runs, 3 reused)")
    assert rows[1][1].startswith("switches at 1000 MB: 4M/8M/4M -> 8M/8M/8M (as documented)")
    assert rows[2] == ("ok", "needs 37 MB: ok in every run there, oom at 36 MB (15 runs, 0 reused)")


def test_a_documented_threshold_found_elsewhere_fails_with_both_numbers(campaign):
    root, steps, _, _ = campaign
    moved = {**DOCUMENTED, "memory_mb": 1024}
    out = root / "moved.csv"
    with contextlib.chdir(root):
        search.main(steps[:1], out, root / "p.csv", [SWITCH], [moved])
    level, message = verdict_rows(tables.SEARCH.read(out))[1]
    assert level == "fail"
    assert message.startswith("documented at 1024 MB, found at 1000 MB: 4M/8M/4M -> 8M/8M/8M")


def test_not_found_and_not_monotonic_are_said(campaign):
    _, _, _, data = campaign
    found = data["search"].iloc[:1].copy()
    found.loc[:, ["outcome", "result_mb", "note"]] = ["documented_not_found", pd.NA, "gone"]
    assert verdict_rows(found)[0][0] == "fail"
    found = data["search"].iloc[:1].copy()
    found.loc[:, ["monotonic", "note"]] = [False, "x; not monotonic: A again at 900 MB after B"]
    level, message = verdict_rows(found)[0]
    assert level == "warn" and "not monotonic: A again at 900 MB after B (" in message


def test_the_figure_and_the_report_section(campaign, tmp_path):
    _, _, _, data = campaign
    out = tmp_path / "search.png"
    with style.capture() as drawn:
        plots.draw("search", data, {}, out)
    assert mpimg.imread(out).ndim == 3
    found, probes = style.plain(data["search"]), style.plain(data["search_probes"])
    axes = drawn["search"].axes
    assert len(axes) == len(found.drop_duplicates(["variant", "search"]))  # a panel per search
    for ax, (name, rows) in zip(axes, found.groupby("search", sort=False), strict=True):
        mine = probes[probes["search"] == name]
        first = rows.iloc[0]
        title = ax.get_title(loc="left")
        assert title.startswith(f"{name} ({first['kind']}, {first['bucket_model']}): ")
        assert f"· {len(mine)} runs, {int(mine['reused'].sum())} reused" in title
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("memory limit (MB)", "probe, in order")
        drawn_probes = [(x, y) for line in ax.lines if line.get_marker() in ("o", "X")
                        for x, y in zip(*line.get_data(), strict=True)]  # fmt: skip
        assert sorted(drawn_probes) == sorted(zip(mine["limit_mb"], mine["order"], strict=True))
        hollow = sum(len(line.get_xdata()) for line in ax.lines if line.get_mfc() == "none")
        assert hollow == int(mine["reused"].sum())  # reused probes are hollow
        answers = [line.get_xdata()[0] for line in ax.lines if line.get_linestyle() == "--"]
        assert answers == list(rows["result_mb"].dropna())
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels[-1] == "reused (the campaign had the run)"
        if first["kind"] == "min_memory":
            assert set(labels[:-1]) == set(mine["status"])
    empty = {name: table.empty() for name, table in tables.BY_NAME.items()}
    with style.capture() as drawn:
        plots.draw("search", empty, {}, tmp_path / "none.png")
    texts = [t.get_text() for t in drawn["none"].texts]
    assert texts == [plots.FIGURES["search"].title, "No searches configured."]
    assert plots.drawn({"search": [SWITCH]})[-1] == "search" and "search" not in plots.drawn({})
    section = report.page.search_section(data, {"search": out}, {"search": [SWITCH, MIN_MEMORY]})
    (name, title, body) = section[0]
    assert (name, title) == ("search", "Searches") and body.count("<img ") == 1
    assert '<td class="">documented_not_found' not in body and ">min_memory<" in body
    assert report.page.search_section({}, {}, {}) == []


def test_captions_render_with_searches():
    """As tests/test_report.py renders every caption, with a config that has searches."""
    import campaign.config

    config = campaign.config.load(
        campaign.config.read_config_file(campaign.config.DEFAULT_CONFIG), cwd=campaign.config.ROOT
    )
    config["search"] = [SWITCH, MIN_MEMORY]
    for name in ("workflow", "verdicts", "search_table", "search_probes", "figures/search"):
        assert "search" in render_caption(name, config), name

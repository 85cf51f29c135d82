"""Fixtures shared by the test modules."""

import contextlib
import shutil

import pytest

from workflow_helpers import make_project, snakemake, write_config


@pytest.fixture(scope="session")
def finished_campaign(tmp_path_factory):
    """A factory: finished_campaign(overlay, name, files) copies memsweep into a new temp folder
    named after `name`, copies `files` (paths) beside it, writes `overlay` as campaign.yaml and
    runs the whole workflow; it returns (the project folder, the finished snakemake process). A
    run that fails fails the test, with the end of its output."""

    def run(overlay: dict, name: str = "campaign", files=()):
        project = make_project(tmp_path_factory.mktemp(name))
        for path in files:
            shutil.copy(path, project / path.name)
        write_config(project, overlay)
        proc = snakemake(project, "--cores", "2", "all", "--configfile", "campaign.yaml")
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return project, proc

    return run


@pytest.fixture(scope="session")
def fixture_campaign(tmp_path_factory):
    """tests/fixtures_report.py's default campaign (3 limits x 2 models x 3 repeats, a failed,
    a timed-out and an OOM-killed run, the 1000 MB threshold check), written once: {table name:
    path, "digest": path, "root": its folder (where run_dir paths start)}. Read it, never write
    into it: every module that uses it shares it."""
    from fixtures_report import make_campaign, write_campaign

    root = tmp_path_factory.mktemp("fixture-campaign")
    return {**write_campaign(make_campaign(), root), "root": root}


@pytest.fixture(scope="session")
def fixture_figures(fixture_campaign, tmp_path_factory):
    """Every figure of the fixture campaign, drawn once as the figures job draws them:
    {"pngs": {name: PNG path}, "figs": {name: the matplotlib figure it drew}}."""
    import figures
    import plots
    from fixtures_report import figure_settings, stage_paths
    from plots import style

    folder = tmp_path_factory.mktemp("fixture-figures")
    pngs = {name: folder / f"{name}.png" for name in plots.drawn({})}
    with contextlib.chdir(fixture_campaign["root"]), style.capture() as drawn:
        figures.main(stage_paths(fixture_campaign), figure_settings(pngs), pngs)
    return {"pngs": pngs, "figs": drawn}

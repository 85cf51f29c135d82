"""Fixtures shared by the test modules."""

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

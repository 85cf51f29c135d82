"""Each rule's code inputs are the modules its script imports, directly or not, found from the
imports themselves: editing any of them reruns the rule's jobs."""

import json
import re
import subprocess
import sys

import pytest

from pipeline import codedeps
from workflow_helpers import REPO, SMALL_CAMPAIGN, write_config

SCRIPTS = REPO / "scripts"


def write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def names(paths, root):
    return [path.relative_to(root).as_posix() for path in paths]


def test_closure_follows_every_form_of_import(tmp_path):
    write(tmp_path, {
        "entry.py": "import os\nimport leaf\nfrom pkg import sub\n\ndef late():\n"
                    "    import deferred\n",
        "leaf.py": "import pandas\n",
        "deferred.py": "from pkg.deep import thing\n",
        "pkg/__init__.py": "",
        "pkg/sub.py": "from . import sibling\nfrom .deep import thing\n",
        "pkg/sibling.py": "",
        "pkg/deep.py": "thing = 1\n",
        "pkg/unused.py": "",
        "unrelated.py": "import leaf\n",
    })  # fmt: skip
    found = names(codedeps.closure(tmp_path / "entry.py", tmp_path), tmp_path)
    assert found == [
        "deferred.py", "entry.py", "leaf.py", "pkg/__init__.py", "pkg/deep.py", "pkg/sibling.py",
        "pkg/sub.py",
    ]  # fmt: skip


def test_a_module_chosen_at_run_time_depends_on_its_whole_package(tmp_path):
    write(tmp_path, {
        "entry.py": "from importlib import import_module\n\ndef load(name):\n"
                    "    return import_module(f'plugins.{name}')\n",
        "plugins/__init__.py": "",
        "plugins/a.py": "import helper\n",
        "plugins/b.py": "",
        "helper.py": "",
        "other/c.py": "",
    })  # fmt: skip
    found = names(codedeps.closure(tmp_path / "entry.py", tmp_path), tmp_path)
    assert found == ["entry.py", "helper.py", "plugins/__init__.py", "plugins/a.py", "plugins/b.py"]


def test_the_graph_finds_an_import_circle_through_a_deferred_import(tmp_path):
    write(tmp_path, {
        "cli.py": "import engine\n",
        "engine.py": "import summary\n",
        "summary.py": "def version():\n    import cli\n",
        "pkg/__init__.py": "from importlib import import_module\n"
                           "def load(n):\n    return import_module(f'pkg.{n}')\n",
        "pkg/part.py": "from pkg import helper\n",
        "pkg/helper.py": "",
    })  # fmt: skip
    edges = codedeps.graph(tmp_path)
    assert edges["pkg.part"] == {"pkg.helper"}  # its own package is loaded first: no edge
    assert codedeps.cycle(edges) == ["cli", "engine", "summary", "cli"]
    del edges["summary"]
    assert codedeps.cycle(edges) == []


def test_no_import_circle_in_scripts():
    circle = codedeps.cycle(codedeps.graph(SCRIPTS))
    assert circle == [], "import circle: " + " -> ".join(circle)


# the memsweep script each rule runs (its script: directive)
RULE_SCRIPT = re.compile(
    r'^(?:rule|checkpoint) (\w+):.*?"\.\./\.\./scripts/(\w+\.py)"', re.M | re.S
)


def rule_scripts() -> dict[str, str]:
    found = {}
    for smk in (REPO / "workflow/rules").glob("*.smk"):
        for block in re.split(r"\n(?=rule |checkpoint )", smk.read_text()):
            match = RULE_SCRIPT.match(block.strip())
            if match:
                found[match.group(1)] = match.group(2)
    return found


def imported_at_run_time(script: str) -> set[str]:
    """The memsweep modules loading the script really imports (it is run as a module: the
    Snakemake hand-off at its end does nothing without Snakemake)."""
    code = (
        "import json, runpy, sys\n"
        f"sys.path.insert(0, {str(SCRIPTS)!r})\n"
        f"runpy.run_path({str(SCRIPTS / script)!r})\n"
        "print(json.dumps([getattr(m, '__file__', None) for m in list(sys.modules.values())]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    files = json.loads(proc.stdout.splitlines()[-1])
    return {f for f in files if f and f.startswith(str(SCRIPTS))}


@pytest.mark.parametrize("script", sorted(set(rule_scripts().values())))
def test_the_closure_holds_every_module_a_script_really_imports(script):
    closure = {str(path) for path in codedeps.closure(SCRIPTS / script)}
    assert imported_at_run_time(script) <= closure


JOB = re.compile(r"^(?:local)?(?:rule|checkpoint) (\w+):\n    input: (.*)$", re.M)


@pytest.fixture(scope="module")
def planned_inputs(tmp_path_factory):
    """{rule: input files} of every job a dry run of a campaign with variants, a comparison and a
    search plans, run from a folder outside the checkout ("<TBD>" for a job whose inputs are
    known only once a checkpoint ran)."""
    folder = tmp_path_factory.mktemp("inputs")
    overlay = {
        **SMALL_CAMPAIGN,
        "variants": {"base": {}, "new": {}},
        "compare": {"baseline": "base"},
        "search": [{"kind": "switch", "bucket_model": "auto", "low_mb": 300, "high_mb": 700}],
    }
    write_config(folder, overlay)
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-n", "--cores", "1",
         "--configfile", "campaign.yaml"],
        cwd=folder, capture_output=True, text=True, check=True,
    )  # fmt: skip
    inputs = {}
    for rule, listed in JOB.findall(proc.stdout + proc.stderr):
        inputs.setdefault(rule, set()).update(listed.split(", "))
    return inputs


def test_every_rule_depends_on_every_module_its_script_imports(planned_inputs):
    scripts = rule_scripts()
    # the monitor rule's command runs the run wrapper, whose code is the launch rule's input: a
    # changed module rewrites the variant's launch spec, and so reruns its runs
    scripts["launch"] = "monitor.py"
    assert set(scripts) <= set(planned_inputs)
    waiting = {rule for rule, inputs in planned_inputs.items() if "<TBD>" in inputs}
    assert waiting == {"search"}  # the search's last step decides its inputs
    for rule in set(scripts) - waiting:
        needed = {str(path) for path in codedeps.closure(SCRIPTS / scripts[rule])}
        assert needed <= planned_inputs[rule], (rule, sorted(needed - planned_inputs[rule]))


def test_the_workflow_starts_without_pandas():
    """Every Snakemake command (a dry run, a rerun, the end of a campaign) reads the rule files:
    the memsweep modules they import must not import pandas or numpy (about 0.6 s each time)."""
    text = "\n".join(p.read_text() for p in sorted((REPO / "workflow/rules").glob("*.smk")))
    lines = re.findall(r"^(?:import|from) (?!snakemake)\S+.*$", text, re.M)
    ours = [line for line in lines if (SCRIPTS / line.split()[1].split(".")[0]).exists()]
    assert any("campaign.plan" in line for line in ours) and len(ours) >= 8, ours
    code = "\n".join(["import sys", f"sys.path.insert(0, {str(SCRIPTS)!r})", *lines])
    code += "\nprint(sorted({'pandas', 'numpy'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

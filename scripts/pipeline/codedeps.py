"""The memsweep modules a script imports, directly or not: the code inputs of its rule.

Snakemake reruns a job when its `script:` file changes, not when a module that script imports
changes, nor when a file a `shell:` command runs changes. The workflow makes every module a rule's
script needs an input of that rule, found here from the imports themselves (read with `ast`, not
run), so that editing or upgrading any module reruns exactly the jobs that use it.

    >>> from pipeline import codedeps
    >>> files = codedeps.closure(codedeps.ROOT / "launch.py")
    >>> [p.relative_to(codedeps.ROOT).as_posix() for p in files]  # doctest: +NORMALIZE_WHITESPACE
    ['campaign/__init__.py', 'campaign/spec.py', 'cgroups.py', 'launch.py', 'pipeline/__init__.py',
     'pipeline/handoff.py']

What counts as an import of a memsweep module (a file under scripts/, or a package there):
`import a`, `import a.b`, `from a import b` (a module b of package a, or a name in a),
`from . import b` inside a package, and `importlib.import_module(f"a.{name}")`, a module of
package a chosen at run time, which depends on every module of a. Importing a module of a package
also runs the package's `__init__.py`. Standard-library and third-party imports are not files
here and are left out.
"""

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # scripts/: where memsweep's modules live
DYNAMIC_IMPORTS = ("import_module",)  # importlib's, called with a string that names the module


@cache
def modules(root: Path = ROOT) -> dict[str, Path]:
    """{dotted name: file} of every module under root: 'tables' -> tables.py, 'figures' ->
    figures/__init__.py, 'figures.style' -> figures/style.py."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts and all(part.isidentifier() for part in parts):
            found[".".join(parts)] = path
    return found


def _package_of(name: str, path: Path) -> str:
    """The package a module's relative imports start from."""
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _dynamic_prefix(node: ast.Call) -> str | None:
    """'a' for import_module(f"a.{...}") or import_module("a." + ...): a module of package a."""
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if called not in DYNAMIC_IMPORTS or not node.args:
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value  # a fixed name: an ordinary import
    head = arg.values[0] if isinstance(arg, ast.JoinedStr) and arg.values else arg
    if isinstance(arg, ast.BinOp):
        head = arg.left
    if isinstance(head, ast.Constant) and isinstance(head.value, str):
        return head.value.rstrip(".") + ".*"
    return None


def _statements(node):
    """Every statement under node, at any depth (bodies of functions, classes, if, try, ...)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
            yield child
            yield from _statements(child)


@cache
def imported(path: Path, name: str) -> set[str]:
    """The dotted names module `name` (file `path`) imports; 'a.*' stands for every module of
    package a (an import chosen at run time)."""
    text = path.read_text()
    tree = ast.parse(text, filename=str(path))
    package = _package_of(name, path)
    names = set()
    # import statements only (they sit in statement bodies, never inside expressions), and every
    # node only where a dynamic import can be: a walk of every node costs the DAG a few tenths
    dynamic = any(call in text for call in DYNAMIC_IMPORTS)
    for node in ast.walk(tree) if dynamic else _statements(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".") if package else []
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, *([base] if base else [])])
            if base:
                names.add(base)
            names.update(f"{base}.{alias.name}".lstrip(".") for alias in node.names)
        elif isinstance(node, ast.Call):
            prefix = _dynamic_prefix(node)
            if prefix:
                names.add(prefix)
    return names


def _expand(wanted: str, known: dict[str, Path]) -> list[str]:
    """The modules importing `wanted` loads: each package on its way, then the module itself (or,
    for 'a.*', every module of package a)."""
    if wanted.endswith(".*"):
        package = wanted[:-2]
        return [name for name in known if name == package or name.startswith(f"{package}.")]
    parts = wanted.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in known]


def closure(script: Path, root: Path = ROOT) -> list[Path]:
    """The script and every memsweep module it imports, directly or not, sorted by path."""
    known = modules(root)
    by_path = {path: name for name, path in known.items()}
    script = Path(script).resolve()
    start = by_path.get(script, script.stem)
    seen = {script: start}
    todo = [(script, start)]
    while todo:
        path, name = todo.pop()
        for wanted in imported(path, name):
            for module in _expand(wanted, known):
                if known[module] not in seen:
                    seen[known[module]] = module
                    todo.append((known[module], module))
    return sorted(seen, key=lambda path: path.relative_to(root).as_posix())


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    """{module: the memsweep modules it imports directly} for every module under root. A
    module's own packages are not among them: Python runs a package's __init__.py before any of
    its modules, whatever they import, so `from figures import style` in figures/bands.py is no
    circle with figures/__init__.py loading its modules.

    >>> sorted(graph()["sampler_contract"])
    []
    """
    known = modules(root)
    return {
        name: {
            module
            for wanted in imported(path, name)
            for module in _expand(wanted, known)
            if module != name and not name.startswith(f"{module}.")
        }
        for name, path in known.items()
    }


def cycle(edges: dict[str, set[str]]) -> list[str]:
    """An import circle in the graph, as the modules along it back to the first ([] when there
    is none).

    >>> cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    ['a', 'b', 'c', 'a']
    >>> cycle({"a": {"b"}, "b": set()})
    []
    """
    done, path = set(), []

    def visit(node: str) -> list[str]:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return []
        path.append(node)
        for after in sorted(edges.get(node, ())):
            found = visit(after)
            if found:
                return found
        path.pop()
        done.add(node)
        return []

    for start in sorted(edges):
        found = visit(start)
        if found:
            return found
    return []

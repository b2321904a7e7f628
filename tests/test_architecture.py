"""The package's own shape, read from its source with ``ast``: no import cycle between modules,
no private name (a leading underscore) used outside the module that defines it, and modules of
one idea (at most 600 lines), functions of one step (about 80 lines), one public name for one
thing, and the subsystems depending one way. Imports under ``if TYPE_CHECKING:`` are
annotations, not dependencies, and are not counted."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# package name -> folder (setuptools package-dir in pyproject.toml)
FOLDERS = {"stretto": ROOT / "stretto", "stretto.solver": ROOT / "solver",
           "stretto.renderer": ROOT / "renderer", "stretto.kernels": ROOT / "kernels",
           "stretto.corpora": ROOT / "corpora"}
MAX_LINES = 600
# Known debt, each with the reason; the test fails if one grows or another module joins it.
LONG: dict[str, tuple[int, str]] = {}
# private attributes of other libraries' objects (not stretto names)
FOREIGN_PRIVATE = {"hz._negative_number_matcher"}  # argparse: lets --transpose take -M2


def modules() -> dict[str, Path]:
    out = {}
    for package, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            parts = [p for p in path.relative_to(folder).with_suffix("").parts
                     if p != "__init__"]
            if package == "stretto" and parts and parts[0] in ("solver", "renderer"):
                continue
            out[".".join([package, *parts])] = path
    return out


MODULES = modules()


def _runtime_nodes(tree: ast.AST):
    """Every node outside ``if TYPE_CHECKING:`` blocks."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for child in node.body:
                skip.update(id(n) for n in ast.walk(child))
    return [n for n in ast.walk(tree) if id(n) not in skip]


def _imports(name: str) -> tuple[set[str], list[str]]:
    """The stretto modules ``name`` imports, and the private names it imports from them."""
    deps, private = set(), []
    for node in _runtime_nodes(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and \
                node.module.startswith("stretto"):
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                deps.add(target if target in MODULES else node.module)
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    private.append(f"{name} imports {target}")
        elif isinstance(node, ast.Import):
            deps.update(a.name for a in node.names if a.name in MODULES)
    return {d for d in deps if d in MODULES and d != name}, private


GRAPH = {name: _imports(name) for name in MODULES}


def test_no_import_cycle() -> None:
    """Tarjan's strongly connected components of the import graph: each a single module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(GRAPH[v][0]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                cycles.append(sorted(part))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert cycles == []


def test_no_private_name_crosses_a_module() -> None:
    imported = [p for _, (_, private) in GRAPH.items() for p in private]
    accessed = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and \
                    not node.attr.startswith("__"):
                base = node.value
                if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                    continue
                text = ast.unparse(node)
                if text not in FOREIGN_PRIVATE:
                    accessed.append(f"{name}: {text}")
    assert imported == [] and accessed == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_of_one_idea(name: str) -> None:
    lines = MODULES[name].read_text().count("\n")
    limit, _ = LONG.get(name, (MAX_LINES, ""))
    assert lines <= limit, f"{name} has {lines} lines (at most {limit})"


def test_the_graph_sees_the_package() -> None:
    """The scan finds the modules and their imports (a broken walk would pass vacuously)."""
    assert len(MODULES) > 80
    assert "stretto.solver.species.engine" in GRAPH["stretto.solver.species.edit"][0]
    assert "stretto.app.session" in GRAPH["stretto.app.edit"][0]


@pytest.mark.parametrize("lower, upper", [
    ("stretto.solver.cpsat", "stretto.solver.species"),
    ("stretto.solver.cpsat", "stretto.solver.tonal"),
    ("stretto.solver.species", "stretto.solver.tonal"),
    ("stretto.solver.tonal", "stretto.solver.species"),
    ("stretto", "stretto.app"),
], ids=["cpsat-not-species", "cpsat-not-tonal", "species-not-tonal", "tonal-not-species",
        "core-not-app"])
def test_subsystems_depend_one_way(lower: str, upper: str) -> None:
    """The shared CP-SAT layer imports neither subsystem; species and tonal import each other
    not at all; below the application layer nothing imports it (the CLI, studio and DAW edges
    sit above it)."""
    def inside(name: str, package: str) -> bool:
        return name == package or name.startswith(package + ".")

    edges = []
    for name, (imports, _) in GRAPH.items():
        if lower == "stretto":  # the core modules: stretto.<module>, not cli/app/studio edges
            below = name.count(".") == 1 and not name.startswith(("stretto.cli", "stretto.app"))
        else:
            below = inside(name, lower)
        if below:
            edges += [f"{name} -> {i}" for i in imports if inside(i, upper)]
    assert edges == []


MAX_FUNCTION = 80
# Functions still over MAX_FUNCTION lines, each with the reason (the test fails if one grows
# or another joins them).
LONG_FUNCTIONS: dict[str, tuple[int, str]] = {
    "stretto.kernels.flash._attention_kernel": (
        88, "one Triton program: the online-softmax loop keeps its running max, sum and "
            "accumulator in registers; helpers would only be inlined back"),
}


def _functions():
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield f"{name}.{node.name}", node.end_lineno - node.lineno + 1


def test_functions_stay_short() -> None:
    """Functions of one step: at most about 80 lines (a Triton kernel or a route table may be
    listed in LONG_FUNCTIONS with its reason)."""
    long = {f: n for f, n in _functions() if n > LONG_FUNCTIONS.get(f, (MAX_FUNCTION, ""))[0]}
    assert long == {}


# One public name, one thing: the same top-level name in two modules is allowed only where the
# modules implement one interface (each says so here).
SHARED_NAMES = {
    "add_parsers": "every stretto/cli_*.py registers its commands through it",
    "build_chain": "the chain-bound interface of solver/species/bounds (one per species)",
    "main": "an entry point (stretto.cli, the kernels' ahead-of-time compiler, the reference)",
    "regenerate": "the app operation and the two project kinds' implementations",
    "resolve": "the two project kinds' re-solve (species, chorale)",
    "explain": "the two project kinds' conflict explanation (species, chorale)",
    "check": "stretto.check is callable; stretto re-exports it",
    "write_project": "stretto.io re-exports stretto.io.project's",
    "made_by_stretto": "each DAW format's module says whether a file is its own output",
}
KERNEL_OPS = {"rms_norm", "swiglu", "rope", "attention", "decode_attention", "flow_step",
              "modulate", "harmonic_synth"}  # kernels/__init__ dispatches to the reference


def test_one_name_one_thing() -> None:
    where: dict[str, list[str]] = {}
    for name, path in MODULES.items():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and \
                    not node.name.startswith("_"):
                where.setdefault(node.name, []).append(name)
    twice = {n: m for n, m in where.items() if len(m) > 1 and n not in SHARED_NAMES
             and n not in KERNEL_OPS}
    assert twice == {}

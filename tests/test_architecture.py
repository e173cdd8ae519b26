"""The house's shape (docs/architecture.md): imports only go down the layers, and no module of casework
imports itself back through others. Read from the source with `ast`, so an import inside a function counts."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "casework"

# Lowest first. A module belongs to the first layer one of whose prefixes it starts with; the top layer
# (blueprints, web glue, jobs, cli) takes the rest.
LAYERS = (
    (
        "ground",
        (
            "casework.extensions",
            "casework.models",
            "casework.refusals",
            "casework.text",
            "casework.clock",
            "casework.ids",
            "casework.spreadsheets",
        ),
    ),
    (
        "rules",
        (
            "casework.permissions",
            "casework.deadlines",
            "casework.queue",
            "casework.replies",
            "casework.notices",
            "casework.audit",
            "casework.passwords",
        ),
    ),
    (
        "services",
        (
            "casework.workflow",
            "casework.intake",
            "casework.stats",
            "casework.accounts",
            "casework.sessions",
            "casework.second_factor",
            "casework.throttle",
            "casework.people",
            "casework.holidays",
            "casework.demo",
            "casework.notify",
            "casework.reminders",
            "casework.attachments",
            "casework.job_runs",
        ),
    ),
)
TOP_ONLY = ("routes", "forms", "labels", "cli")  # a last part of a module name that puts it on top, in any package
RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)} | {"top": len(LAYERS)}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def layer_of(module: str) -> str:
    if module.rsplit(".", 1)[-1] in TOP_ONLY:
        return "top"
    for name, prefixes in LAYERS:
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return name
    return "top"


def _known(target: str) -> str | None:
    """The casework module `target` (a module or a name in one) lives in, or None for another package."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def _targets(module: str, node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        package = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    return [f"{base}.{a.name}" for a in node.names]


def imports_of(module: str) -> set[str]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = {_known(t) for node in ast.walk(tree) for t in _targets(module, node)}
    return found - {None, module}


GRAPH = {module: imports_of(module) for module in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while not group or group[-1] != v:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_of_casework_imports_itself_back():
    assert cycles(GRAPH) == []


def test_imports_only_go_down_the_layers():
    upward = sorted(
        f"{module} ({layer_of(module)}) imports {target} ({layer_of(target)})"
        for module, targets in GRAPH.items()
        for target in targets
        if RANK[layer_of(target)] > RANK[layer_of(module)]
    )
    assert upward == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_an_import_inside_a_function_counts(tmp_path):
    source = "def f():\n    from .display import ACTION_LABELS\n"
    nodes = list(ast.walk(ast.parse(source)))
    assert "casework.display.ACTION_LABELS" in [t for n in nodes for t in _targets("casework.workflow", n)]


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("casework.models.cases", "ground"),
        ("casework.queue", "rules"),
        ("casework.intake.ingest", "services"),
        ("casework.intake.routes", "top"),
        ("casework.stats.cli", "top"),
        ("casework.display", "top"),
    ],
)
def test_each_module_has_its_layer(module, layer):
    assert layer_of(module) == layer

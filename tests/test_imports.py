"""Dependencies point one way: webhooks -> calls -> leads -> properties, and nothing goes round.

A small AST walk over the project's modules (every import, at module level or inside a function;
imports under `if TYPE_CHECKING:` are left out, they never run). The rules are the README's
architecture map; each test names the imports that break them.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("config", "properties", "leads", "voice")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _project_modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    }


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Ids of import nodes that sit under `if TYPE_CHECKING:`."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        test = getattr(node, "test", None)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(test):
            guarded |= {id(inner) for stmt in node.body for inner in ast.walk(stmt)}
    return guarded


def _imports(module: str, path: Path, modules: set[str]) -> Iterator[tuple[str, int]]:
    """(imported project module, line) for every import `module` runs."""
    tree = ast.parse(path.read_text(), filename=str(path))
    guarded = _type_checking_only(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from voice import sql` imports the module voice.sql; `from voice.sql import x`
            # imports voice.sql.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if target.split(".")[0] in APPS:
                yield target, node.lineno


def import_graph() -> dict[str, dict[str, int]]:
    """module -> {imported project module: first line}."""
    paths = _project_modules()
    graph: dict[str, dict[str, int]] = {}
    for module, path in paths.items():
        edges = graph.setdefault(module, {})
        for target, line in _imports(module, path, set(paths)):
            edges.setdefault(target, line)
    return graph


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def violations(
    graph: dict[str, dict[str, int]], *, importer: str, forbidden: tuple[str, ...]
) -> list[str]:
    """Imports from modules in `importer` of modules in any of `forbidden`."""
    return sorted(
        f"{module}:{line} imports {target}"
        for module, edges in graph.items()
        if _within(module, importer)
        for target, line in edges.items()
        if any(_within(target, package) for package in forbidden)
    )


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected groups of two or more modules (Tarjan), and self-imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, {}):
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, dict[str, int]]:
    return import_graph()


RULES = [
    # (importer, must not import, why)
    ("properties", ("leads", "voice"), "properties is the leaf app"),
    ("leads", ("voice",), "leads must not import voice (activities point at calls by Vapi id)"),
    ("voice.vapi", ("config", "properties", "leads", "voice"), "vapi imports nothing of ours"),
    ("voice.calls", ("voice.webhooks", "voice.assistants", "voice.api", "voice.admin"), ""),
    ("voice.assistants", ("voice.webhooks", "voice.api", "voice.admin"), ""),
    ("voice.webhooks", ("voice.api", "voice.admin"), ""),
    ("voice.retention", ("voice.webhooks", "voice.api", "voice.admin", "voice.campaigns"), ""),
    ("voice.api", ("voice.webhooks", "voice.admin"), ""),
    ("voice.sql", ("voice.calls", "voice.assistants", "voice.webhooks", "leads"), ""),
    ("voice.simulator", ("properties", "leads", "config", "voice.calls", "voice.webhooks"), ""),
]


@pytest.mark.parametrize(("importer", "forbidden", "why"), RULES, ids=[r[0] for r in RULES])
def test_imports_point_one_way(graph, importer, forbidden, why):
    allowed_inside = (importer,) if importer == "voice.vapi" else ()
    found = [
        line
        for line in violations(graph, importer=importer, forbidden=forbidden)
        if not any(line.split(" imports ")[1].startswith(p) for p in allowed_inside)
    ]
    assert found == [], why


def test_no_import_cycles(graph):
    assert cycles(graph) == []


def test_management_commands_do_not_import_each_other(graph):
    commands = {module for module in graph if ".management.commands." in module}
    assert [
        f"{module} imports {target}"
        for module in sorted(commands)
        for target in graph[module]
        if target in commands
    ] == []


# The checker itself: it must see what it is meant to forbid.


def test_violations_and_cycles_are_found():
    fake = {
        "leads.services": {"voice.calls.services": 3},
        "voice.calls.services": {"voice.webhooks.tools": 7, "leads.services": 9},
        "voice.webhooks.tools": {"voice.calls.services": 2},
        "voice.vapi.client": {"voice.vapi.core": 1, "config.settings": 4},
    }
    assert violations(fake, importer="leads", forbidden=("voice",)) == [
        "leads.services:3 imports voice.calls.services"
    ]
    assert violations(fake, importer="voice.calls", forbidden=("voice.webhooks",)) == [
        "voice.calls.services:7 imports voice.webhooks.tools"
    ]
    assert violations(fake, importer="voice.vapi", forbidden=("config",)) == [
        "voice.vapi.client:4 imports config.settings"
    ]
    assert cycles(fake) == [["leads.services", "voice.calls.services", "voice.webhooks.tools"]]


def test_the_graph_reads_the_project(graph):
    assert "voice.calls.services" in graph["voice.webhooks.handlers"]
    assert "voice.sql" in graph["voice.webhooks.handlers"]  # `from voice import sql`

"""The floor plan of docs/architecture.md, checked: imports run one way only,
production code never imports the synthetic-form generator, and modules stay
small. Imports under `if TYPE_CHECKING:` are for type checkers only and are
left out."""

from __future__ import annotations

import ast
from pathlib import Path

from dangan.errors import DanganError, ExitCode

ROOT = Path(__file__).parent.parent

# room -> the rooms it may import (besides itself). Mirrors docs/architecture.md.
ALLOWED: dict[str, set[str]] = {
    "kernel": set(),
    "catalog": {"kernel"},
    "ocr": {"kernel"},
    "services": {"kernel", "catalog"},
    "retention": {"kernel", "catalog", "services"},
    "preservation": {"kernel", "catalog", "services", "retention"},
    "ingest": {"kernel", "catalog", "ocr", "retention", "services", "preservation"},
    "assembly": {"kernel", "catalog", "ocr", "services", "retention", "preservation", "ingest"},
}
_BELOW_FRONT_DOORS = ALLOWED["assembly"] | {"assembly"}
ALLOWED["api"] = _BELOW_FRONT_DOORS
ALLOWED["cli"] = _BELOW_FRONT_DOORS | {"api"}
# the generator may use production code (schedule, check digits, fonts)
ALLOWED["synth"] = set(_BELOW_FRONT_DOORS)
ROOMS = ("catalog", "ocr", "retention", "preservation", "ingest", "api")
SERVICES = {"access", "audit", "events", "catchup", "pdf"}
ASSEMBLY = {"archive"}
# the one place outside bench/ and tests/ that may import the generator
GENERATOR_USERS = {"dangan.cli_samples"}
MAX_LINES = 500
# data written as Python, not logic: the generator's form texts
LONG_DATA_MODULES = {"dangan/synth/content.py"}


def room(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "dangan":
        return None
    if len(parts) == 1:
        return "kernel"
    if parts[1] in ROOMS:
        return parts[1]
    if parts[1] == "synth":
        return "synth"
    if parts[1].startswith("cli") or parts[1] == "__main__":
        return "cli"
    if parts[1] in SERVICES:
        return "services"
    if parts[1] in ASSEMBLY:
        return "assembly"
    return "kernel"


def production_modules() -> list[tuple[str, Path]]:
    found = []
    for top in ("dangan", *ROOMS):
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if top != "dangan":  # installed as dangan.<room> (pyproject.toml)
                parts = ["dangan", *parts]
            found.append((".".join(parts), path))
    return found


def _type_checking_block(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import that runs, at module level or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if _type_checking_block(node):
            skipped.update(id(n) for child in node.body for n in ast.walk(child))
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def test_imports_run_in_the_direction_of_the_floor_plan():
    wrong = []
    for module, path in production_modules():
        source = room(module)
        for line, target in imports_of(path):
            target_room = room(target)
            if target_room is None or target_room == source:
                continue
            if target_room == "synth" and module in GENERATOR_USERS:
                continue
            if target_room not in ALLOWED[source]:
                wrong.append(
                    f"{path.relative_to(ROOT)}:{line} {source} -> {target_room} ({target})"
                )
    assert not wrong, "imports against docs/architecture.md:\n" + "\n".join(wrong)


def test_production_code_does_not_import_the_generator():
    users = []
    for module, path in production_modules():
        if room(module) == "synth" or module in GENERATOR_USERS:
            continue
        users += [
            f"{path.relative_to(ROOT)}:{line} {target}"
            for line, target in imports_of(path)
            if target == "dangan.synth" or target.startswith("dangan.synth.")
        ]
    assert not users, "production code imports the generator:\n" + "\n".join(users)


def test_the_checker_sees_a_wrong_import(tmp_path: Path):
    """The rule above is not vacuous: a kernel module importing catalog is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from dangan.catalog.base import Record\nif TYPE_CHECKING:\n    import dangan.ocr.base\n"
    )
    found = imports_of(bad)
    assert found == [(1, "dangan.catalog.base")]
    assert (
        room("dangan.config") == "kernel"
        and room("dangan.catalog.sql") == "catalog"
        and "catalog" not in ALLOWED["kernel"]
    )


def test_modules_stay_small():
    long = [
        f"{path.relative_to(ROOT)} ({n} lines)"
        for _, path in production_modules()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
        and str(path.relative_to(ROOT)) not in LONG_DATA_MODULES
    ]
    assert not long, f"modules over {MAX_LINES} lines:\n" + "\n".join(long)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_error_exits_with_a_named_code():
    """One exit-code enum: every error class exits with an ExitCode member, never
    argparse's usage code 2."""
    import importlib

    for module, _ in production_modules():
        if room(module) != "synth" and not module.endswith(("__main__", ".env")):
            importlib.import_module(module)
    classes = list(_subclasses(DanganError))
    assert len(classes) > 10
    for cls in classes:
        assert isinstance(cls.exit_code, ExitCode), cls
        assert cls.exit_code not in (ExitCode.OK, ExitCode.USAGE), cls


# --- SQL is owned by the catalog --------------------------------------------
# No production module outside catalog/ runs a statement itself; subsystems with
# tables of their own in the catalog database call a store in catalog/stores/.

SQL_CALLS = {"execute", "executemany", "executescript", "exec_driver_sql"}

# Modules still allowed to run SQL themselves: only retention/procedure.py,
# which another change is rewriting at the same time. Its statements move into
# catalog/stores/disposal.py once that is merged, and this list is then emptied.
# (api/routes/disposal.py runs none: its `destruction.execute(...)` calls a function.)
# modules outside catalog/ still allowed to run SQL: none (keep it that way)
SQL_ALLOWED: set[str] = set()


def _module_names(tree: ast.Module) -> set[str]:
    """Names bound by imports: `destruction.execute(...)` calls a function of
    a module, not a statement on a connection."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def sql_calls(root: Path) -> dict[str, list[int]]:
    """Production module outside catalog/ (relative path) -> line numbers of its
    SQL calls (`.execute(`, `.executemany(`, `.executescript(`, `.exec_driver_sql(`)."""
    found: dict[str, list[int]] = {}
    for package in ("dangan", *ROOMS):
        if package == "catalog":
            continue
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            modules = _module_names(tree)
            lines = [
                node.lineno
                for node in ast.walk(tree)
                if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in SQL_CALLS
                and not (isinstance(node.func.value, ast.Name) and node.func.value.id in modules)
            ]
            if lines:
                found[path.relative_to(root).as_posix()] = sorted(lines)
    return found


def test_no_sql_outside_the_catalog():
    outside = {m: lines for m, lines in sql_calls(ROOT).items() if m not in SQL_ALLOWED}
    assert outside == {}, (
        "SQL outside catalog/ (module: lines); put it into a store in catalog/stores/"
    )


def test_the_allow_list_names_only_modules_that_still_need_it():
    """An entry whose module no longer runs SQL must go, so the list only shrinks."""
    assert SQL_ALLOWED <= set(sql_calls(ROOT)), SQL_ALLOWED - set(sql_calls(ROOT))


def test_the_scan_sees_a_statement_and_not_a_module_function(tmp_path: Path):
    (tmp_path / "ingest").mkdir()
    (tmp_path / "ingest" / "m.py").write_text(
        "from dangan.retention import destruction\n"
        "def f(conn, archive):\n"
        "    destruction.execute(archive)\n"
        "    conn.execute('SELECT 1')\n"
        "    archive.catalog.connection().executemany('DELETE FROM t', [])\n",
        encoding="utf-8",
    )
    assert sql_calls(tmp_path) == {"ingest/m.py": [4, 5]}


def test_the_rooms_install_inside_the_dangan_package():
    """No top-level name but `dangan` in the wheel: every package folder of a room
    is listed under dangan.<room> in pyproject.toml, and nothing else is."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    listed = set(config["setuptools"]["packages"])
    on_disk = {module for module, path in production_modules() if path.name == "__init__.py"}
    assert listed == on_disk
    assert all(name == "dangan" or name.startswith("dangan.") for name in listed)
    mapping = config["setuptools"]["package-dir"]
    assert mapping == {"dangan": "dangan", **{f"dangan.{r}": r for r in ROOMS}}


def test_no_import_cycles_between_modules():
    """No two production modules import each other, directly or round about
    (imports inside functions count: they are how a cycle hides)."""
    modules = {module: path for module, path in production_modules()}
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        deps = set()
        for _, target in imports_of(path):
            parts = target.split(".")
            while parts and ".".join(parts) not in modules:
                parts = parts[:-1]
            found = ".".join(parts)
            if found and found != module and not module.startswith(found + "."):
                deps.add(found)
        graph[module] = deps
    cycles, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join([*trail[trail.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)

"""SQL is owned by the catalog (docs/architecture.md): no production module
outside `catalog/` runs a statement itself. Subsystems with tables of their own
in the catalog database call a store in catalog/stores/ instead."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = ("api", "dangan", "ingest", "ocr", "retention")
SQL_CALLS = {"execute", "executemany", "executescript", "exec_driver_sql"}

# Modules still allowed to run SQL themselves: only retention/procedure.py,
# which another change is rewriting at the same time. Its statements move into
# catalog/stores/disposal.py once that is merged, and this list is then emptied.
# (api/routes/disposal.py runs none: its `destruction.execute(...)` calls a function.)
ALLOWED = {
    "retention/procedure.py",  # appraisal, approval and holds of disposal batches
}


def _module_names(tree: ast.Module) -> set[str]:
    """Names bound by imports: `destruction.execute(...)` calls a function of
    a module, not a statement on a connection."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def sql_calls(root: Path) -> dict[str, list[int]]:
    """Production module (relative path) -> line numbers of its SQL calls."""
    found: dict[str, list[int]] = {}
    for package in PRODUCTION:
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
    outside = {m: lines for m, lines in sql_calls(ROOT).items() if m not in ALLOWED}
    assert outside == {}, (
        "SQL outside catalog/ (module: lines); put it into a store in catalog/stores/"
    )


def test_the_allow_list_names_only_modules_that_still_need_it():
    """An entry whose module no longer runs SQL must go, so the list only shrinks."""
    assert ALLOWED <= set(sql_calls(ROOT)), ALLOWED - set(sql_calls(ROOT))


def test_the_scan_sees_a_statement_and_not_a_module_function(tmp_path: Path):
    (tmp_path / "ingest").mkdir()
    (tmp_path / "ingest" / "m.py").write_text(
        "from retention import destruction\n"
        "def f(conn, archive):\n"
        "    destruction.execute(archive)\n"
        "    conn.execute('SELECT 1')\n"
        "    archive.catalog.connection().executemany('DELETE FROM t', [])\n",
        encoding="utf-8",
    )
    assert sql_calls(tmp_path) == {"ingest/m.py": [4, 5]}

"""The tests' own shape: no module here imports a test file (shared helpers are in helpers.py, shared fixtures
in conftest.py), and no test file grows past 400 lines before it is split by what its tests pin."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
TEST_FILES = sorted(TESTS.glob("test_*.py"))
MODULES = sorted(TESTS.glob("*.py"))  # the test files, conftest.py and the helper modules
MOST_LINES = 400


def imported_modules(path: Path) -> set[str]:
    """Every module the file imports, at its top or inside a function, as written."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def is_test_module(name: str) -> bool:
    """`tests.test_x` or `test_x` (pytest puts tests/ on the path, so both reach the same file)."""
    last = name.removeprefix("tests.")
    return "." not in last and last.startswith("test_")


def test_the_layout_finds_the_test_files():
    assert len(TEST_FILES) > 50 and Path(__file__) in TEST_FILES


def test_no_module_of_the_tests_imports_a_test_file():
    wrong = [f"{p.name} imports {m}" for p in MODULES for m in sorted(imported_modules(p)) if is_test_module(m)]
    assert not wrong, "move what they share to helpers.py (functions) or conftest.py (fixtures):\n" + "\n".join(wrong)


def test_no_test_file_is_over_the_line_limit():
    lengths = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in TEST_FILES}
    long = [f"{name}: {n} lines" for name, n in lengths.items() if n > MOST_LINES]
    assert not long, f"split these by what their tests pin (at most {MOST_LINES} lines):\n" + "\n".join(long)

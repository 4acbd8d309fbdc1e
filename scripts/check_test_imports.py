"""Fails when a module of tests/ imports a test module (test_*.py) or a conftest.py: shared helpers live in
tests/support/, fixtures in conftest.py files (pytest loads those itself). Imports inside functions count.

import-linter cannot say this (its wildcards replace whole module names, not `test_*`), so this asks grimp,
the import graph import-linter is built on, directly (scripts/test runs it)."""

from __future__ import annotations

import sys
from pathlib import Path

import grimp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    graph = grimp.build_graph("tests", include_external_packages=False, cache_dir=None)
    problems = []
    for module in sorted(graph.modules):
        name = module.rsplit(".", 1)[-1]
        if not (name.startswith("test_") or name == "conftest"):
            continue
        for importer in sorted(graph.find_modules_that_directly_import(module)):
            for detail in graph.get_import_details(importer=importer, imported=module):
                problems.append(f"{importer} (line {detail['line_number']}) imports {module}")
    for problem in problems:
        print(f"error: {problem}; move what it shares to tests/support/", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""Runtime code (`hemjax/` and `envs/` outside `envs/reference/`) never imports the reference
tooling, so checking tools never ship inside a training run."""

from __future__ import annotations

import ast
from pathlib import Path

REFERENCE = "envs.reference"


def references(source: str) -> list[str]:
    """Names of `envs.reference` modules that `source` imports or names in a string."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)  # importlib / registry strings
    return [name for name in found if name == REFERENCE or name.startswith(REFERENCE + ".")]


def runtime_modules(root: Path) -> list[Path]:
    reference = root / "envs" / "reference"
    paths = sorted((root / "hemjax").rglob("*.py")) + sorted((root / "envs").rglob("*.py"))
    return [path for path in paths if reference not in path.parents]


def test_runtime_modules_never_import_the_reference_area(project_root):
    modules = runtime_modules(project_root)
    assert len(modules) > 10 and any(path.name == "core.py" for path in modules)
    offenders = {
        str(path.relative_to(project_root)): found
        for path in modules
        if (found := references(path.read_text()))
    }
    assert offenders == {}


def test_the_scan_sees_every_form_of_import():
    forms = [
        "import envs.reference.scripts",
        "from envs.reference import scripts",
        "from envs.reference.episode_runner import EpisodeRunner",
        "importlib.import_module('envs.reference.c_replay')",
    ]
    assert all(references(form) for form in forms)
    assert references("from envs import reference") == ["envs.reference"]
    assert references("import envs.mjx.fetch\nfrom envs.core import Box") == []

"""The package's import drawing: no cycle, no stage importing a later one, no registration on import."""

from __future__ import annotations

import ast
import pathlib

import pytest

import melwav
from melwav import frameworks

PKG = pathlib.Path(melwav.__file__).resolve().parent


def _module_name(path: pathlib.Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: pathlib.Path) -> set[str]:
    """Every melwav module ``path`` imports, at module level or inside a function."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("melwav")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("melwav"):
                continue
            for alias in node.names:  # "from . import x" imports the submodule x
                sub = f"{target}.{alias.name}"
                out.add(sub if (PKG.parent / sub.replace(".", "/")).with_suffix(".py").exists()
                        or (PKG.parent / sub.replace(".", "/") / "__init__.py").exists() else target)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            out.add("importlib.import_module")  # dynamic imports hide edges: refused below
    out.discard(name)
    return out


def graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in PKG.rglob("*.py")}


def test_no_dynamic_imports():
    assert [m for m, deps in graph().items() if "importlib.import_module" in deps] == []


def test_no_import_cycle():
    g = graph()
    # Peel off modules that import nothing left; a cycle never empties. The package __init__ (which
    # re-exports the stages, and whose __version__ pipeline reads) is the one node left out.
    remaining = {m: {d for d in deps if d in g} - {"melwav"} for m, deps in g.items() if m != "melwav"}
    while True:
        leaves = [m for m, deps in remaining.items() if not deps]
        if not leaves:
            break
        for m in leaves:
            del remaining[m]
        for deps in remaining.values():
            deps.difference_update(leaves)
    assert remaining == {}, f"import cycle among {sorted(remaining)}"


def test_frameworks_never_import_later_stages():
    later = {"melwav.specaugment", "melwav.reconstruction", "melwav.pipeline", "melwav.lab", "melwav.plot",
             "melwav.explain", "melwav.cli", "melwav.audio", "melwav"}
    g = graph()
    for module, deps in g.items():
        if module.startswith("melwav.frameworks"):
            assert deps & later == set(), module
    assert g["melwav.records"] <= {"melwav.errors"}
    assert "melwav.frameworks" in g["melwav.specaugment"]


def test_registry_is_explicit():
    """One module per framework, each with the whole interface the package docstring lists."""
    for name in frameworks.FRAMEWORKS:
        m = frameworks.get(name)
        assert m.NAME == name
        for attr in ("UNITS", "ORDER", "FILLS", "WARPS", "OPERATIONS", "detect", "parse", "fields", "draw_many",
                     "draw", "export", "fill_explanation"):
            assert hasattr(m, attr), (name, attr)
    # Derived from the files: every public module in melwav/frameworks/ is registered, and nothing else.
    files = {p.stem for p in (PKG / "frameworks").glob("*.py") if not p.stem.startswith("_")}
    assert set(frameworks.FRAMEWORKS) == files and len(frameworks.FRAMEWORKS) == len(files)
    assert frameworks.FRAMEWORKS[:4] == ("torchaudio", "espnet", "nemo", "lingvo")  # the first four, in CLI order


def test_every_package_folder_is_in_the_distribution():
    """A subpackage missing from pyproject's list is left out of the wheel (melwav.frameworks once was)."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the 3.10 runs rely on the wheel check in .ci/run

    root = PKG.parent
    setup = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(setup["packages"])
    for top in ("melwav", "melwav_lab"):
        for init in (root / top).rglob("__init__.py"):
            name = ".".join(init.parent.relative_to(root).parts)
            assert name in listed, f"{name} (a folder with __init__.py) is not in pyproject's packages"
    for name in listed:  # and each listed one exists, in its own folder or the one package-dir maps it to
        folder = root / setup.get("package-dir", {}).get(name, name.replace(".", "/"))
        assert folder.is_dir(), name


def test_a_frameworks_own_operation_is_drawn_into_extra_and_applied_in_order(monkeypatch):
    """The hook issue 14 needs (e.g. WeNet's spec_sub): a framework's OPERATIONS entry runs at its place in
    the record's order, with what its draw stored in ``extra``; the record round-trips through JSON."""
    import numpy as np

    from melwav import specaugment
    from melwav.records import AugmentRecord, MaskDraw

    calls = []

    def zero_rows(L, drawn, *, value):
        calls.append(drawn)
        out = np.array(L, copy=True)
        out[..., drawn["rows"], :] = -1.0
        return out

    monkeypatch.setitem(frameworks.get("espnet").OPERATIONS, "rows_off", zero_rows)
    rec = AugmentRecord(4, 6, None, (), (MaskDraw(0, 2),), fill="value", fill_db=-5.0, convention="espnet",
                        order=("warp", "freq", "rows_off", "time"), extra=(("rows_off", {"rows": [3]}),))
    back = AugmentRecord.from_dict(rec.to_dict())
    assert back == rec
    out = specaugment.apply(np.zeros((4, 6), np.float32), back)
    assert calls == [{"rows": [3]}]
    assert np.all(out[3, 2:] == -1.0) and np.all(out[:, :2] == -5.0)  # rows_off ran before the time mask
    assert rec.only("rows_off").order == ("warp", "freq", "rows_off", "time")

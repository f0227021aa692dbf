"""Every module of service/ and worker/ sits in a layer of the import contract, so none escapes it."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _layered() -> set[str]:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    return {name.strip() for layer in layers for name in layer.replace(":", "|").split("|")}


def _top_level(package: str) -> set[str]:
    here = ROOT / package
    names = {p.stem for p in here.glob("*.py") if p.stem != "__init__"}
    names |= {p.name for p in here.iterdir() if (p / "__init__.py").exists()}
    return {f"{package}.{name}" for name in names}


def test_every_top_level_module_is_named_in_the_layers_contract():
    """A new module outside every layer would be free to import anything; the contract must place it."""
    layered = _layered()
    modules = _top_level("service") | {"worker"}
    missing = sorted(m for m in modules if m not in layered and not any(m.startswith(f"{p}.") for p in layered))
    assert missing == [], f"add these to the layers contract in pyproject.toml: {missing}"

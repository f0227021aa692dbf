"""The dependency lock, checked offline: every package pinned and hashed, and the tested environment is the lock.

This is not a vulnerability scan. A scan needs an advisory database (PyPI's JSON API or OSV), and
no offline copy of one ships on PyPI; ``make audit`` runs pip-audit against this lock wherever
those services are reachable (see SECURITY.md). What this test guarantees without a network: no
package can slip in unpinned or without a hash (``pip install --require-hashes`` would then take
whatever the index serves), pyproject.toml and the lock agree, and the suite runs on exactly the
versions that ship, so an advisory for a locked version applies to what we tested.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s\\;]+)\s*\\?$")
# Where pip looks; hashes make the source irrelevant to what gets installed.
INDEX_OPTIONS = ("--index-url ", "--extra-index-url ", "--find-links ")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def locked() -> dict[str, tuple[str, int]]:
    """{canonical name: (version, number of hashes)}, failing on any requirement line that is not a pin."""
    entries: dict[str, tuple[str, int]] = {}
    current = None
    for number, line in enumerate((ROOT / "requirements.lock").read_text().splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith(INDEX_OPTIONS):
            continue
        if stripped.startswith("--hash="):
            assert current and HASH.fullmatch(stripped.rstrip(" \\")), f"requirements.lock:{number}: {stripped}"
            version, hashes = entries[current]
            entries[current] = (version, hashes + 1)
            continue
        match = PIN.match(stripped)
        assert match, f"requirements.lock:{number}: not an exact pin: {stripped!r}"
        current = canonicalize_name(match["name"])
        assert current not in entries, f"requirements.lock:{number}: {current} is pinned twice"
        entries[current] = (match["version"], 0)
    return entries


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [r for group in project.get("optional-dependencies", {}).values() for r in group]
    return [Requirement(r) for r in project["dependencies"] + extras]


def test_every_locked_package_is_pinned_with_hashes():
    entries = locked()
    assert len(entries) > 50
    assert [name for name, (_, hashes) in entries.items() if hashes == 0] == []


def test_every_declared_dependency_is_locked_at_a_version_it_accepts():
    entries = locked()
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in entries, f"{requirement} is declared in pyproject.toml but not locked"
        assert requirement.specifier.contains(entries[name][0], prereleases=True), \
            f"{requirement}: the lock has {entries[name][0]}"


def test_the_tested_environment_is_the_lock():
    """Versions that drift from the lock (a hand-run pip install) would make this suite vouch for the wrong code."""
    drift = {}
    for name, (version, _) in locked().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            drift[name] = (version, installed)
    assert drift == {}

"""The lock files pin every dependency pyproject.toml names, each with hashes, so the image and
bootstrap install only checked files and the lock cannot drift from pyproject.toml."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# lock file -> the extra it adds to the runtime dependencies (scripts/lock.sh)
LOCKS = {"requirements.lock": "ops", "requirements-test.lock": "test"}


def _locked(lock: str) -> dict[str, tuple[Version, int]]:
    """name -> (pinned version, number of sha256 hashes)."""
    entries: dict[str, tuple[Version, int]] = {}
    for block in re.split(r"\n(?=\S)", (ROOT / lock).read_text()):
        if block.startswith("#") or not block.strip():
            continue
        match = re.match(r"([A-Za-z0-9._-]+)==([^\s;\\]+)", block)
        assert match, f"{lock}: not pinned with ==: {block.splitlines()[0]!r}"
        hashes = re.findall(r"--hash=sha256:[0-9a-f]{64}\b", block)
        entries[canonicalize_name(match[1])] = (Version(match[2]), len(hashes))
    return entries


def _declared(extra: str) -> list[Requirement]:
    project = PYPROJECT["project"]
    names = [
        *project["dependencies"],
        *project["optional-dependencies"][extra],
        *PYPROJECT["build-system"]["requires"],
        *PYPROJECT["dependency-groups"]["build"],
    ]
    return [Requirement(name) for name in names]


@pytest.mark.parametrize("lock", list(LOCKS))
def test_every_declared_dependency_is_pinned_in_the_lock(lock: str) -> None:
    locked = _locked(lock)
    for requirement in _declared(LOCKS[lock]):
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{lock} lacks {requirement}: run `bash scripts/lock.sh`"
        version, _ = locked[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock} pins {name}=={version}, pyproject.toml asks {requirement}: "
            "run `bash scripts/lock.sh`"
        )


@pytest.mark.parametrize("lock", list(LOCKS))
def test_every_locked_package_has_a_hash(lock: str) -> None:
    unhashed = [name for name, (_, hashes) in _locked(lock).items() if hashes == 0]
    assert not unhashed

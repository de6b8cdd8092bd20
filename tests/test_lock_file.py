"""The lock files pin, exactly and within its range, every dependency pyproject.toml names.

pyproject.toml keeps loose ranges; requirements/lock.txt (runtime) and requirements/dev-lock.txt
(runtime + dev) pin what CI and the servers install. Regenerate both with `scripts/lock` after
changing a range; these tests fail until then.
"""

import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = [Requirement(line) for line in PROJECT["dependencies"]]
DEV = [Requirement(line) for line in PROJECT["optional-dependencies"]["dev"]]
LOCK = ROOT / "requirements" / "lock.txt"
DEV_LOCK = ROOT / "requirements" / "dev-lock.txt"
#: Which lock file must satisfy which of pyproject's lists.
CASES = [(LOCK, r) for r in RUNTIME] + [(DEV_LOCK, r) for r in RUNTIME + DEV]


def read_lock(path: Path) -> dict[str, Requirement]:
    """Every requirement line of a pip-compile output, by canonical name."""
    pins = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        requirement = Requirement(line)
        pins[canonicalize_name(requirement.name)] = requirement
    return pins


def pinned_version(pins: dict[str, Requirement], name: str) -> Version:
    requirement = pins.get(canonicalize_name(name))
    assert requirement is not None, f"{name} is not in the lock file: run scripts/lock"
    specifiers = list(requirement.specifier)
    assert len(specifiers) == 1 and specifiers[0].operator == "==", (
        f"{requirement} is not an exact == pin"
    )
    return Version(specifiers[0].version)


@pytest.mark.parametrize(
    ("lock", "requirement"), CASES, ids=[f"{lock.name}:{r.name}" for lock, r in CASES]
)
def test_each_dependency_is_pinned_within_its_range(lock, requirement):
    if requirement.marker is not None and not requirement.marker.evaluate():
        pytest.skip(f"{requirement} does not apply on this platform")
    version = pinned_version(read_lock(lock), requirement.name)
    assert requirement.specifier.contains(version, prereleases=True), (
        f"{requirement.name}=={version} in {lock.name} is outside pyproject's "
        f"{requirement.specifier}: run scripts/lock"
    )


@pytest.mark.parametrize(
    ("lock", "requirement"),
    [(lock, r) for lock, r in CASES if r.extras],
    ids=[f"{lock.name}:{r}" for lock, r in CASES if r.extras],
)
def test_the_extras_asked_for_are_pinned_too(lock, requirement):
    """fakeredis[lua] needs lupa, psycopg[binary] needs psycopg-binary: both must be locked."""
    try:
        declared = metadata.requires(requirement.name) or []
    except metadata.PackageNotFoundError:
        pytest.fail(f"{requirement.name} is not installed: install the dev lock first")
    pins = read_lock(lock)
    for extra in requirement.extras:
        needed = [
            Requirement(line)
            for line in declared
            if Requirement(line).marker is not None
            and Requirement(line).marker.evaluate({"extra": extra})
        ]
        assert needed, f"{requirement.name} declares nothing for [{extra}]"
        for dependency in needed:
            version = pinned_version(pins, dependency.name)
            assert dependency.specifier.contains(version, prereleases=True), (
                f"{dependency.name}=={version} does not satisfy {dependency}"
            )


def test_every_line_of_the_lock_files_is_an_exact_pin():
    for lock in (LOCK, DEV_LOCK):
        pins = read_lock(lock)
        assert pins, f"{lock.name} is empty"
        for name in pins:
            pinned_version(pins, name)
        assert "wenxu" not in pins, "the project itself is installed with `-e . --no-deps`"


def test_both_lock_files_agree_on_the_runtime_versions():
    """Production runs the versions the tests ran against."""
    runtime, dev = read_lock(LOCK), read_lock(DEV_LOCK)
    assert set(runtime) <= set(dev), "the runtime lock has packages the dev lock lacks"
    differ = {name: (str(runtime[name]), str(dev[name])) for name in runtime}
    differ = {name: pair for name, pair in differ.items() if pair[0] != pair[1]}
    assert differ == {}, "run scripts/lock: lock.txt and dev-lock.txt disagree"

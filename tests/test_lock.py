"""requirements.lock: exact versions with hashes, within pyproject.toml's ranges, and the ones the tests run on."""
import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def locked() -> dict[str, tuple[str, int]]:
    """name -> (pinned version, number of hashes) from requirements.lock."""
    pins = {}
    for block in re.split(r"\n(?=\S)", (ROOT / "requirements.lock").read_text()):
        m = re.match(r"([A-Za-z0-9._-]+)==(\S+)", block)
        if m:
            pins[canonicalize_name(m.group(1))] = (m.group(2), block.count("--hash=sha256:"))
    return pins


def test_every_dependency_is_locked_within_its_range_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = locked()
    wanted = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]]
    for req in wanted:
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements.lock: run make lock"
        assert req.specifier.contains(pins[name][0], prereleases=True), \
            f"requirements.lock pins {req.name}=={pins[name][0]}, outside {req.specifier}: run make lock"
    assert all(n_hashes for _, n_hashes in pins.values()), "every pin carries its hashes"
    assert len(pins) > len(wanted)  # the dependencies' own dependencies are locked too


def test_the_tests_run_on_the_locked_versions():
    differing = []
    for name, (pinned, _) in locked().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            differing.append(f"{name}: locked {pinned}, installed {installed}")
    assert not differing, "\n".join(differing)

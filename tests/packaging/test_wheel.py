"""The sdist and wheel built from pyproject.toml: the wheel, installed into a clean venv, runs without the source tree.

The clean venv gets only the wheel (`--no-deps --no-index`). Its dependencies come from the test venv through a
`.pth` file naming the test venv's site-packages: a path line in a `.pth` file adds that folder to `sys.path`
without processing the `.pth` files inside it, so the editable install of crmdesk in the test venv (itself a
`.pth` file pointing at the checkout) stays out, and every `crmdesk` import must find the installed package.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VERSION = metadata.version("crmdesk")  # what pyproject.toml says, as the editable install of the test venv read it


@dataclass(frozen=True)
class Dist:
    sdist: Path
    wheel: Path


@dataclass(frozen=True)
class CleanVenv:
    root: Path
    python: Path
    crmdesk: Path
    site_packages: Path
    env: dict[str, str]
    cwd: Path


def _run(args: list[str | Path], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    proc = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False
    )
    assert proc.returncode == 0, f"{args} exited with {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """The sdist, and the wheel `build` makes from that sdist (so the sdist is proven to hold all the wheel needs).

    `--no-isolation`: the backend (hatchling, from the `test` extra) is taken from this venv, so no network.
    """
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT], cwd=out)
    (sdist,) = out.glob("crmdesk-*.tar.gz")
    (wheel,) = out.glob("crmdesk-*.whl")
    return Dist(sdist=sdist, wheel=wheel)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, dist: Dist) -> CleanVenv:
    """A venv holding only the wheel, seeing the dependencies of the test venv but not its editable crmdesk."""
    root = tmp_path_factory.mktemp("clean") / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", root])
    python = root / ("Scripts" if os.name == "nt" else "bin") / "python"
    # pip of the test venv installs into the clean one (`--python`): no pip needed there, and no ensurepip wait.
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", dist.wheel])
    site_packages = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).strip())
    deps = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (site_packages / "test-venv-dependencies.pth").write_text("".join(f"{d}\n" for d in deps), encoding="utf-8")
    home = tmp_path_factory.mktemp("home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "XDG_"))}
    env |= {
        "QT_QPA_PLATFORM": "offscreen",
        # keyring's own null backend: the tests' in-memory one lives in tests/, which the clean venv cannot import
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    return CleanVenv(
        root=root,
        python=python,
        crmdesk=python.with_name("crmdesk"),
        site_packages=site_packages,
        env=env,
        cwd=tmp_path_factory.mktemp("cwd"),  # not the checkout: `python -c` puts the cwd first on sys.path
    )


def _in_venv(venv: CleanVenv, *args: str | Path) -> str:
    return _run(list(args), env=venv.env, cwd=venv.cwd)


def test_the_wheel_holds_the_package_resources_and_migrations(dist: Dist) -> None:
    names = set(zipfile.ZipFile(dist.wheel).namelist())
    assert dist.wheel.name == f"crmdesk-{VERSION}-py3-none-any.whl"
    assert {
        "crmdesk/__init__.py",
        "crmdesk/resources/crmdesk.svg",
        "crmdesk/resources/crmdesk-256.png",
        "crmdesk/resources/icons/people.svg",
        "crmdesk/store/migrations/env.py",
        "crmdesk/store/migrations/script.py.mako",
        "crmdesk/store/migrations/versions/0001_initial_schema.py",
        f"crmdesk-{VERSION}.dist-info/licenses/LICENSE",
    } <= names
    assert {f"crmdesk/resources/icons/{p.name}" for p in (ROOT / "resources" / "icons").glob("*.svg")} <= names
    assert not any(n.startswith(("resources/", "tests/")) or "__pycache__" in n for n in names)


def test_the_sdist_holds_what_the_wheel_and_the_tests_need_and_nothing_else(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "PKG-INFO",
        "crmdesk/__init__.py",
        "crmdesk/store/migrations/env.py",
        "crmdesk/store/migrations/versions/0001_initial_schema.py",
        "resources/crmdesk.svg",
        "resources/icons/people.svg",
        "tests/conftest.py",
        "tests/packaging/test_wheel.py",
    } <= names
    assert {
        f"crmdesk/store/migrations/versions/{p.name}"
        for p in (ROOT / "crmdesk/store/migrations/versions").glob("0*.py")
    } <= names
    tops = {n.split("/", 1)[0] for n in names}
    assert tops <= {
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "PKG-INFO",
        ".gitignore",
        "crmdesk",
        "resources",
        "tests",
        "packaging",
    }
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


def test_the_clean_venv_imports_the_installed_package_not_the_checkout(venv: CleanVenv) -> None:
    code = (
        "import json, crmdesk, crmdesk.paths as p, importlib.metadata as m;"
        "r = p.resources_dir();"
        "print(json.dumps({'file': crmdesk.__file__, 'version': crmdesk.__version__, 'resources': str(r),"
        " 'svg': sorted(x.name for x in (r / 'icons').glob('*.svg')), 'app_icon': (r / 'crmdesk.svg').is_file(),"
        " 'dist': str(m.distribution('crmdesk').locate_file(''))}))"
    )
    found = json.loads(_in_venv(venv, venv.python, "-c", code))
    package = venv.site_packages / "crmdesk"
    assert Path(found["file"]) == package / "__init__.py"
    assert Path(found["resources"]) == package / "resources"
    assert Path(found["dist"]) == venv.site_packages
    assert found["version"] == VERSION
    assert found["app_icon"]
    assert found["svg"] == sorted(p.name for p in (ROOT / "resources" / "icons").glob("*.svg"))


def test_the_installed_command_prints_the_metadata_version(venv: CleanVenv) -> None:
    assert _in_venv(venv, venv.crmdesk, "--version").strip() == f"crmdesk {VERSION}"


def test_the_installed_cli_migrates_a_new_store_and_keeps_a_person(venv: CleanVenv, tmp_path: Path) -> None:
    data = tmp_path / "data"
    person_id = _in_venv(
        venv,
        venv.crmdesk,
        "--data-dir",
        data,
        "people",
        "add",
        "--first-name",
        "Ada",
        "--last-name",
        "Lovelace",
        "--email",
        "ada@example.org",
        "--tag",
        "engines",
    ).strip()
    listed = json.loads(_in_venv(venv, venv.crmdesk, "--data-dir", data, "people", "list", "--json", "--search", "ada"))
    assert [(p["id"], p["display_name"], p["tags"]) for p in listed] == [(person_id, "Ada Lovelace", ["engines"])]
    assert (data / "crmdesk.sqlite3").is_file()


def test_the_installed_window_starts_offscreen_and_quits(venv: CleanVenv, tmp_path: Path) -> None:
    """`--benchmark-startup` (app.py) shows the window, paints its first frame, prints the time and quits."""
    proc = subprocess.run(
        [str(venv.crmdesk), "--data-dir", str(tmp_path / "data"), "--benchmark-startup"],
        capture_output=True,
        text=True,
        env=venv.env,
        cwd=venv.cwd,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("shown "), proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert (tmp_path / "data" / "crmdesk.sqlite3").is_file()

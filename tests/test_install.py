"""The built wheel carries everything the default job reads: the LID model and each language's data files."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_ships_the_lid_model_and_the_language_data(tmp_path):
    # build from a copy: setuptools writes build/ and *.egg-info beside the sources
    source = tmp_path / "src"
    shutil.copytree(
        ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "out", "build", "*.egg-info", "__pycache__")
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            ".",
            "-w",
            str(tmp_path),
        ],
        cwd=source,
        check=True,
    )
    (wheel,) = tmp_path.glob("monsoon-*.whl")

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        model = archive.read("monsoon/models/lid.176.ftz")
    assert model == (ROOT / "monsoon" / "models" / "lid.176.ftz").read_bytes()
    assert "monsoon/models/lid.176.ftz.LICENSE.md" in names
    data = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "monsoon" / "languages").rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc")
    }
    assert data and data <= names

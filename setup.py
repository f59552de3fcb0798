"""Build hook: the wheel carries the shipped adapter and the baselines' artifacts.

They live at the top of the repository (adapters/, bench/baselines/), where a source
checkout reads them; a wheel has no checkout, so `build_py` copies them into the package as
pii/_shipped/<same path>, where pii.paths.project_path finds them last. Everything else is
in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("adapters/smollm2-135m", "bench/baselines")


class BuildWithShipped(build_py):
    def run(self) -> None:
        super().run()
        here = Path(__file__).resolve().parent
        for rel in SHIPPED:
            if (here / rel).is_dir():
                target = Path(self.build_lib) / "pii" / "_shipped" / rel
                shutil.copytree(here / rel, target, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithShipped})

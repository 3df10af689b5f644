"""The one build step pyproject.toml cannot declare: the data folders go into the wheel.

checklists/, translations/ and static/ sit beside the package in the repository (where
``make run``, the tests and the translators use them). A wheel (``pip install .``)
carries them as ``healthwise/files/``, with the catalogues compiled, so an installed
``healthwise serve`` finds everything (healthwise.config looks there first).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DATA_FOLDERS = ("checklists", "static", "translations")


class BuildWithData(build_py):
    """Copy the data folders into the built package and compile the catalogues."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the folders where they are
        target = Path(self.build_lib) / "healthwise" / "files"
        for name in DATA_FOLDERS:
            shutil.copytree(HERE / name, target / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in (target / "translations").glob("*/LC_MESSAGES/*.po"):
            with po.open("rb") as source:
                catalog = read_po(source)
            with po.with_suffix(".mo").open("wb") as compiled:
                write_mo(compiled, catalog)


setup(cmdclass={"build_py": BuildWithData})

"""A cheap command stays cheap to start (issue 17): `pii classify --classifier rules` and
`pii --help` import none of the heavy libraries (scikit-learn, matplotlib, coremltools,
torch, presidio, datasets, MLX, transformers, SciPy)."""

import subprocess
import sys

import pytest

HEAVY = {"sklearn", "matplotlib", "coremltools", "torch", "presidio_analyzer", "datasets", "mlx",
         "mlx_lm", "transformers", "scipy", "spacy", "pandas"}  # fmt: skip
SCRIPT = """
import sys
sys.argv = {argv!r}
from pii.cli import main
try:
    main()
except SystemExit:
    pass
print(sorted({{m.split('.')[0] for m in sys.modules}} & {heavy!r}), file=sys.stderr)
"""


@pytest.mark.parametrize("argv", [["pii", "classify", "--classifier", "rules", "Hello there."],
                                  ["pii", "--help"]])  # fmt: skip
def test_cheap_commands_import_no_heavy_library(argv):
    code = SCRIPT.format(argv=argv, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr[-500:]

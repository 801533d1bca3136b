#!/usr/bin/env bash
# Runs scripts/gpu-check.sh on the device machine (x86-64, NVIDIA GPU, root, no node/npm, no network)
# from the repo root, using what scripts/gpu-bundle.sh put into .gpu/ (git-ignored; carry it):
#   bash scripts/gpu-bundle.sh                    # here, with network: builds .gpu/ (~42 MB)
#   device run, carry [".gpu"]: bash scripts/gpu-device.sh
# It unpacks the GL/Vulkan loader debs into / (skip with GPU_DEVICE_SKIP_DEBS=1, e.g. for a rehearsal
# on a machine whose / must not change), node into /tmp/node/bin (with a small npx shim), and
# node_modules into ./node_modules (replacing any), then runs gpu-check.sh and exits with its code.
# Its whole output is also written to $OUT/gpu-device.log when OUT is set; gpu-check.json lands in $OUT.
# GPU_CHECK_QUICK / GPU_CHECK_BACKEND / GPU_CHECK_STEPS pass through to gpu-check.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -n "${OUT:-}" ] && [ -z "${GPU_DEVICE_LOGGING:-}" ]; then
  mkdir -p "$OUT"
  GPU_DEVICE_LOGGING=1 bash "$0" "$@" 2>&1 | tee "$OUT/gpu-device.log"
  exit "${PIPESTATUS[0]}"
fi

# unpack an .tar.xz with xz if there, else with python3's lzma (a bare image may lack xz)
untar_xz() { # archive destdir
  if command -v xz >/dev/null; then tar -C "$2" -xJf "$1"
  else python3 -c 'import sys,tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"; fi
}

echo "== bundle"
# 1. Vulkan/EGL/GL loaders (the NVIDIA driver's ICD needs libvulkan.so.1 to be loaded by Dawn)
if [ -z "${GPU_DEVICE_SKIP_DEBS:-}" ]; then
  for f in .gpu/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
ldconfig -p | grep -E 'libvulkan\.so\.1|libEGL\.so\.1' || echo "no libvulkan/libEGL in ldconfig"
nv=/usr/local/nvidia/share
[ -f "$nv/vulkan/icd.d/nvidia_icd.json" ] && export VK_DRIVER_FILES="$nv/vulkan/icd.d/nvidia_icd.json"
[ -f "$nv/glvnd/egl_vendor.d/10_nvidia.json" ] && export __EGL_VENDOR_LIBRARY_FILENAMES="$nv/glvnd/egl_vendor.d/10_nvidia.json"
echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-} __EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-}"

# 2. node, first on PATH, with an npx that runs ./node_modules/.bin/NAME (all gpu-check.sh needs)
rm -rf /tmp/node && mkdir -p /tmp/node && untar_xz .gpu/node.tar.xz /tmp/node || exit 1
cat >/tmp/node/bin/npx <<'EOF'
#!/usr/bin/env bash
# minimal offline npx: runs a binary of ./node_modules/.bin
name="$1"; shift; exec "$PWD/node_modules/.bin/$name" "$@"
EOF
chmod +x /tmp/node/bin/npx
export PATH="/tmp/node/bin:$PATH"

# 3. node_modules (the project's, with webgpu and tfjs-backend-webgpu)
rm -rf node_modules && untar_xz .gpu/node_modules.tar.xz . || exit 1

echo "which node: $(command -v node); node $(node --version)"
ls /usr/local/nvidia/share/vulkan/icd.d/ 2>&1
nvidia-smi -L 2>&1
[ -n "${VK_DRIVER_FILES:-}" ] && cat "$VK_DRIVER_FILES"
# Dawn on Vulkan alone, stderr shown (gpu-check.sh hides doctor's): does it see the GPU?
VK_LOADER_DEBUG=error,warn timeout 60 node --input-type=module -e "import { create } from 'webgpu';
for (const fl of ['core', 'compatibility']) {
  const a = await create(['backend=vulkan']).requestAdapter({ featureLevel: fl }).catch((e) => String(e));
  console.log('dawn vulkan/' + fl + ':', a?.info ? JSON.stringify({ ...a.info }) : a);
} process.exit(0);" 2>&1 | grep -v '^$'

echo "== gpu-check"
OUT="${OUT:-.}" bash scripts/gpu-check.sh

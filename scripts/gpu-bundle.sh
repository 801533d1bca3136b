#!/usr/bin/env bash
# Builds .gpu/ (git-ignored through .git/info/exclude): everything scripts/gpu-device.sh needs to
# run scripts/gpu-check.sh on an x86-64 Linux machine with an NVIDIA GPU, no node/npm and no network.
#   .gpu/node.tar.xz          this machine's Node 20 binary (bin/node; needs only glibc >= 2.28 and libstdc++)
#   .gpu/node_modules.tar.xz  the project's node_modules plus the webgpu route (webgpu@0.6.2 = Dawn,
#                             @tensorflow/tfjs-backend-webgpu@4.22.0), pruned: no other platforms'
#                             dawn.node, no TypeScript compiler, no @types, no source maps
#   .gpu/gl/*.deb             the Vulkan/EGL/GL loaders (libvulkan1, libglvnd ...) for amd64, which
#                             the device unpacks into / so that Dawn finds the NVIDIA Vulkan driver
# Run here, with network, from anywhere in the checkout: bash scripts/gpu-bundle.sh
# Needs: node 20 at $(command -v node), npm, xz, apt-get (Debian/Ubuntu). Takes ~2 min on 2 cores.
# The result must stay well under the device tool's 64 MiB (with the ~6 MB working tree): ~42 MB.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
GPU="$ROOT/.gpu"
SCRATCH="$(mktemp -d /tmp/gpubundle.XXXXXX)"
trap 'rm -rf "$SCRATCH"' EXIT
grep -qxF '/.gpu/' "$ROOT/.git/info/exclude" 2>/dev/null || echo '/.gpu/' >>"$ROOT/.git/info/exclude"
rm -rf "$GPU" && mkdir -p "$GPU/gl"

# 1. node_modules, installed in a scratch clone (never touches the checkout's own node_modules)
git clone -q "$ROOT" "$SCRATCH/repo"
(cd "$SCRATCH/repo" && npm ci --no-audit --no-fund &&
  npm install --no-save --no-audit --no-fund webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0)
NM="$SCRATCH/repo/node_modules"
rm -rf "$NM"/webgpu/dist/{darwin-universal,linux-arm64,win32-arm64,win32-x64} \
  "$NM"/typescript "$NM"/@typescript "$NM"/@types
find "$NM" -name '*.map' -delete
find "$NM"/@tensorflow -type d -name miniprogram -prune -exec rm -rf {} +
tar -C "$SCRATCH/repo" -cf - node_modules | xz -9 -T2 >"$GPU/node_modules.tar.xz"

# 2. the node binary (npx is not needed: gpu-device.sh puts a small npx shim beside it)
NODE="$(readlink -f "$(command -v node)")"
mkdir -p "$SCRATCH/node/bin" && cp "$NODE" "$SCRATCH/node/bin/node"
tar -C "$SCRATCH/node" -cf - bin | xz -9 -T2 >"$GPU/node.tar.xz"

# 3. the GL/Vulkan loader debs (the device README's recipe, into .gpu/gl instead of .gl)
mkdir -p "$SCRATCH/amd64/partial"
o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=$SCRATCH/amd64"
apt-get $o update -qq
(cd "$GPU/gl" && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)

du -sb "$GPU" "$GPU"/* "$GPU"/gl

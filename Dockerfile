# The container image of the Kubernetes route (README, "Sweeps and clusters"): neural-mfg installed
# from this checkout, the `neural-mfg` command on the PATH, as `sweep export --to kubernetes
# --image IMAGE` expects (the pods run `neural-mfg sweep run-one /sweep --index I`).
#
#   docker build -t registry.example/neural-mfg:0.1.0 .
#   docker push registry.example/neural-mfg:0.1.0
#
# Build stage: the exact dependencies of package-lock.json, compiled (npm ci runs the build), packed
# as npm would publish it.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund && npm pack --pack-destination /tmp

# Run stage: the packed package installed globally, without development dependencies.
FROM node:20-bookworm-slim
COPY --from=build /tmp/neural-mfg-*.tgz /tmp/
RUN npm install --global --no-audit --no-fund /tmp/neural-mfg-*.tgz && rm /tmp/neural-mfg-*.tgz \
  && neural-mfg games > /dev/null
WORKDIR /sweep
ENTRYPOINT ["neural-mfg"]
CMD ["--help"]

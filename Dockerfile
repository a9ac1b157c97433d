# syntax=docker/dockerfile:1
# The vaultenv image: one file, /usr/local/bin/vaultenv, the single executable (Node SEA) that
# `npm run build` writes to dist/vaultenv-linux-x64. Use it as a base image, or copy the executable
# into any glibc image that has libatomic.so.1 (see the final stage):
#
#   COPY --from=<registry>/vaultenv:<version> /usr/local/bin/vaultenv /usr/local/bin/vaultenv
#
# test/docs/dockerfile.test.ts checks this file against the build scripts.
#
# The executable is x86-64 (dist/vaultenv-linux-x64, a copy of the build stage's own Node), so both
# stages are pinned to linux/amd64; on an arm64 machine Docker builds it under emulation.

# --- build: the same build CI runs (package.json "build" -> scripts/build.mjs), on the same Node ---
# (scripts/setup.sh's NODE_PACKAGE_VERSION: the executable is a copy of this Node).
FROM --platform=linux/amd64 node:26.10.0-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# --- final: the executable alone ---
# debian:bookworm-slim, not distroless/cc-debian12. The executable is the Node binary with the
# bundle injected, so it needs what `ldd` lists for it: glibc (2.28 or newer), libstdc++, libgcc_s,
# libatomic, libm, libdl, libpthread. bookworm-slim has all but libatomic (apt needs libstdc++6 and
# libgcc-s1), and bookworm is the release the build stage's Node comes from. Node 26's official
# Linux binaries link libatomic.so.1, which bookworm-slim lacks, so libatomic1 is installed.
# bookworm-slim also has /bin/sh and cp, which distroless lacks: a Kubernetes init container copies
# vaultenv out of this image into a shared volume with cp (examples/kubernetes). Node carries its own
# CA certificates, so no ca-certificates package is needed. Images that copy the executable in need
# the same: glibc 2.28+ (Debian 10+, Ubuntu 20.04+, RHEL 8+) and libatomic.so.1 (Debian and Ubuntu:
# libatomic1; RHEL: libatomic), x86-64, not Alpine.
FROM --platform=linux/amd64 debian:bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends libatomic1 \
  && rm -rf /var/lib/apt/lists/*
COPY --from=build --chmod=0755 /src/dist/vaultenv-linux-x64 /usr/local/bin/vaultenv
# A numeric non-root user, so Kubernetes' runAsNonRoot can check it. An image built FROM this one
# that installs packages switches to USER root for that and back afterwards.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/vaultenv"]
CMD ["--help"]

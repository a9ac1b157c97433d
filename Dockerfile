# syntax=docker/dockerfile:1
# The vaultenv image: one file, /usr/local/bin/vaultenv, the single executable (`bun build --compile`)
# that `npm run build` writes to dist/vaultenv-linux-x64. Use it as a base image, or copy the
# executable into any x86-64 glibc image (see the final stage):
#
#   COPY --from=<registry>/vaultenv:<version> /usr/local/bin/vaultenv /usr/local/bin/vaultenv
#
# test/docs/dockerfile.test.ts checks this file against the build scripts.
#
# The executable is x86-64 (dist/vaultenv-linux-x64, Bun's linux-x64 runtime with the bundle), so both
# stages are pinned to linux/amd64; on an arm64 machine Docker builds it under emulation.

# --- build: the same build CI runs (package.json "build" -> scripts/build.mjs), on the same Node ---
# (scripts/setup.sh's NODE_PACKAGE_VERSION builds the bundle; its BUN_PACKAGE_VERSION compiles it:
# the npm package ships the Bun binary, so its skipped install script is not needed).
FROM --platform=linux/amd64 node:26.10.0-bookworm AS build
WORKDIR /src
RUN npm install --silent --no-audit --no-fund --prefix /opt/bun bun@1.4.5
ENV VAULTENV_BUN=/opt/bun/node_modules/bun/bin/bun.exe
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# --- final: the executable alone ---
# debian:bookworm-slim, not distroless/cc-debian12. The executable is Bun's runtime with the bundle,
# and needs only what `ldd` lists for it: glibc (2.17 or newer: libc, libm, libdl, libpthread), which
# every glibc image has; no libstdc++, libgcc_s or libatomic, which a Node SEA also needed.
# bookworm-slim also has /bin/sh and cp, which distroless lacks: a Kubernetes init container copies
# vaultenv out of this image into a shared volume with cp (examples/kubernetes). Bun carries its own
# CA certificates, so no ca-certificates package is needed. Images that copy the executable in need
# the same: glibc 2.17+ (Debian, Ubuntu, RHEL 7+), x86-64, not Alpine (musl).
FROM --platform=linux/amd64 debian:bookworm-slim
COPY --from=build --chmod=0755 /src/dist/vaultenv-linux-x64 /usr/local/bin/vaultenv
# A numeric non-root user, so Kubernetes' runAsNonRoot can check it. An image built FROM this one
# that installs packages switches to USER root for that and back afterwards.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/vaultenv"]
CMD ["--help"]

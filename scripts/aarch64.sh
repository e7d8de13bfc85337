#!/usr/bin/env bash
# The library's unit tests on 64-bit ARM, from this x86-64 machine: Debian's rustc (rustc-web,
# whose rust-web-src lets -Zbuild-std build std for the target) cross-compiles them with the
# aarch64 GNU toolchain, and qemu-user runs them. They compare the NEON kernels (Ut Video
# prediction) with the scalar ones, as the x86-64 run compares SSE2 and AVX2. Without the codecs
# (their C and C++ would need an aarch64 cmake toolchain): the Ut Video encoder is Rust.
# Installs what it needs, idempotently. Works from any cwd. Output: target/aarch64/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
TRIPLE=aarch64-unknown-linux-gnu
SYSROOT=/usr/aarch64-linux-gnu

SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
missing=()
for p in rustc-web cargo-web rust-web-src gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then $SUDO apt-get update -q; fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

echo "== aarch64: the library's unit tests under qemu ($(/usr/bin/rustc --version))"
# The caught-panic test starts its own binary as a child, which qemu-user does not follow.
env PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
    CARGO_TARGET_DIR="$ROOT/target/aarch64" \
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L $SYSROOT" \
    CARGO_PROFILE_RELEASE_DEBUG=0 \
    /usr/bin/cargo test --release --lib --no-default-features --features capi \
    -Zbuild-std=std,panic_unwind --target $TRIPLE -- \
    --skip caught_panic::tests::a_caught_panic_writes_nothing_to_stderr

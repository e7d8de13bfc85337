#!/usr/bin/env bash
# Full local/CI test run: deps, fmt, clippy, header freshness, Rust tests, Python, C tests, .NET,
# Windows under Wine, sanitizers, benchmark smoke run.
# Stops at the first failing step. Works from any cwd.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n===== [%s] %s =====\n' "$(date +%H:%M:%S)" "$*"; }
trap 'rc=$?; if [ $rc -ne 0 ]; then printf "\n===== FAILED (exit %d) during: %s =====\n" "$rc" "${CURRENT_STEP:-?}" >&2; fi' EXIT

CURRENT_STEP="install test deps"; step "$CURRENT_STEP"
bash scripts/install-test-deps.sh

export AVIKIT_PYTHON="${AVIKIT_VENV:-$ROOT/.venv}/bin/python"
echo "AVIKIT_PYTHON=$AVIKIT_PYTHON"

# The .NET and Windows steps' tools (Mono, Wine, MinGW, Debian's rustc, CoreCLR) install in the
# background: their downloads and dpkg runs overlap the Rust build instead of following it.
mkdir -p build
TOOLS_LOG=build/tools-install.log
(bash scripts/dotnet-test.sh --tools-only && bash scripts/windows.sh --tools-only) \
    >"$TOOLS_LOG" 2>&1 &
TOOLS_PID=$!
echo "installing the .NET and Windows tools in the background (log: $TOOLS_LOG)"

CURRENT_STEP="cargo fmt --check"; step "$CURRENT_STEP"
cargo fmt --all -- --check

CURRENT_STEP="cargo clippy"; step "$CURRENT_STEP"
cargo clippy --all-targets -- -D warnings

CURRENT_STEP="header freshness (include/avikit.h)"; step "$CURRENT_STEP"
tmp=$(mktemp --suffix=.h)
cbindgen --quiet --config cbindgen.toml --crate avikit --output "$tmp" .
if ! cmp -s "$tmp" include/avikit.h; then
    diff -u include/avikit.h "$tmp" | head -n 60 >&2 || true
    rm -f "$tmp"
    echo "include/avikit.h is stale; regenerate it with:" >&2
    echo "  cbindgen --config cbindgen.toml --crate avikit --output include/avikit.h ." >&2
    exit 1
fi
rm -f "$tmp"
echo "include/avikit.h is up to date"

CURRENT_STEP="the Rust API alone (--no-default-features): no C symbol"; step "$CURRENT_STEP"
# A Rust program that leaves out the `capi` feature links no avk_* symbol (two avikit versions
# can coexist); clippy also proves the crate is clean without the C ABI.
cargo clippy --lib --no-default-features --target-dir target/no-capi -- -D warnings
cargo build --lib --no-default-features --target-dir target/no-capi --quiet
if nm --defined-only target/no-capi/debug/libavikit.rlib 2>/dev/null | grep -q ' T avk_'; then
    echo "the rlib built without the capi feature defines avk_* symbols" >&2
    exit 1
fi
echo "no avk_* symbol without the capi feature"

CURRENT_STEP="cargo doc (warnings are errors)"; step "$CURRENT_STEP"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet

CURRENT_STEP="cargo test --release"; step "$CURRENT_STEP"
# shellcheck disable=SC2086  # word splitting of extra args is intended
cargo test --release ${AVIKIT_CARGO_TEST_ARGS:-}

CURRENT_STEP="Python binding (scripts/python-test.sh)"; step "$CURRENT_STEP"
# After cargo test --release: the binding builds into target/ and reuses its compiled codecs.
bash scripts/python-test.sh

CURRENT_STEP="fuzz inspection and repair for a fixed budget"; step "$CURRENT_STEP"
# cargo test above replayed fuzz/corpus/inspect_repair with seeded mutations on stable Rust
# (tests/crash_repair/fuzz_corpus.rs). With nightly and cargo-fuzz, libFuzzer also explores from the corpus
# for AVIKIT_FUZZ_SECONDS (default 60), with allocations over 256 MB a failure; new inputs go
# to a scratch directory, never into the checked-in corpus.
if cargo +nightly fuzz --version >/dev/null 2>&1; then
    fuzz_scratch=$(mktemp -d)
    (cd fuzz && cargo +nightly fuzz run inspect_repair "$fuzz_scratch" corpus/inspect_repair -- \
        -max_total_time="${AVIKIT_FUZZ_SECONDS:-60}" -malloc_limit_mb=256 -rss_limit_mb=1024)
    rm -rf "$fuzz_scratch"
else
    echo "nightly or cargo-fuzz missing: the corpus ran on stable only (tests/crash_repair/fuzz_corpus.rs)"
fi

CURRENT_STEP="C tests (cmake + ctest)"; step "$CURRENT_STEP"
cmake -S . -B build/ctest -DCMAKE_BUILD_TYPE=Release
cmake --build build/ctest -j2
ctest --test-dir build/ctest -j2 --output-on-failure

CURRENT_STEP="the .NET and Windows tools (installed in the background)"; step "$CURRENT_STEP"
if ! wait "$TOOLS_PID"; then
    cat "$TOOLS_LOG" >&2
    exit 1
fi
tail -n 3 "$TOOLS_LOG"

CURRENT_STEP=".NET binding (Mono + CoreCLR)"; step "$CURRENT_STEP"
bash scripts/dotnet-test.sh

CURRENT_STEP="Windows: avikit.dll, C/C++ and .NET tests under Wine (scripts/windows.sh)"; step "$CURRENT_STEP"
bash scripts/windows.sh

CURRENT_STEP="sanitizers (ASan+UBSan, TSan, valgrind)"; step "$CURRENT_STEP"
bash scripts/sanitizers.sh

# The suite must keep running on a fresh machine; its numbers are for reading, never judged here.
CURRENT_STEP="benchmark suite smoke run (scripts/bench.sh --quick)"; step "$CURRENT_STEP"
bash scripts/bench.sh --quick --rounds 1

CURRENT_STEP="done"
printf '\n===== ALL CHECKS PASSED (fmt, clippy, header, doc, cargo test, Python, ctest, .NET, Windows, sanitizers, bench smoke) =====\n'

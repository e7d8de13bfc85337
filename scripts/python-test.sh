#!/usr/bin/env bash
# The Python binding (bindings/python): rustfmt and clippy of its crate, `pip install` of the
# package into the test venv (as a user installs it), then its pytest suite.
#
#   scripts/python-test.sh [pytest arguments...]
#
# The binding is its own cargo workspace; it builds into the root's target/ directory, so the
# codecs (libjpeg-turbo, OpenH264), already compiled by `cargo test --release`, are reused.
# Needs the venv of scripts/install-test-deps.sh (numpy, PyAV, pytest, maturin). Works from
# any cwd; safe to run again.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV=${AVIKIT_VENV:-$ROOT/.venv}
PY=$VENV/bin/python
MANIFEST=bindings/python/Cargo.toml
# The venv first: maturin's build backend runs the `maturin` on PATH.
export PATH="$VENV/bin:$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR=$ROOT/target
# PyO3 configures itself for this interpreter (abi3, CPython 3.8+ all the same).
export PYO3_PYTHON=$PY

step() { printf '== [%s] python: %s\n' "$(date +%H:%M:%S)" "$*"; }

step "cargo fmt --check and clippy (bindings/python and its benchmark's Rust baseline)"
for manifest in "$MANIFEST" bindings/python/benches/rust_baseline/Cargo.toml; do
    cargo fmt --manifest-path "$manifest" -- --check
    cargo clippy --manifest-path "$manifest" --all-targets -- -D warnings
done

step "pip install ./bindings/python (maturin, release build)"
# No build isolation: the venv's maturin builds it, so nothing is downloaded per run.
"$PY" -m pip install -q --no-build-isolation --force-reinstall --no-deps ./bindings/python
"$PY" -c 'import avikit; print("avikit", avikit.__version__, "from", avikit.__file__)'

step "pytest bindings/python/tests"
# From the tests' directory, so `import avikit` finds the installed package, not the source.
cd bindings/python/tests
"$PY" -m pytest -q -p no:cacheprovider "$@" .

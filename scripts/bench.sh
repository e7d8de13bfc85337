#!/usr/bin/env bash
# Runs the avikit benchmark suite (benches/suite) and prints one table: W1 uncompressed
# throughput, W2 per-operation cost, W3 begin latency, W4 MJPEG, W5 close time and memory,
# W6 H.264, W7 Ut Video, P9 many writers, each against its baselines (write() loops, ffmpeg,
# OpenCV, x264, FFmpeg's utvideo and ffvhuff) measured alternately in the same run. Installs
# what it needs first (ffmpeg, cmake, nasm, the OpenCV venv) through
# scripts/install-test-deps.sh, idempotently. Then PY, the Python comparison
# (bindings/python/benches/compare.py: avikit from Python against cv2.VideoWriter, PyAV's
# utvideo and avikit's Rust API), with the binding installed into the venv first.
#
#   scripts/bench.sh [--quick] [--only W1,W2,W3,W4,W5,W6,W7,P9,PY] [--rounds N] [--dir D]
#                    [--markdown F]
#
# The full run writes about 160 GB through the page cache (files are deleted as it goes; at
# most 10 GB exist at once) and takes 20-25 minutes on 2 cores (W7 alone about 10), the Python
# comparison 2-3 more. --dir picks the file system under test (default target/bench-scratch).
# Never a timed test: the numbers are for reading.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV=${AVIKIT_VENV:-$ROOT/.venv}
export PATH="$VENV/bin:$HOME/.cargo/bin:$PATH"

scripts/install-test-deps.sh >/dev/null
cargo bench --bench suite -- "$@"

# The Python comparison (PY) takes --quick and --rounds; the suite's other options are its own.
py_args=()
python_too=1
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) py_args+=(--quick) ;;
        --rounds) py_args+=(--rounds "$2"); shift ;;
        --only) [[ ",${2^^}," == *,PY,* ]] || python_too=0; shift ;;
    esac
    shift
done
[ "$python_too" = 1 ] || exit 0
CARGO_TARGET_DIR=$ROOT/target PYO3_PYTHON=$VENV/bin/python \
    "$VENV/bin/python" -m pip install -q --no-build-isolation --force-reinstall --no-deps ./bindings/python
"$VENV/bin/python" bindings/python/benches/compare.py "${py_args[@]}"

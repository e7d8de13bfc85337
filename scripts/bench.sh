#!/usr/bin/env bash
# Runs the avikit benchmark suite (benches/suite) and prints one table: W1 uncompressed
# throughput, W2 per-operation cost, W3 begin latency, W4 MJPEG, W5 close time and memory,
# W6 H.264, W7 Ut Video, P9 many writers, each against its baselines (write() loops, ffmpeg,
# OpenCV, x264, FFmpeg's utvideo and ffvhuff) measured alternately in the same run. Installs
# what it needs first (ffmpeg, cmake, nasm, the OpenCV venv) through
# scripts/install-test-deps.sh, idempotently.
#
#   scripts/bench.sh [--quick] [--only W1,W2,W3,W4,W5,W6,W7,P9] [--rounds N] [--dir D] [--markdown F]
#
# The full run writes about 160 GB through the page cache (files are deleted as it goes; at
# most 10 GB exist at once) and takes 20-25 minutes on 2 cores (W7 alone about 10). --dir picks the file system
# under test (default target/bench-scratch). Never a timed test: the numbers are for reading.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"

scripts/install-test-deps.sh >/dev/null
cargo bench --bench suite -- "$@"

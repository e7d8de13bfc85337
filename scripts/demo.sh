#!/usr/bin/env bash
# Builds avikit, records a demo AVI through the C async API (examples/c/demo.c) and checks it
# with ffprobe and a strict ffmpeg decode.
#
#   scripts/demo.sh [OUT.avi] [seconds]     defaults: build/demo/demo.avi, 5 seconds
#
# Needs a Rust toolchain; installs ffmpeg, cmake, nasm and gcc with apt when they are missing.
# Works from any directory; relative OUT paths are relative to the repository root.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
export PATH="$HOME/.cargo/bin:$PATH"

OUT=${1:-build/demo/demo.avi}
SECONDS_ARG=${2:-5}
BIN=build/demo/demo

die() { printf 'demo FAILED: %s\n' "$*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }

# --- tools -------------------------------------------------------------------------------
# ffprobe/ffmpeg check the result; cmake and nasm build the bundled libjpeg-turbo of the default
# `mjpeg` feature, c++ and nasm the bundled OpenH264 of the default `h264` feature; cc compiles
# the demo. Only what is missing is installed (idempotent).
need=()
for tool in ffprobe:ffmpeg ffmpeg:ffmpeg cmake:cmake nasm:nasm cc:gcc c++:g++; do
    if ! command -v "${tool%%:*}" >/dev/null 2>&1; then
        pkg=${tool#*:}
        case " ${need[*]:-} " in *" $pkg "*) ;; *) need+=("$pkg") ;; esac
    fi
done
if [ "${#need[@]}" -gt 0 ]; then
    step "installing ${need[*]} with apt"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -q
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi
command -v cargo >/dev/null 2>&1 || die "cargo not found: install a Rust toolchain (https://rustup.rs)"

# --- build -------------------------------------------------------------------------------
step "cargo build --release --lib"
cargo build --release --lib

step "cc examples/c/demo.c -> $BIN"
mkdir -p "$(dirname "$BIN")"
cc -std=c11 -Wall -Wextra -Werror -pedantic -O2 -I"$ROOT/include" \
    examples/c/demo.c target/release/libavikit.a -lpthread -ldl -lm -lstdc++ -o "$BIN"

# --- record ------------------------------------------------------------------------------
step "recording $OUT (${SECONDS_ARG} s)"
mkdir -p "$(dirname "$OUT")"
summary=$("$BIN" "$OUT" "$SECONDS_ARG") || die "the demo program failed (see above)"
printf '%s\n' "$summary"
frames=$(printf '%s\n' "$summary" | sed -n 's/^demo: frames=\([0-9][0-9]*\) .*/\1/p')
[ -n "$frames" ] || die "could not read the frame count from the demo's summary line"
[ -s "$OUT" ] || die "$OUT was not written"

# --- check -------------------------------------------------------------------------------
step "ffprobe $OUT"
ffprobe -v error -count_packets \
    -show_entries stream=index,codec_type,codec_name,width,height,r_frame_rate,sample_rate,channels,nb_frames,nb_read_packets \
    -show_entries format=duration,size \
    -of default=noprint_wrappers=0 "$OUT" || die "ffprobe could not read $OUT"

probed=$(ffprobe -v error -count_packets -select_streams v:0 \
    -show_entries stream=nb_frames,nb_read_packets -of csv=p=0 "$OUT") ||
    die "ffprobe could not read the video stream of $OUT"
header_frames=${probed%%,*}
read_packets=${probed##*,}
[ "$header_frames" = "$frames" ] ||
    die "the AVI header says $header_frames video frames, the demo wrote $frames"
[ "$read_packets" = "$frames" ] ||
    die "ffprobe counted $read_packets video packets, the demo wrote $frames"

step "strict decode: ffmpeg -err_detect explode -xerror"
decode_log=$(ffmpeg -nostdin -v error -err_detect explode -xerror -i "$OUT" -f null - 2>&1) ||
    die "ffmpeg failed to decode $OUT: ${decode_log:-(no message)}"
[ -z "$decode_log" ] || die "ffmpeg reported problems decoding $OUT: $decode_log"

printf '\ndemo OK: %s (%s video frames, matching the header and the packet count)\n' "$OUT" "$frames"

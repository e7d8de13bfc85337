#!/usr/bin/env bash
# The main job: build avikit, record a few seconds of a moving test pattern with a tone through
# the asynchronous C API (examples/c/demo.c), and show what ffprobe sees. Usage:
#   scripts/demo.sh [OUT.avi] [SECONDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"

out=${1:-build/demo/demo.avi}
seconds=${2:-5}

# Build tools for the bundled libjpeg-turbo, and ffmpeg to check the result.
need=()
for tool in cmake:cmake nasm:nasm ffprobe:ffmpeg cc:gcc; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
fi

echo "building libavikit (cargo build --release)"
cargo build --release --lib --quiet
mkdir -p build/demo "$(dirname "$out")"
cc -std=c11 -O2 -Wall -Wextra -Werror -pedantic -Iinclude examples/c/demo.c \
    target/release/libavikit.a -lpthread -ldl -lm -o build/demo/demo

summary=$(build/demo/demo "$out" "$seconds")
echo "$summary"
frames=$(sed -n 's/.*frames=\([0-9]*\).*/\1/p' <<<"$summary")

echo
echo "ffprobe $out:"
ffprobe -v error -count_packets \
    -show_entries stream=index,codec_type,codec_name,width,height,r_frame_rate,sample_rate,channels,nb_frames,nb_read_packets \
    -show_entries format=duration,size -of default=noprint_wrappers=0 "$out"

errors=$(ffmpeg -nostdin -v error -err_detect explode -xerror -i "$out" -f null - 2>&1) || true
if [ -n "$errors" ]; then
    echo "demo FAILED: ffmpeg reported errors decoding $out:" >&2
    echo "$errors" >&2
    exit 1
fi
counted=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets \
    -of csv=p=0 "$out")
if [ "$counted" != "$frames" ]; then
    echo "demo FAILED: the demo wrote $frames frames but ffprobe counts $counted" >&2
    exit 1
fi
echo
echo "demo OK: $out ($frames frames, decoded without errors by ffmpeg)"

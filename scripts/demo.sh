#!/usr/bin/env bash
# Builds avikit, records a demo AVI through the C async API (examples/c/demo.c) and checks it
# with ffprobe and a strict ffmpeg decode. Then records 6 s of irregular capture with timed writes
# (examples/c/capture_timing.c, next to OUT as capture_timing.avi) and checks that its video lasts
# the measured wall time to within one frame period and its audio the video's time to within 20 ms.
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

# --- capture timing: irregular capture into a constant-rate file ----------------------------
CAPTURE_OUT=$(dirname "$OUT")/capture_timing.avi
CAPTURE_BIN=build/demo/capture_timing
step "cc examples/c/capture_timing.c -> $CAPTURE_BIN"
cc -std=c11 -Wall -Wextra -Werror -pedantic -O2 -I"$ROOT/include" \
    examples/c/capture_timing.c target/release/libavikit.a -lpthread -ldl -lm -lstdc++ \
    -o "$CAPTURE_BIN"

step "recording $CAPTURE_OUT (6 s of real time: frames every 20-60 ms with stalls, jittery audio)"
capture=$("$CAPTURE_BIN" "$CAPTURE_OUT" 6) || die "the capture_timing program failed (see above)"
printf '%s\n' "$capture"
summary_field() { printf '%s\n' "$capture" | sed -n "s/.* $1=\([0-9][0-9.]*\) .*/\1/p"; }
wall_ms=$(summary_field wall_ms)
cap_frames=$(summary_field frames)
cap_empty=$(summary_field empty_frames)
cap_samples=$(summary_field audio_samples)
[ -n "$wall_ms" ] && [ -n "$cap_frames" ] && [ -n "$cap_empty" ] && [ -n "$cap_samples" ] ||
    die "could not read capture_timing's summary line"

step "ffprobe $CAPTURE_OUT: durations against the wall time"
probe_field() { printf '%s\n' "$1" | sed -n "s/^$2=//p"; }
video_info=$(ffprobe -v error -select_streams v:0 -of default=noprint_wrappers=1 \
    -show_entries stream=r_frame_rate,nb_frames,duration "$CAPTURE_OUT") ||
    die "ffprobe could not read $CAPTURE_OUT"
audio_info=$(ffprobe -v error -select_streams a:0 -of default=noprint_wrappers=1 \
    -show_entries stream=sample_rate,channels "$CAPTURE_OUT") ||
    die "ffprobe could not read the audio of $CAPTURE_OUT"
rate=$(probe_field "$video_info" r_frame_rate)
header_frames=$(probe_field "$video_info" nb_frames)
video_s=$(probe_field "$video_info" duration)
sample_rate=$(probe_field "$audio_info" sample_rate)
channels=$(probe_field "$audio_info" channels)
# The decoded audio, not the header: 16-bit samples of every channel.
audio_bytes=$(ffmpeg -nostdin -v error -i "$CAPTURE_OUT" -map 0:a:0 -f s16le - | wc -c) ||
    die "ffmpeg could not decode the audio of $CAPTURE_OUT"
[ "$header_frames" = $((cap_frames + cap_empty)) ] ||
    die "the header says $header_frames video frames, the program wrote $cap_frames + $cap_empty"
decoded_samples=$((audio_bytes / (2 * channels)))
[ "$decoded_samples" = "$cap_samples" ] ||
    die "ffmpeg decoded $decoded_samples audio samples, the program wrote $cap_samples"
awk -v wall_ms="$wall_ms" -v video="$video_s" -v rate="$rate" -v bytes="$audio_bytes" \
    -v sr="$sample_rate" -v ch="$channels" -v frames="$header_frames" -v empty="$cap_empty" '
    function abs(x) { return x < 0 ? -x : x }
    BEGIN {
        split(rate, r, "/"); period = r[2] / r[1]; wall = wall_ms / 1000
        audio = bytes / (2 * ch * sr)
        printf "wall time %.4f s; video %.4f s (%d frames, %d of them empty; one period %.1f ms);" \
               " audio %.4f s\n", wall, video, frames, empty, period * 1000, audio
        printf "video - wall = %+.1f ms (limit one period), audio - video = %+.1f ms (limit 20)\n",
               (video - wall) * 1000, (audio - video) * 1000
        exit !(abs(video - wall) <= period && abs(audio - video) <= 0.020)
    }' || die "the durations of $CAPTURE_OUT do not match the wall time (see above)"

step "strict decode: ffmpeg -err_detect explode -xerror"
decode_log=$(ffmpeg -nostdin -v error -err_detect explode -xerror -i "$CAPTURE_OUT" \
    -f null - 2>&1) ||
    die "ffmpeg failed to decode $CAPTURE_OUT: ${decode_log:-(no message)}"
[ -z "$decode_log" ] || die "ffmpeg reported problems decoding $CAPTURE_OUT: $decode_log"

printf '\ncapture OK: %s (%s ms of capture: %s frames, %s of them empty; %s audio samples)\n' \
    "$CAPTURE_OUT" "$wall_ms" "$header_frames" "$cap_empty" "$cap_samples"

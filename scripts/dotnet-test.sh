#!/usr/bin/env bash
# Builds the .NET binding (bindings/dotnet) with Mono's mcs and runs its self-checking tests on
# Mono and on CoreCLR (the runtime of the dotnetcore2 PyPI package, installed into the repo
# venv). Installs what it needs, idempotently. Exits non-zero if either runtime fails.
# Works from any cwd. Output: build/dotnet/. `--tools-only` installs the tools and stops.
set -euo pipefail
TOOLS_ONLY=0
case "${1:-}" in
    --tools-only) TOOLS_ONLY=1 ;;
    "") ;;
    *) echo "usage: $0 [--tools-only]" >&2; exit 2 ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=$ROOT/build/dotnet
VENV=${AVIKIT_VENV:-$ROOT/.venv}
export PATH="$HOME/.cargo/bin:$PATH"

SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi

apt_install() {
    local missing=() p
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    # Update the package lists only when they do not know the packages yet.
    if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then $SUDO apt-get update -q; fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
}

echo "== .NET binding: tools"
if ! command -v mcs >/dev/null 2>&1 || ! command -v mono >/dev/null 2>&1; then
    apt_install mono-mcs mono-devel
fi
command -v ffprobe >/dev/null 2>&1 || apt_install ffmpeg
# LAME for the SharpAvi MP3 sample (avikit loads it at run time).
apt_install libmp3lame0

if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
find_dotnet() {
    "$VENV/bin/python" - <<'EOF'
import importlib.util, os
spec = importlib.util.find_spec("dotnetcore2")
print(os.path.join(os.path.dirname(spec.origin), "bin", "dotnet") if spec else "")
EOF
}
DOTNET=$(find_dotnet)
if [ -z "$DOTNET" ] || [ ! -x "$DOTNET" ]; then
    "$VENV/bin/pip" install -q "dotnetcore2==3.1.23"
    DOTNET=$(find_dotnet)
fi
# The framework version the package ships, e.g. 3.1.23.
FX_VERSION=$(ls "$(dirname "$DOTNET")/shared/Microsoft.NETCore.App" | sort -V | tail -n 1)
echo "mcs: $(command -v mcs), mono: $(mono --version | head -n 1)"
echo "dotnet: $DOTNET (Microsoft.NETCore.App $FX_VERSION)"
[ "$TOOLS_ONLY" = 0 ] || exit 0

if [ ! -f target/release/libavikit.so ]; then
    echo "== cargo build --release --lib"
    cargo build --release --lib
fi
if [ ! -x target/release/avikit ]; then
    echo "== cargo build --release --bin avikit (avikit inspect, for the SharpAvi samples' files)"
    cargo build --release --bin avikit
fi

echo "== compile (mcs, C# 7.2 max for mcs, .NET Framework 4.7.2 reference assemblies)"
mkdir -p "$OUT"
MCS_FLAGS=(-langversion:7.2 -sdk:4.7.2 -debug -warn:4 -warnaserror -nologo)
mcs "${MCS_FLAGS[@]}" -target:library -out:"$OUT/Avikit.Net.dll" bindings/dotnet/src/*.cs
mcs "${MCS_FLAGS[@]}" -target:exe -out:"$OUT/AvikitTests.exe" -r:"$OUT/Avikit.Net.dll" bindings/dotnet/tests/*.cs bindings/dotnet/testing/Harness.cs
cat >"$OUT/AvikitTests.runtimeconfig.json" <<EOF
{"runtimeOptions":{"tfm":"netcoreapp3.1","framework":{"name":"Microsoft.NETCore.App","version":"$FX_VERSION"}}}
EOF
# The SharpAvi-compatible assembly, its tests, and its samples: each sample is one program of
# SharpAvi's documentation patterns, compiled with nothing but the references changed.
mcs "${MCS_FLAGS[@]}" -target:library -out:"$OUT/Avikit.SharpAvi.dll" -r:"$OUT/Avikit.Net.dll" \
    bindings/dotnet/sharpavi/src/*.cs
mcs "${MCS_FLAGS[@]}" -target:exe -out:"$OUT/SharpAviTests.exe" -r:"$OUT/Avikit.SharpAvi.dll" \
    -r:"$OUT/Avikit.Net.dll" bindings/dotnet/sharpavi/tests/*.cs bindings/dotnet/testing/Harness.cs
SAMPLES=(GettingStarted Encoders EncoderExtensions AudioPcm AudioMp3 AsyncTasks AsyncApm CustomEncoders)
for sample in "${SAMPLES[@]}"; do
    mcs "${MCS_FLAGS[@]}" -target:exe -out:"$OUT/$sample.exe" -r:"$OUT/Avikit.SharpAvi.dll" \
        -r:"$OUT/Avikit.Net.dll" "bindings/dotnet/sharpavi/samples/$sample.cs"
done

# Both runtimes find libavikit.so through dlopen's LD_LIBRARY_PATH search for [DllImport("avikit")].
export LD_LIBRARY_PATH="$ROOT/target/release${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
total_pass=0
total_fail=0
status=0
run() { # name command...
    local name=$1 log="$OUT/$1.log" rc=0
    shift
    echo "== tests on $name"
    rm -rf "${OUT:?}/$name-out"
    AVIKIT_TEST_OUT="$OUT/$name-out" timeout 900 "$@" 2>&1 | tee "$log" || rc=$?
    local summary
    summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)
    if [ -z "$summary" ]; then
        echo "$name: no summary line (exit $rc)"
        total_fail=$((total_fail + 1))
    else
        total_pass=$((total_pass + ${summary%% passed*}))
        local f=${summary#*, }
        total_fail=$((total_fail + ${f%% failed}))
    fi
    if [ "$rc" -ne 0 ]; then
        echo "$name: FAILED (exit $rc)"
        status=1
    fi
}
CORECLR=(env DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
    "$DOTNET" exec --runtimeconfig "$OUT/AvikitTests.runtimeconfig.json")
run mono mono --debug "$OUT/AvikitTests.exe"
run coreclr "${CORECLR[@]}" "$OUT/AvikitTests.exe"
run mono-sharpavi mono --debug "$OUT/SharpAviTests.exe"
run coreclr-sharpavi "${CORECLR[@]}" "$OUT/SharpAviTests.exe"
# SharpAvi writers the program never closes, on a path and on a Stream: the process must still
# end, with both files finalized at exit.
for rt in mono coreclr; do
    if [ $rt = mono ]; then cmd=(mono --debug); else cmd=("${CORECLR[@]}"); fi
    if timeout 60 "${cmd[@]}" "$OUT/SharpAviTests.exe" --unclosed "$OUT/unclosed-$rt-path.avi" "$OUT/unclosed-$rt-stream.avi" &&
        target/release/avikit inspect "$OUT/unclosed-$rt-path.avi" >"$OUT/unclosed-$rt-path.inspect" &&
        target/release/avikit inspect "$OUT/unclosed-$rt-stream.avi" >"$OUT/unclosed-$rt-stream.inspect" &&
        grep -q ': 3 frames' "$OUT/unclosed-$rt-path.inspect" && grep -q ': 3 frames' "$OUT/unclosed-$rt-stream.inspect"; then
        echo "ok   $rt: writers left open are closed at exit"
    else
        echo "$rt: a writer left open hung the exit or was not finalized"
        status=1
    fi
done

# awk reads to the end: leaving early would kill ldconfig with SIGPIPE, which pipefail reports.
LAME=$( (ldconfig -p 2>/dev/null || /sbin/ldconfig -p) |
    awk '/libmp3lame\.so\.0 .*x86-64/ && !found {print $NF; found = 1}')
samples_run=0
# Every sample writes 60 video frames into each of its files: ffprobe must decode all of them,
# and avikit inspect must pass; the audio streams' packet counts are printed.
run_samples() { # runtime command...: runs every sample, checks its files
    local rt=$1 dir sample extra file frames audio
    shift
    for sample in "${SAMPLES[@]}"; do
        dir="$OUT/samples-$rt/$sample"
        rm -rf "$dir"
        mkdir -p "$dir"
        extra=()
        [ "$sample" = AudioMp3 ] && extra=("$LAME")
        if ! timeout 300 "$@" "$OUT/$sample.exe" "$dir" "${extra[@]}" >"$dir.log" 2>&1; then
            cat "$dir.log"
            echo "sample $sample on $rt: FAILED"
            status=1
            continue
        fi
        for file in "$dir"/*.avi; do
            frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$file")
            audio=$(ffprobe -v error -count_packets -select_streams a -show_entries stream=nb_read_packets -of csv=p=0 "$file" | tr '\n' ' ')
            if [ "$frames" != 60 ] || ! target/release/avikit inspect "$file" >"$file.inspect" 2>&1; then
                cat "$file.inspect"
                echo "sample $sample on $rt: $(basename "$file"): $frames frames (expected 60) or avikit inspect failed"
                status=1
            else
                echo "ok   $rt $sample: $(basename "$file"): 60 frames${audio:+, audio packets $audio}, avikit inspect ok"
            fi
        done
        samples_run=$((samples_run + 1))
    done
}
echo "== SharpAvi samples on mono and coreclr (LAME: ${LAME:-none})"
if [ -z "$LAME" ]; then
    echo "error: no libmp3lame.so.0 for the AudioMp3 sample" >&2
    status=1
fi
run_samples mono mono --debug
run_samples coreclr "${CORECLR[@]}"

echo "dotnet: $total_pass passed, $total_fail failed; SharpAvi samples: $samples_run runs of ${#SAMPLES[@]} programs"
exit $status

#!/usr/bin/env bash
# Windows: builds avikit.dll (x86_64-pc-windows-gnu, MinGW-w64) and its import library with
# Debian's rustc (std built from source), checks that the DLL needs only Windows system DLLs and
# exports only avk_*, then runs the Windows tests under Wine: the portable C tests and the C/C++
# examples, a recording compared byte for byte with the Linux one and read by the Linux readers,
# and the .NET binding's tests on Windows CoreCLR 3.1, also from the NuGet package's layout.
# Installs what it needs, idempotently. Works from any cwd.
#
#   scripts/windows.sh               build and test
#   scripts/windows.sh --build-only  build target/x86_64-pc-windows-gnu/release/avikit.dll and
#                                    libavikit.dll.a, check them, stop
#   scripts/windows.sh --tools-only  install what building and testing need, stop
#
# Output: build/windows/ (test programs, Wine prefix, logs); build/windows-cache/ (downloads).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
TRIPLE=x86_64-pc-windows-gnu
# Debian's cargo builds in a target directory of its own: it never shares artifacts with the
# rustup toolchain's target/release.
WIN_TARGET_DIR=$ROOT/target/windows-gnu
DLL_DIR=$ROOT/target/$TRIPLE/release
OUT=$ROOT/build/windows
CACHE=$ROOT/build/windows-cache
VENV=${AVIKIT_VENV:-$ROOT/.venv}
PYTHON=${AVIKIT_PYTHON:-$VENV/bin/python}
MINGW=x86_64-w64-mingw32

BUILD_ONLY=0
TOOLS_ONLY=0
case "${1:-}" in
    --build-only) BUILD_ONLY=1 ;;
    --tools-only) TOOLS_ONLY=1 ;;
    "") ;;
    *) echo "usage: $0 [--build-only | --tools-only]" >&2; exit 2 ;;
esac

SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
apt_install() {
    local missing=() p
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing ${missing[*]}"
    if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then $SUDO apt-get update -q; fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
}
step() { printf '== [%s] windows: %s\n' "$(date +%H:%M:%S)" "$*"; }

step "tools"
# rustc-web/cargo-web: Debian's rustc and cargo (in /usr/bin, beside rustup's); rust-web-src: the
# standard library's source, which -Zbuild-std compiles for the Windows target.
apt_install rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 nasm cmake
[ "$BUILD_ONLY" = 1 ] || apt_install wine wine64 mono-mcs mono-devel ffmpeg zip unzip
[ "$TOOLS_ONLY" = 0 ] || exit 0

step "build avikit.dll ($(/usr/bin/rustc --version))"
# Static libgcc, libstdc++ and winpthread (-static): the DLL then needs nothing but Windows' own
# DLLs. OpenH264 is C++: the cc crate would link libstdc++ as a DLL (an empty CXXSTDLIB stops
# it), so its static archive is named at the end of the link, after OpenH264's objects
# (RUSTFLAGS come last on rustc's linker line). What libstdc++ needs from MinGW (rustc links with
# -nodefaultlibs) opens a group that stays open to the end of the line, so ld rescans it after
# libstdc++.a. That group goes to the avikit crate alone (cargo rustc): RUSTFLAGS are part of
# every unit's hash, std's too, and changing them rebuilds everything.
# No debug info: the DLL is what the NuGet package ships, and the build is faster.
env PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
    CARGO_TARGET_DIR="$WIN_TARGET_DIR" \
    CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=$MINGW-gcc \
    CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUSTFLAGS="-C link-arg=-static -C link-arg=-l:libstdc++.a" \
    CXXSTDLIB_x86_64_pc_windows_gnu= \
    CARGO_PROFILE_RELEASE_DEBUG=0 \
    /usr/bin/cargo rustc --release --lib --no-default-features --features capi,mjpeg,h264 \
    -Zbuild-std=std,panic_unwind --target $TRIPLE -- \
    -C link-arg=-Wl,--start-group -C link-arg=-lmingwex -C link-arg=-lgcc -C link-arg=-lmsvcrt -C link-arg=-lkernel32
mkdir -p "$DLL_DIR"
for f in avikit.dll libavikit.dll.a; do
    cp -p "$WIN_TARGET_DIR/$TRIPLE/release/$f" "$DLL_DIR/$f"
done
DLL=$DLL_DIR/avikit.dll

step "check the DLL's imports and exports ($MINGW-objdump -p)"
dump=$($MINGW-objdump -p "$DLL")
imports=$(sed -n 's/^\tDLL Name: //p' <<<"$dump" | tr 'A-Z' 'a-z' | sort -u)
echo "imports: $(tr '\n' ' ' <<<"$imports")"
# Windows' own DLLs (bcryptprimitives: ProcessPrng, Windows 10 and later).
system_dll='^(kernel32|ntdll|msvcrt|userenv|ws2_32|advapi32|bcryptprimitives|api-ms-win-[a-z0-9-]+)\.dll$'
if grep -Evq "$system_dll" <<<"$imports"; then
    echo "error: avikit.dll imports non-system DLLs: $(grep -Ev "$system_dll" <<<"$imports" | tr '\n' ' ')" >&2
    exit 1
fi
exports=$(sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' <<<"$dump" | sed -n 's/^\t\[ *[0-9]*\] //p' | sort)
declared=$(grep -oE '\bavk_[a-z0-9_]+\(' include/avikit.h | tr -d '(' | sort -u)
if [ "$exports" != "$declared" ]; then
    echo "error: avikit.dll's exports differ from the functions of include/avikit.h:" >&2
    diff <(echo "$declared") <(echo "$exports") >&2 || true
    exit 1
fi
echo "exports: $(wc -l <<<"$exports") functions, all avk_*, exactly those of include/avikit.h"
echo "built $DLL ($(du -h "$DLL" | cut -f1)) and $DLL_DIR/libavikit.dll.a"
[ "$BUILD_ONLY" = 1 ] && exit 0

BIN=$OUT/bin           # Windows test programs, beside avikit.dll
PRNG=$OUT/prng         # the ProcessPrng stand-in alone, on Wine's PATH
FILES=$OUT/files       # what they write
LINUX=$OUT/linux       # the same recording written on Linux
rm -rf "$BIN" "$PRNG" "$FILES" "$LINUX"
mkdir -p "$BIN" "$PRNG" "$FILES" "$LINUX" "$CACHE"
# The Windows name of a Unix path (Wine maps drive Z: to /).
winpath() { printf 'Z:%s' "${1//\//\\}"; }
export WINEPREFIX=$OUT/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
if [ ! -f "$WINEPREFIX/system.reg" ]; then
    step "Wine prefix $WINEPREFIX"
    wineboot -i >/dev/null 2>&1
fi
export WINEPATH
WINEPATH=$(winpath "$PRNG")

step "compile the Windows test programs (MinGW-w64)"
cp -p "$DLL" "$BIN/"
# Rust's std imports ProcessPrng (Windows 10+), which Wine 8 lacks: a test-only stand-in.
$MINGW-gcc -O2 -Wall -Wextra -Werror -shared -o "$PRNG/bcryptprimitives.dll" \
    tests/windows/processprng.c -ladvapi32
WARN=(-Wall -Wextra -Werror -pedantic -Iinclude -Ic_tests)
# Test programs link their own runtime statically; avikit.dll through its import library.
# C++ programs use the posix thread model (std::thread ids are real there).
cc_win() { $MINGW-gcc -std=c11 -O2 "${WARN[@]}" "$@" "$DLL_DIR/libavikit.dll.a" -static -lpthread -lm; }
cxx_win() { $MINGW-g++-posix -std=c++17 -O2 "${WARN[@]}" "$@" "$DLL_DIR/libavikit.dll.a" -static; }
# Every portable C/C++ test program of c_tests/. Not here: the packaging tests (install tree, ELF
# exports and soname through readelf, pkg-config and CMake consumers: the Linux packaging, checked
# for the DLL by objdump above), tsan_memintrinsics.c (a ThreadSanitizer helper, not a test), and
# the POSIX-only ones: test_fork (fork), test_deadlock (SIGALRM watchdog), test_close_race (signal
# handlers, /proc) and test_thread_teardown (pthread key destructors).
C_TESTS=(test_async_multistream test_sync_async_identical test_custom_sink test_misuse_basics
         test_misuse_create test_misuse_handles test_misuse_arguments test_misuse_async
         test_misuse_repair test_cancel test_backpressure test_close_pending test_threads
         test_files_platform test_formats test_camera_formats test_timing test_timing_misuse
         test_timing_nowait)
CXX_TESTS=(test_header_cxx test_cxx_raii test_cxx_camera test_cxx_timing)
for t in "${C_TESTS[@]}"; do cc_win "c_tests/$t.c" -o "$BIN/$t.exe"; done
for t in "${CXX_TESTS[@]}"; do cxx_win "c_tests/$t.cpp" -o "$BIN/$t.exe"; done
cc_win examples/c/demo.c -o "$BIN/demo.exe"
cc_win examples/c/capture_timing.c -o "$BIN/capture_timing.exe"
cxx_win examples/cpp/record.cpp -o "$BIN/record.exe"
# avikit.h compiles cleanly in every language mode MinGW callers may use.
for std in c99 c11 c17; do
    $MINGW-gcc -std=$std "${WARN[@]}" -c c_tests/packaging/header_twice.c -o "$OUT/header-$std.o"
done
for std in c++11 c++17 c++20; do
    $MINGW-g++ -x c++ -std=$std "${WARN[@]}" -c c_tests/packaging/header_twice.c -o "$OUT/header-$std.o"
done

step "C tests and examples under Wine ($(wine --version))"
export AVK_TEST_DIR
AVK_TEST_DIR=$(winpath "$FILES")
c_passed=0
run_win() { # name exe args...: runs a program under Wine, fails the script if it fails
    local name=$1 log=$OUT/$1.log rc=0
    shift
    timeout 300 wine "$@" >"$log" 2>&1 || rc=$?
    # Wine's own server dying under a program is Wine's failure, not the program's: one retry.
    if [ $rc -ne 0 ] && grep -q "wine client error" "$log"; then
        echo "note: $name: Wine's server went away ($(grep -m1 'wine client error' "$log")); running it again"
        rc=0
        timeout 300 wine "$@" >"$log" 2>&1 || rc=$?
    fi
    if [ $rc -ne 0 ]; then
        cat "$log" >&2
        echo "error: $name failed under Wine (exit $rc)" >&2
        exit 1
    fi
    local checks
    checks=$(sed -n 's/.* \([0-9][0-9]*\) passed, 0 failed.*/\1/p' "$log" | tail -n 1)
    c_passed=$((c_passed + ${checks:-0}))
    echo "ok: $name: $(tail -n 1 "$log")"
}
for t in "${C_TESTS[@]}" "${CXX_TESTS[@]}"; do
    case $t in
        test_async_multistream | test_threads | test_formats | test_camera_formats) run_win "$t" "$BIN/$t.exe" "$(winpath "$FILES/$t.avi")" ;;
        test_files_platform) run_win "$t" "$BIN/$t.exe" "$(winpath "$FILES")" ;;
        *) run_win "$t" "$BIN/$t.exe" ;;
    esac
done
run_win demo "$BIN/demo.exe" "$(winpath "$FILES/demo.avi")" 1
run_win record "$BIN/record.exe" "$(winpath "$FILES/record.avi")"
run_win capture_timing "$BIN/capture_timing.exe" "$(winpath "$FILES/capture_timing.avi")" 4
echo "C/C++ under Wine: $(( ${#C_TESTS[@]} + ${#CXX_TESTS[@]} )) test programs and 3 examples passed, $c_passed checks"

step "files written under Wine: the Linux readers, and byte-identical to Linux"
avi_check() { # file video_frames [audio_bytes]
    local audio=()
    [ $# -ge 3 ] && audio=(--audio-bytes "$3")
    if ! "$PYTHON" tests/tools/avi_check.py "$1" --video-frames "$2" "${audio[@]}" >"$OUT/avi_check.log" 2>&1; then
        cat "$OUT/avi_check.log" >&2
        echo "error: avi_check.py failed on $1" >&2
        exit 1
    fi
    echo "ok: avi_check $(basename "$1")"
}
PLATFORM_AVI="platform-äöü-日本.avi"
avi_check "$FILES/test_async_multistream.avi" 60 352800
avi_check "$FILES/test_threads.avi" 120 705600
avi_check "$FILES/demo.avi" 30 192192
avi_check "$FILES/record.avi" 60
avi_check "$FILES/$PLATFORM_AVI" 30 176400
# Irregular capture on Windows' clock: plays in real time, audio in sync (its summary line).
"$PYTHON" c_tests/check_capture_timing.py "$FILES/capture_timing.avi" "$OUT/capture_timing.log" ||
    { echo "error: the capture_timing recording made under Wine fails its check" >&2; exit 1; }
echo "ok: capture_timing.avi plays in real time"
# The same program on Linux, against the rustup-built libavikit.so.
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --lib --quiet
soname=$(objdump -p target/release/libavikit.so | awk '/SONAME/ {print $2}')
ln -sf "$ROOT/target/release/libavikit.so" "$LINUX/${soname:-libavikit.so}"
gcc -std=c11 -O2 "${WARN[@]}" c_tests/test_files_platform.c -Ltarget/release -lavikit -lpthread \
    -Wl,-rpath,"$LINUX" -o "$LINUX/test_files_platform"
"$LINUX/test_files_platform" "$LINUX" >"$OUT/linux.log"
if ! cmp "$FILES/$PLATFORM_AVI" "$LINUX/$PLATFORM_AVI"; then
    echo "error: the recording written under Wine differs from the Linux one" >&2
    exit 1
fi
echo "ok: $PLATFORM_AVI ($(stat -c %s "$LINUX/$PLATFORM_AVI") bytes: raw, MJPEG, H.264, PCM) is byte-identical on Windows and Linux"
UTVIDEO_AVI=platform-utvideo.avi
if ! cmp "$FILES/$UTVIDEO_AVI" "$LINUX/$UTVIDEO_AVI"; then
    echo "error: the Ut Video recording written under Wine differs from the Linux one" >&2
    exit 1
fi
# FFmpeg decodes every frame of its five streams without an error.
decoded=$(ffmpeg -nostdin -v error -xerror -i "$FILES/$UTVIDEO_AVI" -map 0 -f framecrc - | grep -c '^[0-9]')
[ "$decoded" = 150 ] ||
    { echo "error: FFmpeg decoded $decoded of the 150 Ut Video frames" >&2; exit 1; }
echo "ok: $UTVIDEO_AVI ($(stat -c %s "$LINUX/$UTVIDEO_AVI") bytes: ULRG, ULRA, ULH0, ULY2, gray ULY0) is byte-identical on Windows and Linux"

step ".NET: Windows CoreCLR 3.1 (the dotnetcore2 win_amd64 wheel) under Wine"
WHEEL_VERSION=3.1.23
DOTNET_WIN=$CACHE/dotnet-win/dotnetcore2/bin/dotnet.exe
if [ ! -f "$DOTNET_WIN" ]; then
    if ! ls "$CACHE"/dotnetcore2-$WHEEL_VERSION-*win_amd64.whl >/dev/null 2>&1; then
        [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
        "$VENV/bin/python" -m pip download -q --platform win_amd64 --only-binary=:all: --no-deps \
            "dotnetcore2==$WHEEL_VERSION" -d "$CACHE"
    fi
    rm -rf "$CACHE/dotnet-win"
    python3 -m zipfile -e "$CACHE"/dotnetcore2-$WHEEL_VERSION-*win_amd64.whl "$CACHE/dotnet-win"
fi
FX_VERSION=$(ls "$(dirname "$DOTNET_WIN")/shared/Microsoft.NETCore.App" | sort -V | tail -n 1)
NET=$OUT/dotnet
rm -rf "$NET"
mkdir -p "$NET"
MCS_FLAGS=(-langversion:7.2 -sdk:4.7.2 -debug -warn:4 -warnaserror -nologo)
mcs "${MCS_FLAGS[@]}" -target:library -out:"$NET/Avikit.Net.dll" bindings/dotnet/src/*.cs
mcs "${MCS_FLAGS[@]}" -target:exe -out:"$NET/AvikitTests.exe" -r:"$NET/Avikit.Net.dll" \
    bindings/dotnet/tests/*.cs bindings/dotnet/testing/Harness.cs
cat >"$NET/AvikitTests.runtimeconfig.json" <<JSON
{"runtimeOptions":{"tfm":"netcoreapp3.1","framework":{"name":"Microsoft.NETCore.App","version":"$FX_VERSION"}}}
JSON
cp -p "$DLL" "$NET/"

# Wine starts a Linux program without a process handle, so the tests cannot run ffprobe
# themselves: they drop request files (arguments, one a line) into this folder, and this loop
# runs the Linux ffprobe for each and answers with its output and exit code.
BRIDGE=$OUT/ffprobe-bridge
ffprobe_bridge() {
    local req base rc args
    while [ ! -e "$BRIDGE/stop" ]; do
        for req in "$BRIDGE"/*.req; do
            [ -e "$req" ] || continue
            base=${req%.req}
            mapfile -t args < <(tr -d '\r' <"$req")
            rm -f "$req"
            rc=0
            ffprobe "${args[@]}" >"$base.out" 2>"$base.err" || rc=$?
            echo "$rc" >"$base.tmp-done"
            mv "$base.tmp-done" "$base.done"
        done
        sleep 0.02
    done
}
rm -rf "$BRIDGE"
mkdir -p "$BRIDGE"
ffprobe_bridge &
BRIDGE_PID=$!
trap 'touch "$BRIDGE/stop"; wait "$BRIDGE_PID" 2>/dev/null || true' EXIT
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
export AVIKIT_FFPROBE_BRIDGE
AVIKIT_FFPROBE_BRIDGE=$(winpath "$BRIDGE")
net_summary=()
run_net() { # name windows|linux command...: the binding's test program; all must pass
    local name=$1 out=$OUT/$1-out log=$OUT/$1.log rc=0 summary
    [ "$2" = windows ] && out=$(winpath "$out")
    shift 2
    rm -rf "${OUT:?}/$name-out"
    AVIKIT_TEST_OUT=$out timeout 600 "$@" >"$log" 2>&1 || rc=$?
    # (Windows programs end their lines with CR LF.)
    summary=$(tr -d '\r' <"$log" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1 || true)
    if [ $rc -ne 0 ] || [ -z "$summary" ] || [ "${summary#*, }" != "0 failed" ]; then
        cat "$log" >&2
        echo "error: .NET tests ($name) failed (exit $rc)" >&2
        exit 1
    fi
    net_summary+=("$name: $summary")
    echo "ok: .NET $name: $(head -n 1 "$log" | tr -d '\r'): $summary"
}
run_net coreclr-wine windows wine "$DOTNET_WIN" exec \
    --runtimeconfig "$(winpath "$NET/AvikitTests.runtimeconfig.json")" "$(winpath "$NET/AvikitTests.exe")"

# ---- SharpAvi compatibility (Avikit.SharpAvi.dll) on Windows CoreCLR: its tests, and every sample
# of SharpAvi's documentation patterns but AudioMp3 (there is no Windows LAME here), each file
# checked by the Linux ffprobe (60 frames decoded) and avikit inspect.
step ".NET: Avikit.SharpAvi tests and samples under Wine"
mcs "${MCS_FLAGS[@]}" -target:library -out:"$NET/Avikit.SharpAvi.dll" -r:"$NET/Avikit.Net.dll" \
    bindings/dotnet/sharpavi/src/*.cs
mcs "${MCS_FLAGS[@]}" -target:exe -out:"$NET/SharpAviTests.exe" -r:"$NET/Avikit.SharpAvi.dll" \
    -r:"$NET/Avikit.Net.dll" bindings/dotnet/sharpavi/tests/*.cs bindings/dotnet/testing/Harness.cs
run_net sharpavi-coreclr-wine windows wine "$DOTNET_WIN" exec \
    --runtimeconfig "$(winpath "$NET/AvikitTests.runtimeconfig.json")" "$(winpath "$NET/SharpAviTests.exe")"
cargo build --release --bin avikit --quiet
SHARPAVI_SAMPLES=(GettingStarted Encoders EncoderExtensions AudioPcm AsyncTasks AsyncApm CustomEncoders)
for sample in "${SHARPAVI_SAMPLES[@]}"; do
    mcs "${MCS_FLAGS[@]}" -target:exe -out:"$NET/$sample.exe" -r:"$NET/Avikit.SharpAvi.dll" \
        -r:"$NET/Avikit.Net.dll" "bindings/dotnet/sharpavi/samples/$sample.cs"
    dir=$OUT/sharpavi-samples/$sample
    rm -rf "$dir"
    mkdir -p "$dir"
    if ! timeout 300 wine "$DOTNET_WIN" exec --runtimeconfig "$(winpath "$NET/AvikitTests.runtimeconfig.json")" \
        "$(winpath "$NET/$sample.exe")" "$(winpath "$dir")" >"$dir.log" 2>&1; then
        cat "$dir.log" >&2
        echo "error: SharpAvi sample $sample failed under Wine" >&2
        exit 1
    fi
    for file in "$dir"/*.avi; do
        frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$file")
        if [ "$frames" != 60 ] || ! target/release/avikit inspect "$file" >"$file.inspect" 2>&1; then
            cat "$file.inspect" >&2
            echo "error: SharpAvi sample $sample: $(basename "$file"): $frames frames (expected 60) or avikit inspect failed" >&2
            exit 1
        fi
        echo "ok: SharpAvi sample $sample under Wine: $(basename "$file"): 60 frames, avikit inspect ok"
    done
done
net_summary+=("sharpavi samples under Wine: ${#SHARPAVI_SAMPLES[@]} programs")

step "NuGet package: build it, unpack it, run the tests from its layout (Linux and Wine CoreCLR)"
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
PKG_DIR=$ROOT/target/nuget
NUPKG=$PKG_DIR/Avikit.$VERSION.nupkg
STAGE=$OUT/nuget-stage
rm -rf "$STAGE" "$NUPKG"
mkdir -p "$STAGE/lib/netstandard2.0" "$STAGE/runtimes/linux-x64/native" \
    "$STAGE/runtimes/win-x64/native" "$STAGE/_rels" "$PKG_DIR"
cp -p "$NET/Avikit.Net.dll" "$NET/Avikit.SharpAvi.dll" "$STAGE/lib/netstandard2.0/"
cp -p target/release/libavikit.so "$STAGE/runtimes/linux-x64/native/"
cp -p "$DLL" "$STAGE/runtimes/win-x64/native/"
cat >"$STAGE/Avikit.nuspec" <<XML
<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>Avikit</id>
    <version>$VERSION</version>
    <authors>avikit contributors</authors>
    <license type="expression">MIT OR Apache-2.0</license>
    <description>AVI 1.0 and OpenDML writer with an asynchronous (APM and Task) write queue: the .NET binding of avikit, with the native library for win-x64 and linux-x64.</description>
    <tags>avi opendml video mjpeg h264 sharpavi</tags>
    <dependencies>
      <group targetFramework=".NETStandard2.0" />
    </dependencies>
  </metadata>
</package>
XML
cat >"$STAGE/[Content_Types].xml" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />
  <Default Extension="nuspec" ContentType="application/octet" />
  <Default Extension="dll" ContentType="application/octet" />
  <Default Extension="so" ContentType="application/octet" />
</Types>
XML
cat >"$STAGE/_rels/.rels" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
  <Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/Avikit.nuspec" Id="R0" />
</Relationships>
XML
(cd "$STAGE" && zip -q -X -D -r "$NUPKG" '[Content_Types].xml' _rels Avikit.nuspec lib runtimes)
echo "built $NUPKG: $(unzip -Z1 "$NUPKG" | tr '\n' ' ')"

# An app folder as a .NET SDK build leaves it: the package's managed assembly beside the app, its
# runtimes/ folder as is, and a deps.json naming the native asset of each runtime identifier.
APP=$OUT/nuget-app
rm -rf "$APP"
mkdir -p "$APP/unpacked"
unzip -q "$NUPKG" -d "$APP/unpacked"
cp -p "$APP/unpacked/lib/netstandard2.0/Avikit.Net.dll" "$NET/AvikitTests.exe" \
    "$NET/AvikitTests.runtimeconfig.json" "$APP/"
cp -pr "$APP/unpacked/runtimes" "$APP/"
cat >"$APP/AvikitTests.deps.json" <<JSON
{
  "runtimeTarget": {"name": ".NETCoreApp,Version=v3.1", "signature": ""},
  "compilationOptions": {},
  "targets": {
    ".NETCoreApp,Version=v3.1": {
      "AvikitTests/1.0.0": {"dependencies": {"Avikit": "$VERSION"}, "runtime": {"AvikitTests.exe": {}}},
      "Avikit/$VERSION": {
        "runtime": {"lib/netstandard2.0/Avikit.Net.dll": {}},
        "runtimeTargets": {
          "runtimes/linux-x64/native/libavikit.so": {"rid": "linux-x64", "assetType": "native"},
          "runtimes/win-x64/native/avikit.dll": {"rid": "win-x64", "assetType": "native"}
        }
      }
    }
  },
  "libraries": {
    "AvikitTests/1.0.0": {"type": "project", "serviceable": false, "sha512": ""},
    "Avikit/$VERSION": {"type": "package", "serviceable": true, "sha512": "", "path": "avikit/$VERSION"}
  }
}
JSON
find_dotnet() {
    "$VENV/bin/python" - <<'PY'
import importlib.util, os
spec = importlib.util.find_spec("dotnetcore2")
print(os.path.join(os.path.dirname(spec.origin), "bin", "dotnet") if spec else "")
PY
}
DOTNET_LINUX=$(find_dotnet)
if [ -z "$DOTNET_LINUX" ] || [ ! -x "$DOTNET_LINUX" ]; then
    "$VENV/bin/pip" install -q "dotnetcore2==$WHEEL_VERSION"
    DOTNET_LINUX=$(find_dotnet)
fi
# No avikit.dll on any search path here: it must come from runtimes/win-x64/native/.
run_net nuget-coreclr-linux linux env -u LD_LIBRARY_PATH -u AVIKIT_FFPROBE_BRIDGE "$DOTNET_LINUX" exec \
    --runtimeconfig "$APP/AvikitTests.runtimeconfig.json" --depsfile "$APP/AvikitTests.deps.json" \
    "$APP/AvikitTests.exe"
run_net nuget-coreclr-wine windows wine "$DOTNET_WIN" exec \
    --runtimeconfig "$(winpath "$APP/AvikitTests.runtimeconfig.json")" \
    --depsfile "$(winpath "$APP/AvikitTests.deps.json")" "$(winpath "$APP/AvikitTests.exe")"

# ---- SharpAvi compatibility from the package: its tests with Avikit.SharpAvi.dll and Avikit.Net.dll
# taken from lib/netstandard2.0/ and the native library from runtimes/ (Linux and Wine CoreCLR).
cp -p "$APP/unpacked/lib/netstandard2.0/Avikit.SharpAvi.dll" "$NET/SharpAviTests.exe" "$APP/"
cp -p "$APP/AvikitTests.runtimeconfig.json" "$APP/SharpAviTests.runtimeconfig.json"
sed -e 's/AvikitTests/SharpAviTests/g' \
    -e 's|"lib/netstandard2.0/Avikit.Net.dll": {}|&, "lib/netstandard2.0/Avikit.SharpAvi.dll": {}|' \
    "$APP/AvikitTests.deps.json" >"$APP/SharpAviTests.deps.json"
run_net nuget-sharpavi-coreclr-linux linux env -u LD_LIBRARY_PATH "$DOTNET_LINUX" exec \
    --runtimeconfig "$APP/SharpAviTests.runtimeconfig.json" --depsfile "$APP/SharpAviTests.deps.json" \
    "$APP/SharpAviTests.exe"
run_net nuget-sharpavi-coreclr-wine windows wine "$DOTNET_WIN" exec \
    --runtimeconfig "$(winpath "$APP/SharpAviTests.runtimeconfig.json")" \
    --depsfile "$(winpath "$APP/SharpAviTests.deps.json")" "$(winpath "$APP/SharpAviTests.exe")"

printf '\n== windows: all passed\n'
echo "avikit.dll imports: $(tr '\n' ' ' <<<"$imports")"
echo "C/C++ under Wine: $(( ${#C_TESTS[@]} + ${#CXX_TESTS[@]} )) test programs + 2 examples, $c_passed checks"
printf '.NET %s\n' "${net_summary[@]}"

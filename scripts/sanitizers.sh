#!/usr/bin/env bash
# The C tests (c_tests/) under sanitizers and valgrind:
#   1. ASan + UBSan (LeakSanitizer on): C side built with gcc -fsanitize=address,undefined,
#      libavikit built with a nightly rustc and -Zsanitizer=address (target/asan);
#   2. ThreadSanitizer: C side gcc -fsanitize=thread, libavikit -Zsanitizer=thread (target/tsan);
#   3. valgrind memcheck against the normal release library (target/release).
# Without a nightly toolchain, 1 instruments only the C side and 2 is skipped, both loudly.
# Build directories: build/asan, build/tsan, build/valgrind. Exits non-zero on any finding.
# Works from any cwd; safe to run again (cargo and cmake rebuild only what changed).
#
# Environment: AVIKIT_SANITIZERS="asan tsan valgrind" selects runs (default: all three);
# AVIKIT_NIGHTLY=0 ignores an installed nightly toolchain (to try the fallback).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
export PATH="$HOME/.cargo/bin:$PATH"

RUNS=${AVIKIT_SANITIZERS:-asan tsan valgrind}
JOBS=2
CTEST_EXCLUDE='_avi_check$' # the Python file checks are not what is under test here

banner() { printf '\n===== [%s] sanitizers: %s =====\n' "$(date +%H:%M:%S)" "$*"; }
BANG='!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!'
loud() { printf '\n%s\n' "$BANG" >&2; printf '!!! %s\n' "$@" >&2; printf '%s\n\n' "$BANG" >&2; }
CURRENT="start"
NOTES=() # runs that were skipped or weakened, repeated at the end
on_exit() {
    local rc=$?
    if [ $rc -ne 0 ]; then
        printf '\n===== sanitizers: FAILED (exit %d) during: %s =====\n' "$rc" "$CURRENT" >&2
    fi
}
trap on_exit EXIT

command -v gcc >/dev/null || { echo "gcc is required" >&2; exit 1; }

# ---- the nightly toolchain ------------------------------------------------------------------
HAVE_NIGHTLY=0
if [ "${AVIKIT_NIGHTLY:-1}" != 0 ] && cargo +nightly --version >/dev/null 2>&1 &&
    rustc +nightly --version >/dev/null 2>&1; then
    HAVE_NIGHTLY=1
    HOST=$(rustc +nightly -vV | sed -n 's/^host: //p')
    # Newer nightlies refuse to link crates built with a sanitizer against a std built
    # without it unless told that this is intended (std is not rebuilt: no rust-src).
    ABI_FLAG=""
    if rustc +nightly -C help 2>/dev/null | grep -q 'unsafe-allow-abi-mismatch'; then
        ABI_FLAG="-Cunsafe-allow-abi-mismatch=sanitizer"
    fi
    echo "nightly: $(rustc +nightly --version), host $HOST"
fi

# build_instrumented_lib <sanitizer> <target dir>: builds libavikit with -Zsanitizer=<sanitizer>
# in <target dir> and prints the directory of the libraries. --target keeps RUSTFLAGS off build
# scripts; C code that crates compile themselves is not instrumented (neither checked nor a
# source of false reports). The `h264` feature is left out: OpenH264 is C++ that would not be
# instrumented either, and building it twice more costs CI minutes (the C tests accept
# AVK_E_UNSUPPORTED for codecs not built in).
build_instrumented_lib() {
    local san=$1 target_dir=$2
    CARGO_TARGET_DIR="$target_dir" AVIKIT_SONAME=1 \
    RUSTFLAGS="-Zsanitizer=$san $ABI_FLAG -Cforce-frame-pointers=yes" \
        cargo +nightly build --lib --release -j"$JOBS" --target "$HOST" \
        --no-default-features --features capi,mjpeg >&2
    echo "$target_dir/$HOST/release"
}

# The release library as the Windows step's Linux half built it just before, in the same
# environment: CC or CXX set here made cargo rebuild OpenH264 and the library, and the benchmark
# run after this step rebuild them back, 45 s each.
build_release_lib() {
    cargo build --lib --release -j"$JOBS" >&2
    echo "$ROOT/target/release"
}

# configure_and_test <build dir> <lib dir> <cmake args...>: builds the C tests against the
# libavikit in <lib dir> and runs them with ctest (environment as exported by the caller;
# EXCLUDE, when set, is the regular expression of the tests left out instead of CTEST_EXCLUDE).
configure_and_test() {
    local dir=$1 libdir=$2
    shift 2
    cmake -S "$ROOT" -B "$ROOT/$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ \
        -DAVIKIT_PREBUILT_LIB_DIR="$libdir" "$@" >/dev/null
    cmake --build "$ROOT/$dir" -j"$JOBS"
    ctest --test-dir "$ROOT/$dir" -E "${EXCLUDE:-$CTEST_EXCLUDE}" -j"$JOBS" --output-on-failure
}

# ---- 1. ASan + UBSan ----------------------------------------------------------------------
run_asan() {
    CURRENT="ASan + UBSan"
    banner "$CURRENT (build/asan)"
    local flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
    local libdir
    if [ "$HAVE_NIGHTLY" = 1 ]; then
        echo "Rust library instrumented: nightly -Zsanitizer=address (target/asan)"
        libdir=$(build_instrumented_lib address "$ROOT/target/asan")
    else
        loud "Rust library NOT instrumented: no nightly toolchain." \
             "Only the C test programs are built with ASan/UBSan, against target/release."
        NOTES+=("ASan: Rust library NOT instrumented (no nightly toolchain)")
        libdir=$(build_release_lib)
    fi
    # The instrumented Rust code calls into the ASan runtime without carrying one: gcc's
    # libasan, linked into the test programs, serves both sides (one runtime per process).
    # test_fork_busy is left out: its threads keep beginning frames (and so allocating) while
    # it forks, and gcc 12's libasan, unlike glibc's malloc, does not take its allocator's
    # locks around fork, so a child forked while another thread held one waits for it forever
    # at its first allocation (gdb on a hung child, 1 run in 6-12 here: a futex in
    # SizeClassAllocator64::GetFromAllocator, reached from the error message of the child's
    # first call). The plain, TSan and valgrind runs have it (300, 50 and 20 forks).
    ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1" \
    EXCLUDE="$CTEST_EXCLUDE|^test_fork_busy\$" \
    UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
        configure_and_test build/asan "$libdir" \
            -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
            -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
            -DAVIKIT_TEST_EXTRA_SOURCES="" -DAVIKIT_TEST_LAUNCHER="" -DAVIKIT_TEST_TIMEOUT=180
    echo "ASan + UBSan: clean"
}

# ---- 2. ThreadSanitizer --------------------------------------------------------------------
run_tsan() {
    CURRENT="ThreadSanitizer"
    banner "$CURRENT (build/tsan)"
    local flags="-fsanitize=thread -fno-omit-frame-pointer"
    local libdir extra=""
    if [ "$HAVE_NIGHTLY" = 1 ]; then
        echo "Rust library instrumented: nightly -Zsanitizer=thread (target/tsan);" \
             "Rust's std itself is not (no rust-src to rebuild it)"
        libdir=$(build_instrumented_lib thread "$ROOT/target/tsan")
        # LLVM's TSan calls __tsan_memcpy & co., which gcc's libtsan lacks: forward them.
        local libtsan
        libtsan=$(gcc -print-file-name=libtsan.so)
        if ! nm -D "$libtsan" 2>/dev/null | grep -q ' T __tsan_memcpy$'; then
            extra="$ROOT/c_tests/tsan_memintrinsics.c"
        fi
    else
        # Tried: with only the C side instrumented, TSan sees the library's memcpy/malloc/free
        # (intercepted) but none of its synchronization (parking_lot, crossbeam, Arc), so every
        # test reports races: nothing to learn from it.
        loud "ThreadSanitizer SKIPPED: no nightly toolchain, so the Rust library cannot be" \
             "instrumented, and C-side-only TSan reports races in every test (it cannot see" \
             "the library's locks). Install a nightly toolchain to run it."
        NOTES+=("ThreadSanitizer SKIPPED (no nightly toolchain)")
        return 0
    fi
    # c_tests/tsan.supp: false positives from Rust's uninstrumented std, one commented entry each.
    # test_fork_busy's children would start a writer (threads) of their own after forking a
    # process with threads, which TSan cannot follow: that part runs in the other runs only.
    local options="halt_on_error=1:second_deadlock_stack=1:history_size=4"
    options="$options:suppressions=$ROOT/c_tests/tsan.supp"
    # test_close_race: 300 of its 1000 rounds (each starts and stops encoder threads, which TSan
    # makes slow); the plain and ASan runs keep all of them.
    TSAN_OPTIONS="$options" AVK_TEST_FORK_ROUNDS=50 AVK_TEST_FORK_CHILD_WRITER=0 \
    AVK_TEST_CLOSE_RACE_ROUNDS=300 \
        configure_and_test build/tsan "$libdir" \
            -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
            -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
            -DAVIKIT_TEST_EXTRA_SOURCES="$extra" -DAVIKIT_TEST_LAUNCHER="" -DAVIKIT_TEST_TIMEOUT=300
    echo "ThreadSanitizer: clean"
}

# ---- 3. valgrind memcheck ---------------------------------------------------------------------
run_valgrind() {
    CURRENT="valgrind memcheck"
    banner "$CURRENT (build/valgrind)"
    command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
    local libdir launcher
    libdir=$(build_release_lib)
    launcher="valgrind;--error-exitcode=1;--leak-check=full;--errors-for-leak-kinds=definite"
    launcher="$launcher;--show-leak-kinds=definite;--num-callers=30"
    # test_close_race starts a writer with encoder threads in each of its rounds, which valgrind
    # runs one thread at a time: 50 rounds check for leaks (ASan runs all 1000, TSan 300); so do
    # test_fork_busy's forks: 20 of them.
    AVK_TEST_FORK_ROUNDS=20 AVK_TEST_CLOSE_RACE_ROUNDS=50 configure_and_test build/valgrind "$libdir" \
        -DCMAKE_C_FLAGS="" -DCMAKE_CXX_FLAGS="" -DCMAKE_EXE_LINKER_FLAGS="" \
        -DAVIKIT_TEST_EXTRA_SOURCES="" -DAVIKIT_TEST_LAUNCHER="$launcher" \
        -DAVIKIT_TEST_TIMEOUT=600
    echo "valgrind memcheck: clean"
}

start=$(date +%s)
for run in $RUNS; do
    case $run in
    asan) run_asan ;;
    tsan) run_tsan ;;
    valgrind) run_valgrind ;;
    *) echo "unknown run '$run' in AVIKIT_SANITIZERS (asan, tsan, valgrind)" >&2; exit 2 ;;
    esac
done
CURRENT="done"
for note in "${NOTES[@]}"; do
    loud "$note"
done
banner "no findings ($RUNS) in $(( $(date +%s) - start )) s${NOTES:+; see the notes above}"

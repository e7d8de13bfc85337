#!/usr/bin/env bash
# Install everything scripts/test.sh needs. Idempotent: checks first, installs
# only what is missing, so a second run is fast.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV=${AVIKIT_VENV:-$ROOT/.venv}
CBINDGEN_VERSION=0.29.4

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# --- apt packages ----------------------------------------------------------
# cmake and nasm build the bundled libjpeg-turbo (cargo feature `mjpeg`). libjpeg62-turbo-dev:
# the system libjpeg the ctest packaging tests link next to avikit (avikit_consumer_jpeg_*).
# GStreamer, VLC and MPlayer: the non-FFmpeg readers tests/tools/avi_check.py plays every file
# with; python3-gst-1.0 + gir1.2-gst-plugins-base-1.0 let tests/tools/gst_read.py (run by the
# system python3, which has the GObject bindings) drive avidemux, count buffers and seek;
# -plugins-base-apps has gst-discoverer-1.0 (GStreamer's duration, in reader_census.py).
APT_PKGS=(cmake nasm ffmpeg mediainfo python3-venv pkg-config valgrind g++ libjpeg62-turbo-dev libmp3lame0
    gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
    gstreamer1.0-libav gstreamer1.0-plugins-base-apps python3-gst-1.0 gir1.2-gst-plugins-base-1.0
    vlc-bin vlc-plugin-base mplayer)
missing=()
for pkg in "${APT_PKGS[@]}"; do
    if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        echo "ok: $pkg present"
    else
        missing+=("$pkg")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- VLC's user -----------------------------------------------------------------
# VLC refuses to run as root. When the tests run as root, avi_check.py runs VLC as this system
# user; it hands VLC the file as an inherited descriptor (fd://) and lets it write into a
# directory it owns, so the user needs no access to the tests' (possibly 0700) directories.
VLC_USER=avikit-vlc
if [ "$(id -u)" -eq 0 ]; then
    if id -u "$VLC_USER" >/dev/null 2>&1; then
        echo "ok: user $VLC_USER present"
    else
        echo "creating system user $VLC_USER (runs VLC for the tests)"
        useradd --system --create-home --home-dir "/var/lib/$VLC_USER" --shell /usr/sbin/nologin "$VLC_USER"
    fi
fi

# --- Python venv with PyAV / OpenCV / numpy --------------------------------
# OpenCV 4.10: later wheels (4.14, 5.0) cannot open files by name with CAP_OPENCV_MJPEG.
venv_ok() {
    [ -x "$VENV/bin/python" ] &&
        "$VENV/bin/python" -c 'import av, cv2, numpy; assert cv2.__version__.startswith("4.10.")' 2>/dev/null
}
if venv_ok; then
    echo "ok: python venv $VENV (av, cv2, numpy) present"
else
    echo "installing python venv $VENV (av, opencv-python-headless, numpy)"
    if [ ! -x "$VENV/bin/python" ]; then
        created=""
        for py in /usr/bin/python3 "$(command -v python3 || true)"; do
            [ -n "$py" ] && [ -x "$py" ] || continue
            existed=no; [ -e "$VENV" ] && existed=yes
            if "$py" -m venv "$VENV"; then created=$py; break; fi
            [ "$existed" = yes ] || rm -rf "$VENV"   # only clean up what we made
        done
        if [ -z "$created" ]; then
            echo "error: could not create a venv at $VENV with any python3" >&2
            exit 1
        fi
    fi
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q av "opencv-python-headless==4.10.0.84" "numpy<2"
    venv_ok || { echo "error: venv at $VENV still cannot import av, cv2, numpy" >&2; exit 1; }
fi

# --- the Python binding's build and test tools (scripts/python-test.sh) ------
# maturin builds bindings/python (pip install --no-build-isolation uses this one); pytest and
# tqdm (its progress example) run its tests.
if "$VENV/bin/python" -c 'import pytest, tqdm' 2>/dev/null && [ -x "$VENV/bin/maturin" ]; then
    echo "ok: python venv $VENV (pytest, maturin, tqdm) present"
else
    echo "installing pytest, maturin and tqdm into $VENV"
    "$VENV/bin/python" -m pip install -q pytest "maturin>=1.7,<2" tqdm
fi

# --- .gitignore --------------------------------------------------------------
touch .gitignore
for pat in /target /build .venv/; do
    grep -qxF "$pat" .gitignore || echo "$pat" >> .gitignore
done

# --- cbindgen (pinned) -------------------------------------------------------
export PATH="$HOME/.cargo/bin:$PATH"
if [ "$(cbindgen --version 2>/dev/null || true)" = "cbindgen $CBINDGEN_VERSION" ]; then
    echo "ok: cbindgen $CBINDGEN_VERSION present"
else
    echo "installing cbindgen $CBINDGEN_VERSION"
    cargo install cbindgen --version "$CBINDGEN_VERSION" --locked
fi

# --- rustup components -------------------------------------------------------
installed_components=$(rustup component list --installed 2>/dev/null || true)
for comp in rustfmt clippy; do
    if grep -q "^$comp" <<<"$installed_components"; then
        echo "ok: rustup component $comp present"
    else
        echo "installing rustup component $comp"
        rustup component add "$comp"
    fi
done

#!/usr/bin/env bash
# Side-by-side comparison of imgkit with sharp, pyvips and Pillow on the same jobs, one thread each.
#
#   bash benches/compare/run.sh
#
# Needs cargo, node + npm and python3 (with venv; on Debian the script installs python3-venv if it can).
# Installs the peers, pinned, into benches/compare/.peers/ (git-ignored; reused on later runs), builds
# benches/src/bin/compare-runner.rs, generates deterministic photo-like inputs and prints a markdown table,
# also saved to benches/compare/results.md. Not part of CI.
#
# Environment:
#   IMAGES=DIR   use real photos instead of the generated inputs (see README.md in this folder)
#   ROUNDS=N     rounds that alternate the tools, so slow spells on a shared machine hit all (default 3)
#   ITERS=N      timed in-process iterations per tool, job and round (default 10), after WARMUP=N (default 3)
#   PNG_COMPRESSION=N  zlib level for the peers' PNG output (default 6, each peer's own default)
#   CPU=N        pin every worker to CPU N with taskset (default 0; CPU= unpins)
#   PEERS_DIR=DIR      where to install the peers (default benches/compare/.peers)
#   BYTES=1      instead of timing, bytes against SSIMULACRA2 per JPEG, WebP and AVIF encoder, imgkit's
#                and the peers', with a plot (bytes.py; writes bytes.md and bytes.png here)
#   FOCUS=1      instead of timing, where imgkit's focus=attention|entropy put a square cover crop of each
#                photo against sharp's strategies, with the overlap and the time (focus.py; writes focus.md)
#   WIDTHS=1 or W,W,...  instead of timing, check imgkit's default thumbnails against the exact ones and
#                sharp's, photo by photo and width by width (widths.py; exits 1 below the floor)
#   ANIMATION=1  instead of timing, a 100-frame animated GIF (built from the first JPEG) -> 200 px animated
#                WebP q82 by imgkit's CLI, sharp (animated: true) and Pillow: time, frames and delays kept,
#                PSNR frame by frame against exact thumbnails, peak RSS (animation.py; writes animation.md).
#                IMGKIT_CLI=PATH uses that CLI instead of building it; FRAMES=N, ITERS (default 5 here),
#                WARMUP (default 1 here), KEEP=1 keeps the temporary GIFs and outputs
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PEERS=${PEERS_DIR:-$HERE/.peers}

SHARP_VERSION=0.35.5
PYVIPS_VERSION=3.2.0
PYVIPS_BINARY_VERSION=8.18.7
PILLOW_VERSION=13.0.0
MATPLOTLIB_VERSION=3.10.7

say() { printf '==> %s\n' "$*" >&2; }
for tool in cargo node npm python3; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool not found; install it first" >&2; exit 2; }
done
mkdir -p "$PEERS"

# --- sharp (npm), with its prebuilt libvips ---
NODE_DIR=$PEERS/node
if [ ! -f "$NODE_DIR/.installed-sharp-$SHARP_VERSION" ]; then
    say "installing sharp@$SHARP_VERSION into $NODE_DIR"
    rm -rf "$NODE_DIR"
    mkdir -p "$NODE_DIR"
    echo '{"name":"imgkit-compare-peers","private":true}' >"$NODE_DIR/package.json"
    (cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error --include=optional \
        "sharp@$SHARP_VERSION") >&2
    touch "$NODE_DIR/.installed-sharp-$SHARP_VERSION"
fi

# --- pyvips + pyvips-binary (libvips) and Pillow (PyPI), in a venv ---
VENV=$PEERS/venv
PY_STAMP=$VENV/.installed-pyvips-$PYVIPS_VERSION-binary-$PYVIPS_BINARY_VERSION-pillow-$PILLOW_VERSION
if [ ! -f "$PY_STAMP" ]; then
    say "installing pyvips==$PYVIPS_VERSION pyvips-binary==$PYVIPS_BINARY_VERSION pillow==$PILLOW_VERSION into $VENV"
    rm -rf "$VENV"
    if ! python3 -m venv "$VENV" 2>/dev/null; then
        # Debian's python3 lacks ensurepip until python3-venv is installed.
        rm -rf "$VENV"
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            say "python3 -m venv failed; installing python3-venv with apt-get"
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
            python3 -m venv "$VENV"
        else
            echo "run.sh: python3 -m venv failed; install python3-venv" >&2
            exit 2
        fi
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        "pyvips==$PYVIPS_VERSION" "pyvips-binary==$PYVIPS_BINARY_VERSION" "pillow==$PILLOW_VERSION"
    touch "$PY_STAMP"
fi

if [ -n "${ANIMATION:-}" ]; then
    # A 100-frame animated GIF -> 200 px animated WebP against sharp and Pillow, with fidelity against
    # frame-by-frame exact thumbnails (animation.py), instead of the timing. Only compare-runner's
    # `exact`, `psnr` and `gen` are used, so an existing build is taken as it is; the CLI is built.
    TARGET_DIR=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
    RUNNER=$TARGET_DIR/release/compare-runner
    if [ ! -x "$RUNNER" ]; then
        say "building compare-runner (release)"
        (cd "$ROOT" && cargo build --quiet --release -p imgkit-benches --bin compare-runner)
    fi
    if [ -n "${IMGKIT_CLI:-}" ]; then
        say "using the imgkit CLI at $IMGKIT_CLI as it is"
    else
        say "building the imgkit CLI (release)"
        (cd "$ROOT" && cargo build --quiet --release -p imgkit-cli)
        IMGKIT_CLI=$TARGET_DIR/release/imgkit
    fi
    if [ -z "${IMAGES:-}" ] && [ ! -f "$PEERS/inputs/jpeg-12mp.jpg" ]; then
        say "generating photo-like inputs into $PEERS/inputs"
        "$RUNNER" gen "$PEERS/inputs"
    fi
    export UV_THREADPOOL_SIZE=1 VIPS_CONCURRENCY=1 RAYON_NUM_THREADS=1 OMP_NUM_THREADS=1
    exec "$VENV/bin/python" "$HERE/animation.py" \
        --imgkit "$IMGKIT_CLI" \
        --runner "$RUNNER" \
        --node-modules "$NODE_DIR/node_modules" \
        --venv-python "$VENV/bin/python" \
        --images "${IMAGES:-$PEERS/inputs}" \
        --results-dir "$HERE"
fi

# --- imgkit's runner (release build, the workspace's own target dir) ---
say "building compare-runner (release)"
(cd "$ROOT" && cargo build --quiet --release -p imgkit-benches --bin compare-runner)
TARGET_DIR=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
RUNNER=$TARGET_DIR/release/compare-runner

# --- inputs ---
INPUTS=$PEERS/inputs
if [ -z "${IMAGES:-}" ]; then
    say "generating photo-like inputs into $INPUTS"
    "$RUNNER" gen "$INPUTS"
fi

# --- run and report ---
export UV_THREADPOOL_SIZE=1 VIPS_CONCURRENCY=1 RAYON_NUM_THREADS=1 OMP_NUM_THREADS=1
if [ -n "${BYTES:-}" ]; then
    # Bytes against SSIMULACRA2 per encoder (bytes.py), instead of the timing; matplotlib for its plot.
    "$VENV/bin/python" -c 'import matplotlib' 2>/dev/null ||
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "matplotlib==$MATPLOTLIB_VERSION"
    (cd "$ROOT" && cargo build --quiet --release -p imgkit-benches --bin bytes-runner)
    exec "$VENV/bin/python" "$HERE/bytes.py" \
        --runner "$RUNNER" \
        --bytes-runner "$TARGET_DIR/release/bytes-runner" \
        --node-modules "$NODE_DIR/node_modules" \
        --images "${IMAGES:-$INPUTS}" \
        --out-dir "$PEERS/out/bytes" \
        --results-dir "$HERE"
fi
if [ -n "${FOCUS:-}" ]; then
    (cd "$ROOT" && cargo build --quiet --release -p imgkit-cli)
    exec python3 "$HERE/focus.py" \
        --imgkit "$TARGET_DIR/release/imgkit" \
        --node-modules "$NODE_DIR/node_modules" \
        --images "${IMAGES:-$INPUTS}" \
        --results-dir "$HERE"
fi
if [ -n "${WIDTHS:-}" ]; then
    # The fidelity floor width by width against sharp (WIDTHS=1: widths.py's default list), instead of
    # the timing.
    [ "$WIDTHS" = 1 ] && widths=() || widths=(--widths "$WIDTHS")
    exec python3 "$HERE/widths.py" \
        --runner "$RUNNER" \
        --node-modules "$NODE_DIR/node_modules" \
        --images "${IMAGES:-$INPUTS}" \
        --out-dir "$PEERS/out/widths" \
        "${widths[@]}"
fi
exec python3 "$HERE/compare.py" \
    --runner "$RUNNER" \
    --node-modules "$NODE_DIR/node_modules" \
    --venv-python "$VENV/bin/python" \
    --images "${IMAGES:-$INPUTS}" \
    --out-dir "$PEERS/out" \
    --results "$HERE/results.md"

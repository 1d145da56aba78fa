#!/usr/bin/env bash
# Runs the packaged function (target/lambda/<arch>/bootstrap.zip, from deploy/package.sh) through the
# end-to-end test, in a root that holds nothing but what provided.al2023 gives it: the zip unpacked at
# /var/task, the base libraries the binary names (libc, libm, the loader), and /proc. It runs as that
# root (`unshare -r` + `chroot`, unprivileged), against the test's Lambda Runtime API emulator and
# moto's S3 on loopback: every corpus upload (JPEG, PNG, WebP, animated GIF, iPhone HEIC, AVIF, the
# hostile files) must end in its renditions or its record, and the cold start must report that the
# decoding sandbox confined a child that decoded HEIC and AVIF inside that root.
#
#   bash deploy/test-package.sh [--arch x86_64|arm64]     # default x86_64 (this machine's)
#
# arm64 runs under qemu-user (Debian's qemu-user-static, copied into the root), with Debian's arm64 glibc
# (libc6-arm64-cross) as the base libraries. Times under qemu mean nothing; outcomes do.
set -euo pipefail
cd "$(dirname "$0")/.."

ARCH=x86_64
while [ $# -gt 0 ]; do
    case "$1" in
        --arch) ARCH=$2; shift 2 ;;
        --arch=*) ARCH=${1#--arch=}; shift ;;
        *) echo "test-package.sh: unknown argument $1 (usage: deploy/test-package.sh [--arch x86_64|arm64])" >&2; exit 2 ;;
    esac
done
ZIP=target/lambda/$ARCH/bootstrap.zip
[ -f "$ZIP" ] || { echo "test-package.sh: no $ZIP: run bash deploy/package.sh --arch $ARCH first" >&2; exit 1; }

need=""
command -v unzip >/dev/null 2>&1 || need="$need unzip"
command -v unshare >/dev/null 2>&1 || need="$need util-linux"
case "$ARCH" in
    x86_64) LIBDIR=/lib/x86_64-linux-gnu; EMULATOR="" ;;
    arm64)
        LIBDIR=/usr/aarch64-linux-gnu/lib; EMULATOR=/qemu-aarch64-static
        command -v qemu-aarch64-static >/dev/null 2>&1 || need="$need qemu-user-static"
        [ -e $LIBDIR/libc.so.6 ] || need="$need libc6-arm64-cross"
        ;;
    *) echo "test-package.sh: --arch is x86_64 or arm64, not '$ARCH'" >&2; exit 2 ;;
esac
if [ -n "$need" ]; then
    (apt-get update -qq && apt-get install -y -qq $need) >/dev/null
fi

ROOT=$PWD/target/package-root/$ARCH
rm -rf "$ROOT"
mkdir -p "$ROOT/var/task" "$ROOT/proc" "$ROOT/tmp"
unzip -q "$ZIP" -d "$ROOT/var/task"
BIN=$ROOT/var/task/bootstrap
# The loader where the binary asks for it, and each library it names where that loader looks.
interp=$(readelf -l "$BIN" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
if [ -n "$interp" ]; then
    mkdir -p "$ROOT$(dirname "$interp")"
    cp -L "$LIBDIR/$(basename "$interp")" "$ROOT$interp"
    multiarch=$([ "$ARCH" = arm64 ] && echo aarch64-linux-gnu || echo x86_64-linux-gnu)
    mkdir -p "$ROOT/lib/$multiarch"
    for lib in $(readelf -d "$BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        [ "$lib" = "$(basename "$interp")" ] || cp -L "$LIBDIR/$lib" "$ROOT/lib/$multiarch/$lib"
    done
fi
[ -z "$EMULATOR" ] || cp "$(command -v qemu-aarch64-static)" "$ROOT$EMULATOR"
echo "== the root: every file in it"
(cd "$ROOT" && find . -type f -printf '  %p (%s bytes)\n')

echo "== the end-to-end test against the packaged bootstrap ($ARCH)"
IMGKIT_E2E_ROOT=$ROOT IMGKIT_E2E_EMULATOR=$EMULATOR \
    cargo test --locked -p imgkit-lambda --test e2e --test e2e_scanning -- --nocapture

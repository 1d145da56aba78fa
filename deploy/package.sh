#!/usr/bin/env bash
# Builds the Lambda function package for provided.al2023 with every input format, and audits it.
#
#   bash deploy/package.sh [--arch arm64|x86_64] [--no-default-features]
#   -> target/lambda/<arch>/bootstrap.zip   (handler: bootstrap, runtime: provided.al2023)
#
# --arch defaults to the template's default Architecture. --no-default-features builds without the C
# codecs (no libheif, libde265, dav1d): HEIC and AVIF uploads are then rejected as unsupported_format,
# and avif renditions are refused at the cold start (rav1e comes with the same feature).
#
# How: libde265 (HEIC) and dav1d (AVIF) are built from Debian bookworm's source packages, checksummed in
# deploy/package/sources.sha256 and patched with Debian's own patches (their CVE fixes among them), as
# static libraries with zig's C/C++ compiler for glibc 2.34 (Amazon Linux 2023's). libheif comes from the
# sources libheif-sys embeds and is built by the same compiler, finding the codecs in that private prefix
# only (never the build machine's /usr). `bootstrap` is linked by cargo-zigbuild against zig's glibc 2.34
# stubs, with zig's libc++ linked in statically. So the package is one file that needs nothing at run time
# beyond what the base has.
#
# The audit fails the script when any ELF file in the zip needs a library outside the base, a glibc symbol
# newer than 2.34, or any GLIBCXX symbol. deploy/test-package.sh runs the packaged binary in an empty root.
#
# Installs what it needs (root: Debian packages, a deb-src line for bookworm; pip: ziglang and
# cargo-zigbuild at pinned versions; rustup: the target).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

ARCH=$(awk '/^  Architecture:/ {p=1} p && /Default:/ {print $2; exit}' deploy/template.yaml)
FEATURES=""
while [ $# -gt 0 ]; do
    case "$1" in
        --arch) ARCH=$2; shift 2 ;;
        --arch=*) ARCH=${1#--arch=}; shift ;;
        --no-default-features) FEATURES=--no-default-features; shift ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "package.sh: unknown argument $1 (usage: deploy/package.sh [--arch arm64|x86_64] [--no-default-features])" >&2; exit 2 ;;
    esac
done
case "$ARCH" in
    arm64) RUST_TRIPLE=aarch64-unknown-linux-gnu; ZIG_ARCH=aarch64; LOADER=ld-linux-aarch64.so.1 ;;
    x86_64) RUST_TRIPLE=x86_64-unknown-linux-gnu; ZIG_ARCH=x86_64; LOADER=ld-linux-x86-64.so.2 ;;
    *) echo "package.sh: --arch is arm64 or x86_64, not '$ARCH'" >&2; exit 2 ;;
esac
GLIBC=2.34
ZIG_TARGET=$ZIG_ARCH-linux-gnu.$GLIBC
ZIGLANG_VERSION=0.17.1
ZIGBUILD_VERSION=0.24.1
# Debian bookworm source packages (their files' SHA-256 in deploy/package/sources.sha256).
SOURCES=(libde265=1.0.11-1+deb12u2 dav1d=1.0.0-2+deb12u1)

WORK=$ROOT/target/package/$ARCH
PREFIX=$WORK/prefix
OUT=$ROOT/target/lambda/$ARCH
log() { echo "== $*"; }

# ---------------------------------------------------------------- tools
need_apt=""
for tool in cmake:cmake meson:meson ninja:ninja-build nasm:nasm pkg-config:pkg-config zip:zip \
    readelf:binutils patch:patch xz:xz-utils; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || need_apt="$need_apt ${tool#*:}"
done
if [ -n "$need_apt" ]; then
    log "installing$need_apt"
    (apt-get update -qq && apt-get install -y -qq $need_apt) >/dev/null
fi
if ! python3 -m ziglang version 2>/dev/null | grep -qx "$ZIGLANG_VERSION" \
    || ! cargo-zigbuild --version 2>/dev/null | grep -q " $ZIGBUILD_VERSION$"; then
    log "installing ziglang $ZIGLANG_VERSION and cargo-zigbuild $ZIGBUILD_VERSION from PyPI"
    python3 -m pip install --quiet --disable-pip-version-check \
        "ziglang==$ZIGLANG_VERSION" "cargo-zigbuild==$ZIGBUILD_VERSION"
fi
# pip's scripts folder (cargo-zigbuild), whether or not a version manager's shims cover it yet.
PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
rustup target list --installed | grep -qx "$RUST_TRIPLE" || rustup target add "$RUST_TRIPLE"
ZIG="$(python3 -c 'import os, ziglang; print(os.path.dirname(ziglang.__file__))')/zig"

# Compiler wrappers for the codecs' and libheif's builds: zig for the target at glibc 2.34.
mkdir -p "$WORK/bin"
# zig hands a triple with a glibc version to clang as it is when the source is stdin (meson's probe of
# the predefined macros: `cc -E -dM -`), and clang refuses it; that probe gets the unversioned triple.
# Meson 1.0 does not know zig's linker by its version line; it takes GNU-style flags like lld's.
wrap() {
    cat > "$WORK/bin/$1" <<EOF
#!/bin/sh
[ "\$*" = "-Wl,--version" ] && { echo "LLD 19 (compatible with GNU linkers)"; exit 0; }
# The cc and cmake crates add clang's --target=<rust triple>, which zig does not parse: it has its own.
for a; do shift; case "\$a" in --target=*) ;; *) set -- "\$@" "\$a" ;; esac; done
for a; do [ "\$a" = - ] && exec "$ZIG" $2 ${3:+-target ${ZIG_TARGET%.*.*}} "\$@"; done
exec "$ZIG" $2 ${3:+-target $ZIG_TARGET} "\$@"
EOF
    chmod +x "$WORK/bin/$1"
}
wrap cc cc target
wrap c++ c++ target
wrap ar ar
wrap ranlib ranlib
# CMake: the zig compilers, and every find_* rooted in the private prefix, so nothing of the build
# machine's /usr (its libde265, dav1d, libjpeg, glibc 2.36 headers) can end up in the package.
cat > "$WORK/toolchain.cmake" <<EOF
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR $ZIG_ARCH)
set(CMAKE_C_COMPILER "$WORK/bin/cc")
set(CMAKE_CXX_COMPILER "$WORK/bin/c++")
set(CMAKE_AR "$WORK/bin/ar")
set(CMAKE_RANLIB "$WORK/bin/ranlib")
set(CMAKE_FIND_ROOT_PATH "$PREFIX")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
EOF
# No sysroot: system-deps links statically only archives outside it (/usr by default), as ours are.
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH
export PKG_CONFIG_LIBDIR=$PREFIX/lib/pkgconfig PKG_CONFIG_ALLOW_CROSS=1

# ---------------------------------------------------------------- sources
SRC=$ROOT/target/package/sources
mkdir -p "$SRC"
if [ -n "$FEATURES" ]; then
    :  # no C codecs to build
elif ! (cd "$SRC" && sha256sum --quiet -c "$ROOT/deploy/package/sources.sha256") >/dev/null 2>&1; then
    log "fetching ${SOURCES[*]} (Debian source packages)"
    if ! apt-get source --help >/dev/null 2>&1 || ! grep -rqs '^Types: *deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        [ "$(id -u)" = 0 ] || { echo "package.sh: add a deb-src line for bookworm (as root), then run again" >&2; exit 1; }
        sed -e 's/^Types: *deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
            > /etc/apt/sources.list.d/imgkit-deb-src.sources
        apt-get update -qq >/dev/null
    fi
    (cd "$SRC" && apt-get source --download-only -qq "${SOURCES[@]}" >/dev/null 2>&1)
fi
[ -n "$FEATURES" ] || (cd "$SRC" && sha256sum --quiet -c "$ROOT/deploy/package/sources.sha256") || {
    echo "package.sh: the sources in $SRC do not match deploy/package/sources.sha256" >&2
    exit 1
}

# Unpacks a source package (orig + Debian's patches in series order) into $WORK/src/NAME.
unpack() {
    local name=$1 version=$2 upstream=${2%-*}
    rm -rf "$WORK/src/$name"
    mkdir -p "$WORK/src/$name"
    tar -xf "$SRC/${name}_${upstream}".orig.tar.[gx]z -C "$WORK/src/$name" --strip-components=1
    tar -xf "$SRC/${name}_${version}".debian.tar.xz -C "$WORK/src/$name"
    if [ -f "$WORK/src/$name/debian/patches/series" ]; then
        grep -v '^\s*#' "$WORK/src/$name/debian/patches/series" | while read -r p _; do
            [ -n "$p" ] && patch -s -d "$WORK/src/$name" -p1 < "$WORK/src/$name/debian/patches/$p"
        done
    fi
}

# ---------------------------------------------------------------- codecs
STAMP=$PREFIX/.built
want_stamp="$ZIG_TARGET zig-$ZIGLANG_VERSION $(sha256sum deploy/package/sources.sha256 | cut -c1-16)"
if [ -z "$FEATURES" ] && [ "$(cat "$STAMP" 2>/dev/null)" != "$want_stamp" ]; then
    rm -rf "$PREFIX" "$WORK/build"
    for s in "${SOURCES[@]}"; do unpack "${s%%=*}" "${s#*=}"; done

    log "libde265 (static, $ZIG_TARGET)"
    cmake -S "$WORK/src/libde265" -B "$WORK/build/libde265" -G Ninja -Wno-dev \
        -DCMAKE_TOOLCHAIN_FILE="$WORK/toolchain.cmake" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_INSTALL_LIBDIR=lib \
        -DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
        -DENABLE_DECODER=OFF -DENABLE_ENCODER=OFF -DENABLE_SDL=OFF >/dev/null
    cmake --build "$WORK/build/libde265" --target install >/dev/null

    log "dav1d (static, $ZIG_TARGET)"
    cat > "$WORK/meson-cross.ini" <<EOF
[binaries]
c = '$WORK/bin/cc'
cpp = '$WORK/bin/c++'
ar = '$WORK/bin/ar'
ranlib = '$WORK/bin/ranlib'
strip = 'true'
pkg-config = 'pkg-config'
nasm = '$(command -v nasm)'
[host_machine]
system = 'linux'
cpu_family = '$ZIG_ARCH'
cpu = '$ZIG_ARCH'
endian = 'little'
EOF
    rm -rf "$WORK/build/dav1d"
    meson setup "$WORK/build/dav1d" "$WORK/src/dav1d" --cross-file "$WORK/meson-cross.ini" \
        --prefix "$PREFIX" --libdir lib --buildtype release -Ddefault_library=static \
        -Denable_tools=false -Denable_tests=false -Denable_examples=false -Dlogging=false >/dev/null
    ninja -C "$WORK/build/dav1d" install >/dev/null
    echo "$want_stamp" > "$STAMP"
fi

# ---------------------------------------------------------------- the function
log "bootstrap for $RUST_TRIPLE.$GLIBC (cargo-zigbuild)"
triple_var=$(echo "$RUST_TRIPLE" | tr 'a-z-' 'A-Z_')
env "CMAKE_TOOLCHAIN_FILE_${RUST_TRIPLE//-/_}=$WORK/toolchain.cmake" \
    CMAKE_GENERATOR=Ninja SYSTEM_DEPS_LIBHEIF_LINK=static \
    "CARGO_PROFILE_RELEASE_DEBUG=false" "CARGO_PROFILE_RELEASE_STRIP=true" \
    "CARGO_TARGET_${triple_var}_RUSTFLAGS=-L native=$PREFIX/lib" \
    cargo zigbuild --release --locked -p imgkit-lambda --bin bootstrap --target "$RUST_TRIPLE.$GLIBC" $FEATURES
rm -rf "$OUT"
mkdir -p "$OUT/pkg"
cp "target/$RUST_TRIPLE/release/bootstrap" "$OUT/pkg/bootstrap"

# ---------------------------------------------------------------- audit
log "audit: what each file in the package needs of the base"
failed=0
BASE_LIBS="libc.so.6 libm.so.6 libgcc_s.so.1 $LOADER"
for file in "$OUT"/pkg/*; do
    name=$(basename "$file")
    readelf -h "$file" >/dev/null 2>&1 || continue
    needed=$(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    for lib in $needed; do
        case " $BASE_LIBS " in
            *" $lib "*) ;;
            *) echo "  $name needs $lib, which provided.al2023 does not have"; failed=1 ;;
        esac
    done
    symbols=$(readelf --dyn-syms -W "$file")
    newest=$(grep -o 'GLIBC_[0-9.]*' <<<"$symbols" | sed 's/GLIBC_//' | sort -uV | tail -1)
    if [ -n "$newest" ] && [ "$(printf '%s\n%s\n' "$newest" "$GLIBC" | sort -V | tail -1)" != "$GLIBC" ]; then
        echo "  $name needs glibc $newest, newer than Amazon Linux 2023's $GLIBC:"
        grep -o "[A-Za-z0-9_]*@GLIBC_$newest" <<<"$symbols" | sort -u | sed 's/^/    /'
        failed=1
    fi
    cxx=$(grep -c 'GLIBCXX_\|CXXABI_' <<<"$symbols" || true)
    if [ "$cxx" -gt 0 ]; then
        echo "  $name imports $cxx symbols of a shared C++ runtime (GLIBCXX/CXXABI), which the base does not have"
        failed=1
    fi
    echo "  $name: $(readelf -h "$file" | sed -n 's/.*Machine: *//p'), NEEDED: ${needed:-none}; newest glibc symbol: ${newest:-none}; C++ runtime symbols: $cxx"
done
if [ "$failed" -ne 0 ]; then
    echo "package.sh: the audit FAILED: the package would not run on provided.al2023" >&2
    exit 1
fi

(cd "$OUT/pkg" && rm -f ../bootstrap.zip && zip -q -9 -X ../bootstrap.zip bootstrap)
log "$OUT/bootstrap.zip: $(stat -c %s "$OUT/bootstrap.zip") bytes (bootstrap $(stat -c %s "$OUT/pkg/bootstrap") bytes)"

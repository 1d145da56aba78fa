#!/usr/bin/env bash
# Builds the Lambda function for provided.al2023 on x86_64 with HEIC and AVIF input, and packages it:
# `bootstrap` (libheif and libstdc++ linked in statically) plus the shared libraries libheif's decoders need, beside it,
# found through an $ORIGIN rpath. Then audits the package, so what it cannot prove here it says:
#   - every library `bootstrap` loads comes from the package or from glibc and libgcc_s, which every
#     Lambda runtime has;
#   - no file in the package needs a glibc newer than Amazon Linux 2023's (2.34).
#
#   bash deploy/package-x86_64.sh            # -> target/lambda-x86_64/bootstrap.zip
#
# Needs the build prerequisites of the README (cmake, pkg-config, libde265-dev, libdav1d-dev, nasm) and
# zip. On Debian 12 the audit fails, and says why: libde265's libstdc++ needs glibc 2.36, and that
# library is found through libde265, which the $ORIGIN rpath of bootstrap does not cover. Run it on
# Amazon Linux 2023 (its glibc is the runtime's) with libde265 and dav1d built there. Not run against
# real Lambda: no AWS account or Amazon Linux image here.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-target/lambda-x86_64}
MAX_GLIBC=${MAX_GLIBC:-2.34}
# The shared libraries every Lambda runtime provides; everything else bootstrap needs goes in the zip.
BASE='^(linux-vdso|libc|libm|libpthread|libdl|librt|libgcc_s|ld-linux-x86-64)\.so'

# libstdc++ linked into bootstrap statically (for libheif): the build machine's may need a newer glibc
# than the runtime's. A folder holding only the static archive, searched first, makes libheif's
# `-lstdc++` pick it. (libde265 is C++ too, and its own libstdc++ is bundled below: see the audit.)
static=$PWD/$OUT/static-libstdcxx
mkdir -p "$static"
ln -sf "$(g++ -print-file-name=libstdc++.a)" "$static/libstdc++.a"
RUSTFLAGS="${RUSTFLAGS:-} -L native=$static -C link-arg=-Wl,-rpath,\$ORIGIN" \
    cargo build --release --locked -p imgkit-lambda --bin bootstrap
rm -rf "$OUT/pkg"
mkdir -p "$OUT/pkg"
cp target/release/bootstrap "$OUT/pkg/"
# The release profile keeps line tables for profiling; a Lambda package has no use for them.
strip "$OUT/pkg/bootstrap"

# Bundle what is not in the base, following each bundled library's own needs too.
for round in 1 2 3; do
    for file in "$OUT"/pkg/*; do
        ldd "$file" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | while read -r name path; do
            if ! [[ $name =~ $BASE ]] && [ ! -e "$OUT/pkg/$name" ]; then
                cp -L "$path" "$OUT/pkg/$name"
            fi
        done
    done
done

echo "== package"
ls -l "$OUT/pkg"

echo "== every library resolves from the package or the base"
failed=0
moved=$(mktemp -d)
cp -a "$OUT/pkg/." "$moved/"
# From another folder and with no library path: only the rpath can find the bundled ones.
while read -r name arrow path rest; do
    [ "$arrow" = "=>" ] || continue
    if [[ $name =~ $BASE ]]; then continue; fi
    if [ "$(dirname "$path")" != "$moved" ]; then
        echo "  $name resolves to $path, not to the package"
        failed=1
    else
        echo "  $name -> package"
    fi
done < <(env -u LD_LIBRARY_PATH ldd "$moved/bootstrap")
rm -rf "$moved"

echo "== newest glibc symbol each file needs (at most $MAX_GLIBC)"
for file in "$OUT"/pkg/*; do
    newest=$(objdump -T "$file" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)
    echo "  $(basename "$file"): ${newest:-none}"
    if [ -n "$newest" ] && [ "$(printf '%s\n%s\n' "$newest" "$MAX_GLIBC" | sort -V | tail -1)" != "$MAX_GLIBC" ]; then
        echo "  ^ needs glibc $newest, newer than $MAX_GLIBC: build on an older glibc (Amazon Linux 2023 itself)"
        failed=1
    fi
done

(cd "$OUT/pkg" && rm -f ../bootstrap.zip && zip -q -9 ../bootstrap.zip ./*)
echo "== $OUT/bootstrap.zip: $(du -h "$OUT/bootstrap.zip" | cut -f1)"
exit $failed

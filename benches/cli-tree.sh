#!/usr/bin/env bash
# Batch throughput of the CLI over a generated tree: N files (default 1000) copied from corpus/valid and
# corpus/hostile into nested folders, each copy varied by a trailing comment byte run so no two files
# are identical. Prints imgkit's own summary and the peak RSS of the process (GNU time).
#
#   bash benches/cli-tree.sh [N] [extra imgkit resize args...]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000}"
shift || true
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --release --locked -p imgkit-cli >/dev/null 2>&1
mapfile -t sources < <(find corpus/valid corpus/hostile -type f | sort)
for ((i = 0; i < n; i++)); do
    src="${sources[i % ${#sources[@]}]}"
    dir="$work/in/batch-$((i / 100))/$(basename "$(dirname "$src")")"
    mkdir -p "$dir"
    name="$(basename "$src")"
    # Appending bytes after the image data varies the file without changing what it decodes to (and
    # exercises the trailing-data paths of every decoder).
    { cat "$src"; printf 'imgkit-tree-%06d' "$i"; } >"$dir/${i}-${name}"
done
echo "tree: $n files, $(du -sh "$work/in" | cut -f1)"

/usr/bin/time -f 'peak RSS %M KiB, wall %e s' ./target/release/imgkit resize "$work/in" -o "$work/out" \
    --rendition thumb=200x200,cover,webp,focus=attention --rendition medium=800w,inside,jpeg:82 \
    --report "$work/report.json" "$@" || true
python3 - "$work/report.json" <<'EOF'
import json, sys, collections
report = json.load(open(sys.argv[1]))
entries = report.get("files", report) if isinstance(report, dict) else report
print("report entries:", len(entries), dict(collections.Counter(e.get("outcome") for e in entries)))
EOF

#!/usr/bin/env bash
# Short, fixed-time fuzz run of every target from the seed corpus. Fails on the first finding, and keeps
# the failing input under fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-30}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cargo fuzz build -s none
mkdir -p logs
for target in $(cargo fuzz list); do
    mkdir -p "fuzz-corpus/$target"
    # Raw inputs that once crashed or timed out this target are replayed first, as seeds.
    seeds=(../corpus/valid ../corpus/hostile ../corpus/regression ../corpus/external ../corpus/heif ../corpus/animation)
    [ -d "regressions/$target" ] && seeds+=("regressions/$target")
    echo "== fuzz $target for ${SECONDS_PER_TARGET}s"
    status=0
    cargo fuzz run -s none "$target" "fuzz-corpus/$target" "${seeds[@]}" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=1024 -malloc_limit_mb=512 -timeout=10 \
        -print_final_stats=1 >"logs/$target.log" 2>&1 || status=$?
    grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)" "logs/$target.log" || true
    if [ "$status" -ne 0 ]; then
        echo "fuzz $target failed (exit $status):"
        tail -n 40 "logs/$target.log"
        ls -l "artifacts/$target" 2>/dev/null || true
        exit 1
    fi
done

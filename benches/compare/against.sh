#!/usr/bin/env bash
# imgkit against an earlier imgkit, side by side in one run: how much faster a job got since REV.
#
#   bash benches/compare/against.sh REV JOBS FILE
#   bash benches/compare/against.sh e90d7a7 400:jpeg:80 photo-progressive.jpg
#
# Builds compare-runner as it was at REV (a git worktree and target folder under .peers/, git-ignored,
# reused next time) and as it is now, then runs both on the same job in ROUNDS rounds (default 5) that
# alternate them, ITERS timed iterations after WARMUP in each process (default 10 and 3), pinned to
# CPU N (CPU=, default 0). Prints each round's medians, then the median of them and the ratio now/REV.
# REV must have compare-runner's `run` subcommand (e90d7a7, the commit after issue 15 was filed, has it).
set -euo pipefail

[ $# -eq 3 ] || { sed -n 2,11p "$0" >&2; exit 2; }
REV=$1 JOBS=$2 FILE=$3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PEERS=${PEERS_DIR:-$HERE/.peers}
ROUNDS=${ROUNDS:-5} ITERS=${ITERS:-10} WARMUP=${WARMUP:-3} CPU=${CPU-0}
say() { printf '==> %s\n' "$*" >&2; }

TREE=$PEERS/rev-$REV
if [ ! -d "$TREE" ]; then
    say "checking out $REV into $TREE"
    git -C "$ROOT" worktree add --detach --force "$TREE" "$REV" >&2
fi
for dir in "$TREE" "$ROOT"; do
    say "building compare-runner in $dir (release)"
    (cd "$dir" && cargo build --quiet --release -p imgkit-benches --bin compare-runner)
done
THEN=$TREE/target/release/compare-runner
NOW=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/release/compare-runner

pin=()
[ -n "$CPU" ] && pin=(taskset -c "$CPU")
median() { "${pin[@]}" "$1" run "$JOBS" "$FILE" "$ITERS" "$WARMUP" - |
    python3 -c 'import json, sys; print(json.loads(sys.stdin.read().splitlines()[-1])["median_ms"])'; }

then_ms=() now_ms=()
for round in $(seq "$ROUNDS"); do
    then_ms+=("$(median "$THEN")")
    now_ms+=("$(median "$NOW")")
    echo "round $round: $REV ${then_ms[-1]} ms, now ${now_ms[-1]} ms"
done
python3 - "${then_ms[*]}" "${now_ms[*]}" "$REV" <<'EOF'
import statistics, sys
then, now = (statistics.median(map(float, arg.split())) for arg in sys.argv[1:3])
print(f"median of rounds: {sys.argv[3]} {then:.1f} ms, now {now:.1f} ms, now/{sys.argv[3]} {now / then:.2f}")
EOF

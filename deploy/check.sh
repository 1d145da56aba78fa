#!/usr/bin/env bash
# Checks of deploy/template.yaml, run by .ci/run: cfn-lint (errors, warnings, informational, plus the
# cfn-lint-serverless rules), checkov (CloudFormation and secrets), and our own rules with their fixtures
# (deploy/tests/check_rules.py). Installs the pinned checkers into deploy/.venv on first use (about 80 s) and
# again whenever requirements.txt or constraints.txt change. Exits non-zero if any check fails; runs them all.
set -uo pipefail
cd "$(dirname "$0")"

VENV=.venv
STAMP="$VENV/.installed"
if [ ! -x "$VENV/bin/python" ] || ! cat requirements.txt constraints.txt | cmp -s - "$STAMP"; then
    echo "== installing template checkers into deploy/$VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV" || exit 1
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt || exit 1
    cat requirements.txt constraints.txt > "$STAMP"
fi

status=0
step() {
    echo "== $1"
    shift
    if ! "$@"; then
        echo "!! FAILED: $*"
        status=1
    fi
}

step "cfn-lint $("$VENV/bin/cfn-lint" --version | awk '{print $2}') (incl. informational + cfn-lint-serverless)" \
    "$VENV/bin/cfn-lint" --include-checks I --append-rules cfn_lint_serverless.rules -- template.yaml
# --skip-download: no network (no Prisma Cloud guidelines); the built-in policies run offline.
step "checkov (cloudformation, secrets)" \
    "$VENV/bin/checkov" --file template.yaml --framework cloudformation secrets --skip-download --quiet --compact
step "our rules, contracts and broken-template fixtures (deploy/tests/check_rules.py)" \
    "$VENV/bin/python" tests/check_rules.py
step "the backfill script against a stand-in aws CLI (deploy/tests/backfill_test.py)" \
    "$VENV/bin/python" tests/backfill_test.py

if [ "$status" -ne 0 ]; then
    echo "deploy/check.sh: FAILED"
else
    echo "deploy/check.sh: all template checks passed"
fi
exit "$status"

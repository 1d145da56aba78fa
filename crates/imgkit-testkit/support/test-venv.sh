#!/usr/bin/env bash
# Installs what tests run outside Rust into one private venv: moto (S3, SQS and EventBridge on loopback)
# and PyYAML (to read deploy/template.yaml) for the Lambda's end-to-end test, and Pillow (libjpeg-turbo,
# libavif) as the independent decoder that tests compare imgkit with. Idempotent and safe to run from
# parallel tests (flock).
# Usage: test-venv.sh [VENV_DIR]   (default: <workspace>/target/test-venv). Prints the venv path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="${1:-${IMGKIT_TEST_VENV:-$root/target/test-venv}}"
moto_version="5.2.5"
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if [ -x "$venv/bin/moto_server" ] && [ "$("$venv/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null)" = "$moto_version" ] \
    && "$venv/bin/python" -c 'import yaml, boto3; from PIL import features; assert features.check("avif")' 2>/dev/null; then
    echo "$venv"
    exit 0
fi
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    echo "python3 venv support missing: apt-get install -y python3-venv" >&2
    exit 1
fi
rm -rf "$venv"
python3 -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$moto_version" PyYAML "pillow==13.0.0" >&2
echo "$venv"

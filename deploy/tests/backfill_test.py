#!/usr/bin/env python3
"""deploy/backfill.sh against a stand-in `aws` on PATH (no AWS account here): the manifest it writes and the
S3 Batch Operations job it asks for must be what the function and the template expect; with the stack's
MalwareScanning=GuardDuty it says how to have existing objects scanned first.

    python3 deploy/tests/backfill_test.py      # run by deploy/check.sh; prints "N passed, N failed"
"""

from __future__ import annotations

import csv
import json
import os
import stat
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[1]
SCRIPT = DEPLOY / "backfill.sh"

KEYS = ["uploads/a.jpg", "uploads/old/red flower+1.png", "uploads/folder/", "uploads/été.webp"]

# Answers of the stand-in CLI, by the first words of the command line; every call is logged.
FAKE_AWS = r'''#!/usr/bin/env python3
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_AWS_LOG"], "a") as log:
    log.write(json.dumps(args) + "\n")
def arg(name):
    return args[args.index(name) + 1]
cmd = " ".join(args[:2])
if cmd == "cloudformation describe-stacks":
    q = arg("--query")
    answers = {"UploadBucketName": "up-bucket", "ProcessedBucketName": "out-bucket",
               "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:imgkit-prod-thumbnailer",
               "BackfillRoleArn": "arn:aws:iam::123456789012:role/imgkit-prod-backfill-us-east-1",
               "UploadPrefix": "uploads/",
               # "None" is what the CLI prints for a parameter the stack does not have (a stack from before it).
               "MalwareScanning": os.environ.get("FAKE_SCANNING", "None")}
    print(next(v for k, v in answers.items() if "'" + k + "'" in q))
elif cmd == "sts get-caller-identity":
    print("123456789012")
elif cmd == "s3api list-objects-v2":
    print(json.dumps([k for k in json.loads(os.environ["FAKE_KEYS"]) if k.startswith(arg("--prefix"))]))
elif cmd == "s3api put-object":
    with open(arg("--body")) as f, open(os.environ["FAKE_AWS_LOG"] + ".manifest", "w") as out:
        out.write(f.read())
    print('"etag-of-manifest"')
elif cmd == "s3api head-object":
    print('"etag-of-inventory"')
elif cmd == "s3control create-job":
    print("job-42")
else:
    sys.exit("unexpected aws call: " + " ".join(args))
'''


def run(tmp: Path, *args: str, scanning: str = "None") -> tuple[subprocess.CompletedProcess, list[list[str]]]:
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "aws"
    fake.write_text(FAKE_AWS)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    log = tmp / "calls.log"
    log.write_text("")
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", FAKE_AWS_LOG=str(log), FAKE_KEYS=json.dumps(KEYS),
               FAKE_SCANNING=scanning)
    done = subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    return done, calls


def arg(call, name):
    return call[call.index(name) + 1]


def test_csv_backfill(tmp: Path):
    done, calls = run(tmp, "--stack", "imgkit-prod")
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(open(tmp / "calls.log.manifest")))
    keys = [urllib.parse.unquote(k) for _, k in rows]
    assert keys == [k for k in KEYS if not k.endswith("/")], f"manifest keys {keys}"
    assert all(b == "up-bucket" for b, _ in rows)
    assert "red%20flower%2B1.png" in open(tmp / "calls.log.manifest").read(), "keys are not URL-encoded"
    put = next(c for c in calls if c[:2] == ["s3api", "put-object"])
    assert arg(put, "--bucket") == "out-bucket" and arg(put, "--key").startswith("backfill/manifests/")
    job = next(c for c in calls if c[:2] == ["s3control", "create-job"])
    op = json.loads(arg(job, "--operation"))
    assert op == {"LambdaInvoke": {"FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:imgkit-prod-thumbnailer",
                                   "InvocationSchemaVersion": "2.0"}}, op
    manifest = json.loads(arg(job, "--manifest"))
    assert manifest["Spec"] == {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key"]}
    assert manifest["Location"]["ObjectArn"] == f"arn:aws:s3:::out-bucket/{arg(put, '--key')}"
    assert manifest["Location"]["ETag"] == "etag-of-manifest"
    report = json.loads(arg(job, "--report"))
    assert report["Bucket"] == "arn:aws:s3:::out-bucket" and report["Prefix"] == "backfill/reports"
    assert arg(job, "--role-arn").endswith(":role/imgkit-prod-backfill-us-east-1")
    assert "job-42" in done.stdout
    return f"{len(rows)} objects in the manifest, job asks for LambdaInvoke 2.0 as the BackfillRole"


def test_inventory_and_dry_run(tmp: Path):
    done, calls = run(tmp, "--stack", "imgkit-prod", "--inventory", "s3://out-bucket/backfill/inventory/up/cfg/2026-12-01T00-00Z/manifest.json")
    assert done.returncode == 0, done.stderr
    job = next(c for c in calls if c[:2] == ["s3control", "create-job"])
    manifest = json.loads(arg(job, "--manifest"))
    assert manifest["Spec"] == {"Format": "S3InventoryReport_CSV_20161130"}, manifest
    assert manifest["Location"]["ETag"] == "etag-of-inventory"
    assert not any(c[:2] == ["s3api", "list-objects-v2"] for c in calls)

    done, calls = run(tmp, "--stack", "imgkit-prod", "--prefix", "uploads/old/", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert not any(c[:2] in (["s3control", "create-job"], ["s3api", "put-object"]) for c in calls), "dry run did something"
    assert "1 objects" in done.stdout or "(1 objects" in done.stdout, done.stdout
    return "inventory manifests are passed as such; --dry-run uploads and starts nothing"


def test_malware_scanning_note(tmp: Path):
    # MalwareScanning=GuardDuty: the job still starts (it processes objects tagged NO_THREATS_FOUND), and the
    # script says how to have the others scanned on demand first.
    done, calls = run(tmp, "--stack", "imgkit-prod", scanning="GuardDuty")
    assert done.returncode == 0, done.stderr
    assert any(c[:2] == ["s3control", "create-job"] for c in calls), "no job started"
    for needle in ("aws guardduty send-object-malware-scan", '"Bucket":"up-bucket"', "NO_THREATS_FOUND", "not scanned"):
        assert needle in done.stdout, f"{needle!r} not in the output:\n{done.stdout}"
    done, _ = run(tmp, "--stack", "imgkit-prod", "--dry-run", scanning="GuardDuty")
    assert done.returncode == 0 and "send-object-malware-scan" in done.stdout, done.stdout + done.stderr
    # Off, or a stack without the parameter: no note.
    for scanning in ("Off", "None"):
        done, _ = run(tmp, "--stack", "imgkit-prod", scanning=scanning)
        assert done.returncode == 0, done.stderr
        assert "send-object-malware-scan" not in done.stdout, f"MalwareScanning={scanning}: {done.stdout}"
    help_text = subprocess.run(["bash", str(SCRIPT), "--help"], capture_output=True, text=True, timeout=60).stdout
    assert "send-object-malware-scan" in help_text and "NO_THREATS_FOUND" in help_text, help_text
    return "with GuardDuty the output and --help say how to scan existing objects first; Off/absent: no note"


def main():
    passed = failed = 0
    for test in (test_csv_backfill, test_inventory_and_dry_run, test_malware_scanning_note):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                print(f"ok    {test.__name__}: {test(Path(tmp))}")
                passed += 1
            except Exception as e:  # noqa: BLE001 - report every failure, keep going
                print(f"FAIL  {test.__name__}: {e}")
                failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

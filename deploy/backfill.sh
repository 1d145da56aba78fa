#!/usr/bin/env bash
# Backfill: run the thumbnailer over objects that were in the upload bucket before the stack (no event will
# ever announce them), with an S3 Batch Operations job that invokes the function once per object.
#
#   deploy/backfill.sh --stack imgkit-prod                       # every object under the stack's UploadPrefix
#   deploy/backfill.sh --stack imgkit-prod --prefix uploads/2023/
#   deploy/backfill.sh --stack imgkit-prod --inventory s3://PROCESSED/backfill/inventory/.../manifest.json
#   deploy/backfill.sh ... --dry-run                              # print the manifest and the job, start nothing
#
# With the stack's MalwareScanning=GuardDuty, scan existing objects first: GuardDuty's plan scans only new
# uploads. Ask for an on-demand scan of each (GuardDuty's SendObjectMalwareScan API), e.g.
#   aws guardduty send-object-malware-scan --s3-object '{"Bucket":"BUCKET","Key":"KEY"}'
# Its result event reaches UploadEventRule like any upload's and is processed (clean) or rejected. A
# backfill job with scanning on processes only objects tagged GuardDutyMalwareScanStatus=NO_THREATS_FOUND
# and fails the others as "not scanned".
#
# Without --inventory it lists the prefix (ListObjectsV2 as the caller) into a CSV manifest and uploads it to
# s3://<processed bucket>/backfill/manifests/. With millions of objects, use an S3 Inventory report of the upload
# bucket instead (CSV, delivered under s3://<processed bucket>/backfill/inventory/; the bucket policy allows it).
# The job runs as the stack's BackfillRole and writes its completion report under backfill/reports/.
#
# Re-running is cheap and safe: the function skips objects whose renditions already exist for the same ETag
# (result "up to date"), input faults end as PermanentFailure with the reason (and a rejection record), and
# transient faults as TemporaryFailure, which S3 retries.
#
# Needs: the AWS CLI v2 and python3 (standard library only).
set -euo pipefail

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

stack="" prefix="" prefix_set=0 inventory="" priority=10 dry_run=0
while [ $# -gt 0 ]; do
    case "$1" in
        --stack) stack="$2"; shift 2 ;;
        --prefix) prefix="$2"; prefix_set=1; shift 2 ;;
        --inventory) inventory="$2"; shift 2 ;;
        --priority) priority="$2"; shift 2 ;;
        --dry-run) dry_run=1; shift ;;
        -h|--help) usage ;;
        *) echo "backfill.sh: unknown argument $1" >&2; usage ;;
    esac
done
[ -n "$stack" ] || { echo "backfill.sh: --stack is required" >&2; usage; }

output() {
    aws cloudformation describe-stacks --stack-name "$stack" \
        --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}
upload_bucket=$(output UploadBucketName)
processed_bucket=$(output ProcessedBucketName)
function_arn=$(output FunctionArn)
role_arn=$(output BackfillRoleArn)
account=$(aws sts get-caller-identity --query Account --output text)
parameter() {
    aws cloudformation describe-stacks --stack-name "$stack" \
        --query "Stacks[0].Parameters[?ParameterKey=='$1'].ParameterValue" --output text
}
if [ "$prefix_set" = 0 ]; then
    prefix=$(parameter UploadPrefix)
    [ "$prefix" != "None" ] || prefix=""
fi
# Stacks from before malware scanning have no such parameter ("None"): no scanning.
scanning=$(parameter MalwareScanning)

# With scanning on, the function processes an object only if GuardDuty's tag on it reads NO_THREATS_FOUND.
# GuardDuty scans new uploads only (and an on-demand scan's result is itself processed through the rule).
scan_note() {
    [ "$scanning" = "GuardDuty" ] || return 0
    cat <<EOF
== MalwareScanning is GuardDuty: this job processes only objects whose GuardDutyMalwareScanStatus tag reads
   NO_THREATS_FOUND; every other object (never scanned: it predates the plan) fails as "not scanned".
   GuardDuty scans new uploads only. Have existing objects scanned on demand first, e.g. for each key:
     aws guardduty send-object-malware-scan --s3-object '{"Bucket":"$upload_bucket","Key":"KEY"}'
   Each result reaches UploadEventRule like an upload's, so a clean object is processed then without this job.
   https://docs.aws.amazon.com/guardduty/latest/ug/malware-protection-s3-on-demand.html
EOF
}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -n "$inventory" ]; then
    # s3://bucket/key of an S3 Inventory manifest.json
    loc="${inventory#s3://}"
    manifest_bucket="${loc%%/*}"
    manifest_key="${loc#*/}"
    format="S3InventoryReport_CSV_20161130"
    fields=""
    etag=$(aws s3api head-object --bucket "$manifest_bucket" --key "$manifest_key" --query ETag --output text)
    count="(inventory)"
else
    # One line per object: bucket,key with the key URL-encoded, as Batch Operations CSV manifests want.
    aws s3api list-objects-v2 --bucket "$upload_bucket" --prefix "$prefix" --output json \
        --query 'Contents[].Key' > "$work/keys.json"
    python3 - "$upload_bucket" "$work/keys.json" "$work/manifest.csv" <<'EOF'
import json, sys, urllib.parse
bucket, keys_path, out_path = sys.argv[1:]
keys = json.load(open(keys_path)) or []
with open(out_path, "w", newline="") as out:
    for key in keys:
        if key.endswith("/"):
            continue  # folder markers are not uploads
        out.write(f"{bucket},{urllib.parse.quote(key, safe='/')}\n")
EOF
    count=$(wc -l < "$work/manifest.csv" | tr -d ' ')
    manifest_bucket="$processed_bucket"
    manifest_key="backfill/manifests/$stamp.csv"
    format="S3BatchOperations_CSV_20180820"
    fields=',"Fields":["Bucket","Key"]'
    if [ "$dry_run" = 1 ]; then
        echo "== manifest ($count objects under s3://$upload_bucket/$prefix), would go to s3://$manifest_bucket/$manifest_key"
        head -n 20 "$work/manifest.csv"
        etag="(not uploaded)"
    else
        etag=$(aws s3api put-object --bucket "$manifest_bucket" --key "$manifest_key" \
            --body "$work/manifest.csv" --content-type text/csv --query ETag --output text)
    fi
fi

operation='{"LambdaInvoke":{"FunctionArn":"'"$function_arn"'","InvocationSchemaVersion":"2.0"}}'
manifest='{"Spec":{"Format":"'"$format"'"'"$fields"'},"Location":{"ObjectArn":"arn:aws:s3:::'"$manifest_bucket/$manifest_key"'","ETag":'"$(printf '%s' "$etag" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().strip().strip(chr(34))))')"'}}'
report='{"Bucket":"arn:aws:s3:::'"$processed_bucket"'","Prefix":"backfill/reports","Format":"Report_CSV_20180820","Enabled":true,"ReportScope":"AllTasks"}'

scan_note
if [ "$dry_run" = 1 ]; then
    echo "== would start an S3 Batch Operations job ($count objects) in account $account:"
    echo "operation: $operation"
    echo "manifest:  $manifest"
    echo "report:    $report"
    echo "role:      $role_arn"
    exit 0
fi
job=$(aws s3control create-job --account-id "$account" --no-confirmation-required \
    --operation "$operation" --manifest "$manifest" --report "$report" --priority "$priority" \
    --role-arn "$role_arn" --client-request-token "imgkit-backfill-$stamp" \
    --description "imgkit backfill of s3://$upload_bucket/$prefix" --query JobId --output text)
echo "started backfill job $job over $count objects of s3://$upload_bucket/$prefix"
echo "watch:  aws s3control describe-job --account-id $account --job-id $job --query 'Job.[Status,ProgressSummary]'"
echo "report: s3://$processed_bucket/backfill/reports/job-$job/"

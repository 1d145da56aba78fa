"""AWS side of imgkit-lambda's end-to-end test, run against moto_server on loopback (never real AWS).

prefix: prints the template's UploadPrefix default.
scan-setup: (MalwareScanning=GuardDuty) creates the buckets (uploads versioned), the queue and the rule with
       the template's scan-result pattern (the plan's ARN given), uploads the plan's files (with their tags;
       `then`: overwritten by another file afterwards) and prints each upload's key, version and ETag.
publish: puts the given events on the default bus (as GuardDuty would) and receives what the rule
       delivered to the queue.
setup: creates the upload and processed buckets, uploads the plan's "before" files (objects that predate
       the stack: no event announces them), turns on S3 -> EventBridge notifications, creates the
       processing queue and the EventBridge rule with the EventPattern of UploadEventRule read from
       deploy/template.yaml (intrinsics resolved: Ref/Sub of UploadBucket -> the test bucket, of a
       parameter -> its Default), uploads the other planned files under the template's UploadPrefix,
       asks the rule's matcher which uploads it matches, and receives the SQS messages the rule delivered.
dump:  lists a bucket and saves every object with its Content-Type, Cache-Control and metadata.
"""

import argparse
import json
import re
import sys
import time
import uuid

import boto3
import yaml
from moto.events.models import EventPattern

REGION = "us-east-1"
ACCOUNT = "123456789012"


class CfnLoader(yaml.SafeLoader):
    """A YAML loader that also reads CloudFormation short tags (!Ref X, !Sub ..., !GetAtt A.B, ...)."""


def _short_tag(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else "Fn::" + suffix
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CfnLoader.add_multi_constructor("!", _short_tag)


def condition(expr, names, conditions):
    """Evaluates a template condition (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition)."""
    if isinstance(expr, dict):
        (op, arg), = expr.items()
        if op == "Fn::Equals":
            a, b = (resolve(x, names, conditions) for x in arg)
            return str(a) == str(b)
        if op == "Fn::Not":
            return not condition(arg[0], names, conditions)
        if op == "Fn::And":
            return all(condition(x, names, conditions) for x in arg)
        if op == "Fn::Or":
            return any(condition(x, names, conditions) for x in arg)
        if op == "Condition":
            return condition(conditions[arg], names, conditions)
    raise ValueError(f"condition {expr!r} not modelled")


def resolve(value, names, conditions=None):
    """Resolves Ref, Fn::Sub, Fn::GetAtt and Fn::If against `names` (logical id, parameter or "Id.Attr" ->
    string) and the template's `conditions`."""
    if isinstance(value, list):
        return [resolve(v, names, conditions) for v in value]
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return names[value["Ref"]]
        if set(value) == {"Fn::GetAtt"}:
            att = value["Fn::GetAtt"]
            return names[att if isinstance(att, str) else ".".join(att)]
        if set(value) == {"Fn::If"}:
            name, then, otherwise = value["Fn::If"]
            return resolve(then if condition(conditions[name], names, conditions) else otherwise, names, conditions)
        if set(value) == {"Fn::Sub"}:
            sub = value["Fn::Sub"]
            text, extra = (sub, {}) if isinstance(sub, str) else (sub[0], resolve(sub[1], names, conditions))
            return re.sub(r"\$\{([^}!]+)\}", lambda m: str(extra.get(m.group(1), names[m.group(1)])), text)
        return {k: resolve(v, names, conditions) for k, v in value.items()}
    return value


def event_pattern(template_path, upload_bucket, scanning="Off", plan_arn=None):
    """UploadEventRule's pattern with the parameters at their defaults but MalwareScanning=`scanning`."""
    with open(template_path) as f:
        template = yaml.load(f, Loader=CfnLoader)
    names = {k: str(p.get("Default", "")) for k, p in template.get("Parameters", {}).items()}
    names["MalwareScanning"] = scanning
    names["UploadBucket"] = upload_bucket
    names["MalwareProtectionPlan.Arn"] = plan_arn
    names["AWS::Region"] = REGION
    names["AWS::AccountId"] = ACCOUNT
    names["AWS::Partition"] = "aws"
    rule = template["Resources"]["UploadEventRule"]
    pattern = resolve(rule["Properties"]["EventPattern"], names, template.get("Conditions", {}))
    return pattern, names.get("UploadPrefix", "")


def client(kind, endpoint):
    return boto3.client(
        kind,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def prefix(args):
    print(event_pattern(args.template, "unused")[1])


def setup(args):
    s3, sqs, events = (client(k, args.endpoint) for k in ("s3", "sqs", "events"))
    pattern, prefix = event_pattern(args.template, args.upload_bucket)
    for bucket in (args.upload_bucket, args.output_bucket):
        s3.create_bucket(Bucket=bucket)
    with open(args.plan) as f:
        plan = json.load(f)
    plan.sort(key=lambda e: not e["before"])
    uploads = []
    events_on = False
    for entry in plan:
        if not entry["before"] and not events_on:
            enable_events(s3, sqs, events, args, pattern)
            events_on = True
        key = prefix + entry["rel"]
        with open(entry["file"], "rb") as f:
            body = f.read()
        etag = s3.put_object(Bucket=args.upload_bucket, Key=key, Body=body)["ETag"].strip('"')
        probe_event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Object Created",
            "source": "aws.s3",
            "account": ACCOUNT,
            "time": "2026-11-28T00:00:00Z",
            "region": REGION,
            "resources": [f"arn:aws:s3:::{args.upload_bucket}"],
            "detail": {
                "version": "0",
                "bucket": {"name": args.upload_bucket},
                "object": {"key": key, "size": len(body), "etag": etag},
                "reason": "PutObject",
            },
        }
        # moto_server does not implement TestEventPattern: ask the same matcher it applies to the rule.
        matched = EventPattern.load(json.dumps(pattern)).matches_event(probe_event)
        uploads.append({"rel": entry["rel"], "key": key, "size": len(body), "etag": etag, "matched": matched,
                        "before": entry["before"]})
    if not events_on:
        enable_events(s3, sqs, events, args, pattern)
    queue_url = sqs.get_queue_url(QueueName="imgkit-e2e-processing")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    expected = sum(1 for u in uploads if u["matched"] and not u["before"])
    # Anything beyond what the rule should have matched would be a bug: receive_all collects stragglers.
    messages = receive_all(sqs, queue_url, expected)
    json.dump(
        {"prefix": prefix, "pattern": pattern, "queue_arn": queue_arn, "uploads": uploads, "messages": messages},
        open(args.out, "w"),
        indent=1,
    )


def enable_events(s3, sqs, events, args, pattern):
    """From here on, uploads are announced: S3 -> EventBridge -> the template's rule -> the queue."""
    s3.put_bucket_notification_configuration(
        Bucket=args.upload_bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    queue_url = sqs.create_queue(QueueName="imgkit-e2e-processing")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="imgkit-e2e-uploads", EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule="imgkit-e2e-uploads", Targets=[{"Id": "processing-queue", "Arn": queue_arn}])


def receive_all(sqs, queue_url, expected):
    """Messages until `expected` arrived (or 30 s), then any stragglers for a second."""
    messages = []
    deadline = time.time() + 30
    while len(messages) < expected and time.time() < deadline:
        messages += sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"]
        ).get("Messages", [])
    messages += sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    return [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
             "attributes": m.get("Attributes", {}), "md5OfBody": m["MD5OfBody"]} for m in messages]


def scan_setup(args):
    s3, sqs, events = (client(k, args.endpoint) for k in ("s3", "sqs", "events"))
    pattern, prefix = event_pattern(args.template, args.upload_bucket, "GuardDuty", args.plan_arn)
    for bucket in (args.upload_bucket, args.output_bucket):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=args.upload_bucket, VersioningConfiguration={"Status": "Enabled"})
    queue_url = sqs.create_queue(QueueName="imgkit-e2e-scanned")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="imgkit-e2e-scan-results", EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule="imgkit-e2e-scan-results", Targets=[{"Id": "processing-queue", "Arn": queue_arn}])
    with open(args.plan) as f:
        plan = json.load(f)
    uploads = []
    for entry in plan:
        key = prefix + entry["rel"]
        with open(entry["file"], "rb") as f:
            put = s3.put_object(Bucket=args.upload_bucket, Key=key, Body=f.read())
        if entry.get("tag"):
            s3.put_object_tagging(Bucket=args.upload_bucket, Key=key, VersionId=put["VersionId"],
                                  Tagging={"TagSet": [{"Key": "GuardDutyMalwareScanStatus", "Value": entry["tag"]}]})
        uploads.append({"rel": entry["rel"], "key": key, "version_id": put["VersionId"],
                        "etag": put["ETag"].strip('"')})
        if entry.get("then"):
            with open(entry["then"], "rb") as f:
                s3.put_object(Bucket=args.upload_bucket, Key=key, Body=f.read())
    json.dump({"prefix": prefix, "pattern": pattern, "queue_arn": queue_arn, "queue_url": queue_url,
               "uploads": uploads}, open(args.out, "w"), indent=1)


def publish(args):
    """Puts each event on the default bus as its source would, and collects what the rule sent to the queue."""
    sqs, events = (client(k, args.endpoint) for k in ("sqs", "events"))
    with open(args.events) as f:
        sent = json.load(f)
    for e in sent:
        got = events.put_events(Entries=[{"Source": e["source"], "DetailType": e["detail-type"],
                                          "Resources": e["resources"], "Detail": json.dumps(e["detail"])}])
        assert got["FailedEntryCount"] == 0, got
    json.dump({"messages": receive_all(sqs, args.queue_url, args.expected)}, open(args.out, "w"), indent=1)


def dump(args):
    s3 = client("s3", args.endpoint)
    objects = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket):
        for i, obj in enumerate(page.get("Contents", [])):
            got = s3.get_object(Bucket=args.bucket, Key=obj["Key"])
            path = f"{args.out_dir}/{len(objects)}.bin"
            with open(path, "wb") as f:
                f.write(got["Body"].read())
            objects.append(
                {
                    "key": obj["Key"],
                    "path": path,
                    "content_type": got.get("ContentType"),
                    "cache_control": got.get("CacheControl"),
                    "metadata": got.get("Metadata", {}),
                }
            )
    json.dump(objects, open(f"{args.out_dir}/index.json", "w"), indent=1)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--endpoint", required=True)
    s.add_argument("--template", required=True)
    s.add_argument("--upload-bucket", required=True)
    s.add_argument("--output-bucket", required=True)
    s.add_argument("--plan", required=True)
    s.add_argument("--out", required=True)
    ss = sub.add_parser("scan-setup")
    for a in ("--endpoint", "--template", "--upload-bucket", "--output-bucket", "--plan", "--plan-arn", "--out"):
        ss.add_argument(a, required=True)
    pb = sub.add_parser("publish")
    for a in ("--endpoint", "--queue-url", "--events", "--out"):
        pb.add_argument(a, required=True)
    pb.add_argument("--expected", type=int, required=True)
    pr = sub.add_parser("prefix")
    pr.add_argument("--template", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--endpoint", required=True)
    d.add_argument("--bucket", required=True)
    d.add_argument("--out-dir", required=True)
    args = p.parse_args()
    {"setup": setup, "scan-setup": scan_setup, "publish": publish, "dump": dump, "prefix": prefix}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())

"""AWS side of imgkit-lambda's end-to-end test, run against moto_server on loopback (never real AWS).

prefix: prints the template's UploadPrefix default.
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


def resolve(value, names):
    """Resolves Ref and Fn::Sub against `names` (logical id or parameter -> string)."""
    if isinstance(value, list):
        return [resolve(v, names) for v in value]
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return names[value["Ref"]]
        if set(value) == {"Fn::Sub"}:
            sub = value["Fn::Sub"]
            text, extra = (sub, {}) if isinstance(sub, str) else (sub[0], resolve(sub[1], names))
            return re.sub(r"\$\{([^}!]+)\}", lambda m: str(extra.get(m.group(1), names[m.group(1)])), text)
        return {k: resolve(v, names) for k, v in value.items()}
    return value


def event_pattern(template_path, upload_bucket):
    with open(template_path) as f:
        template = yaml.load(f, Loader=CfnLoader)
    names = {k: str(p.get("Default", "")) for k, p in template.get("Parameters", {}).items()}
    names["UploadBucket"] = upload_bucket
    names["AWS::Region"] = REGION
    names["AWS::AccountId"] = ACCOUNT
    rule = template["Resources"]["UploadEventRule"]
    return resolve(rule["Properties"]["EventPattern"], names), names.get("UploadPrefix", "")


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
    messages = []
    deadline = time.time() + 30
    while len(messages) < expected and time.time() < deadline:
        got = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"]
        ).get("Messages", [])
        for m in got:
            messages.append(
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "md5OfBody": m["MD5OfBody"],
                }
            )
    # Anything beyond what the rule should have matched would be a bug: collect stragglers briefly.
    extra = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    for m in extra:
        messages.append({"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                         "attributes": m.get("Attributes", {}), "md5OfBody": m["MD5OfBody"]})
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
    pr = sub.add_parser("prefix")
    pr.add_argument("--template", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--endpoint", required=True)
    d.add_argument("--bucket", required=True)
    d.add_argument("--out-dir", required=True)
    args = p.parse_args()
    {"setup": setup, "dump": dump, "prefix": prefix}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())

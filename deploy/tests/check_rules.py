#!/usr/bin/env python3
"""Our own rules for deploy/template.yaml: one named rule per numbered failure of issue 7.

    python3 deploy/tests/check_rules.py              # the whole suite (what deploy/check.sh runs)
    python3 deploy/tests/check_rules.py FILE.yaml    # only the F rules, on any template (exit 1 if any fires)
    python3 deploy/tests/check_rules.py --sync-sizing   # copy deploy/sizing-params.json into the template's defaults

The suite:
  * rules:     every F rule passes on deploy/template.yaml;
  * contracts: the function's environment variable names are a subset of ENV_VARS in
               crates/imgkit-lambda/src/settings.rs (required ones set); the right-sizing parameter defaults equal
               deploy/sizing-params.json (written by `imgkit sizing --params-out`); UploadEventRule's pattern
               (both branches of its Fn::If: GuardDuty scan results, S3 Object Created), substituted the way the
               Lambda adapter's end-to-end test does, matches and rejects sample events;
  * fixtures:  every F rule fires on tests/fixtures/broken.yaml (one deliberate failure per rule), and each
               mutation in MUTATIONS (one safeguard removed from the real template) makes its rule fire.

Plain Python 3 + PyYAML; no pytest. The template is written with long-form intrinsics (no !Ref tags), so
yaml.safe_load reads it. Ends with the line "N passed, N failed"; exit status 1 if anything failed.
"""

from __future__ import annotations

import copy
import json
import re
import sys
import traceback
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[1]
REPO = DEPLOY.parent
TEMPLATE = DEPLOY / "template.yaml"
BROKEN = DEPLOY / "tests" / "fixtures" / "broken.yaml"
SIZING = DEPLOY / "sizing-params.json"
SETTINGS_RS = REPO / "crates" / "imgkit-lambda" / "src" / "settings.rs"
METRICS_RS = REPO / "crates" / "imgkit-lambda" / "src" / "metrics.rs"

TAG_KEYS = ("Application", "Environment", "Owner", "CostCenter")
REQUIRED_ENV = {"IMGKIT_OUTPUT_BUCKET", "IMGKIT_RENDITIONS"}
# Read by glibc at process start, not by imgkit-lambda: a fixed mmap threshold returns freed image buffers
# to the kernel instead of keeping them in per-thread arenas (the CLI sets the same value with mallopt, so
# `imgkit sizing`, which measures the CLI, predicts what the function uses).
ALLOCATOR_ENV = {"MALLOC_MMAP_THRESHOLD_": "1048576"}
SIZING_KEYS = ("MemorySize", "Timeout", "VisibilityTimeout", "MaxConcurrency", "Architecture")
# Lambda's standard limits (the CloudFormation schema now allows more for Lambda Managed Instances).
LAMBDA_MEMORY = (128, 10240)
LAMBDA_TIMEOUT_MAX = 900
# Resource types used here that take Tags, for when cfn-lint's schemas are not importable.
TAGGABLE_FALLBACK = {
    "AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::Events::Rule", "AWS::Logs::LogGroup", "AWS::IAM::Role",
    "AWS::Lambda::Function", "AWS::Lambda::EventSourceMapping", "AWS::SNS::Topic", "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::Dashboard", "AWS::KMS::Key", "AWS::IAM::ManagedPolicy",
}
# The property that names a resource of each type (elsewhere FunctionName, Name, ... may be references).
NAME_PROPS = {
    "AWS::S3::Bucket": "BucketName", "AWS::SQS::Queue": "QueueName", "AWS::Lambda::Function": "FunctionName",
    "AWS::SNS::Topic": "TopicName", "AWS::Logs::LogGroup": "LogGroupName", "AWS::IAM::Role": "RoleName",
    "AWS::CloudWatch::Alarm": "AlarmName", "AWS::CloudWatch::Dashboard": "DashboardName",
    "AWS::Events::Rule": "Name", "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::StepFunctions::StateMachine": "StateMachineName", "AWS::DynamoDB::Table": "TableName",
}
# F14: Amazon GuardDuty Malware Protection for S3, as documented.
# https://docs.aws.amazon.com/guardduty/latest/ug/malware-protection-s3-iam-policy-prerequisite.html
GD_PRINCIPAL = "malware-protection-plan.guardduty.amazonaws.com"
GD_RULE_ARN = "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*"
GD_VALIDATION_OBJECT = "${UploadBucket.Arn}/malware-protection-resource-validation-object"
UPLOAD_OBJECTS = "${UploadBucket.Arn}/${UploadPrefix}*"
GD_MANAGED_RULE_ACTIONS = {"events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets"}
GD_ROLE_ACTIONS = GD_MANAGED_RULE_ACTIONS | {
    "events:DescribeRule", "events:ListTargetsByRule",
    "s3:PutBucketNotification", "s3:GetBucketNotification", "s3:ListBucket",
    "s3:GetObject", "s3:GetObjectVersion",
    "s3:PutObjectTagging", "s3:GetObjectTagging", "s3:PutObjectVersionTagging", "s3:GetObjectVersionTagging",
    "s3:PutObject",
}
# https://docs.aws.amazon.com/guardduty/latest/ug/monitor-with-eventbridge-s3-malware-protection.html
SCAN_RESULT = "GuardDuty Malware Protection Object Scan Result"
SCAN_TAG = "GuardDutyMalwareScanStatus"
SCAN_STATUSES = ("COMPLETED", "SKIPPED", "FAILED")
SCAN_RESULT_STATUSES = ("NO_THREATS_FOUND", "THREATS_FOUND", "UNSUPPORTED", "ACCESS_DENIED", "FAILED")
# What the pattern contract puts in place of Fn::GetAtt MalwareProtectionPlan.Arn (GuardDuty's example form).
SAMPLE_PLAN_ARN = "arn:aws:guardduty:us-east-1:123456789012:malware-protection-plan/b4c7f464ab3a4EXAMPLE"
ENV_NAMES = ("dev", "develop", "development", "test", "testing", "qa", "uat", "stage", "staging", "prod",
             "production", "live")


# ---------------------------------------------------------------------------------------------- helpers

def load(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def get(node, *path):
    """Walk dicts (str keys) and lists (int keys); None when anything is missing."""
    for key in path:
        if isinstance(key, int):
            if not isinstance(node, list) or key >= len(node):
                return None
        elif not isinstance(node, dict):
            return None
        node = node[key] if isinstance(key, int) else node.get(key)
    return node


def as_list(x):
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


def walk(node, path=()):
    """Yield (path, node) for every node."""
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, path + (i,))


def strings(node):
    for path, v in walk(node):
        if isinstance(v, str):
            yield path, v


def is_ref(x, name=None) -> bool:
    return isinstance(x, dict) and list(x) == ["Ref"] and (name is None or x["Ref"] == name)


def ref_name(x):
    return x["Ref"] if is_ref(x) else None


def getatt(x):
    """(resource, attribute) of a Fn::GetAtt, else None."""
    if isinstance(x, dict) and list(x) == ["Fn::GetAtt"]:
        v = x["Fn::GetAtt"]
        if isinstance(v, str) and "." in v:
            return tuple(v.split(".", 1))
        if isinstance(v, list) and len(v) == 2:
            return v[0], v[1]
    return None


def sub_text(x):
    """The template string of a Fn::Sub (either form), else None."""
    if isinstance(x, dict) and list(x) == ["Fn::Sub"]:
        v = x["Fn::Sub"]
        if isinstance(v, str):
            return v
        if isinstance(v, list) and v and isinstance(v[0], str):
            return v[0]
    return None


def is_true(x) -> bool:
    return x is True or (isinstance(x, str) and x.lower() == "true")


def resources(t) -> dict:
    r = t.get("Resources") if isinstance(t, dict) else None
    return r if isinstance(r, dict) else {}


def params(t) -> dict:
    p = t.get("Parameters") if isinstance(t, dict) else None
    return p if isinstance(p, dict) else {}


def of_type(t, typ):
    return {k: v for k, v in resources(t).items() if isinstance(v, dict) and v.get("Type") == typ}


def props(res) -> dict:
    p = res.get("Properties") if isinstance(res, dict) else None
    return p if isinstance(p, dict) else {}


def the_function(t):
    fns = of_type(t, "AWS::Lambda::Function")
    return next(iter(fns.items()), (None, None))


def the_mapping(t, fn_id):
    for k, v in of_type(t, "AWS::Lambda::EventSourceMapping").items():
        if is_ref(props(v).get("FunctionName"), fn_id) or getatt(props(v).get("FunctionName")) == (fn_id, "Arn"):
            return k, v
    return None, None


def queue_of_mapping(t, esm):
    ga = getatt(props(esm).get("EventSourceArn")) if esm else None
    if ga and ga[1] == "Arn" and get(resources(t), ga[0], "Type") == "AWS::SQS::Queue":
        return ga[0], resources(t)[ga[0]]
    return None, None


def dlq_of(t, queue):
    ga = getatt(get(props(queue), "RedrivePolicy", "deadLetterTargetArn"))
    if ga and ga[1] == "Arn" and get(resources(t), ga[0], "Type") == "AWS::SQS::Queue":
        return ga[0], resources(t)[ga[0]]
    return None, None


def env_vars(t) -> dict:
    _, fn = the_function(t)
    v = get(props(fn), "Environment", "Variables")
    return v if isinstance(v, dict) else {}


def processed_bucket_id(t):
    return ref_name(env_vars(t).get("IMGKIT_OUTPUT_BUCKET"))


def int_or_none(x):
    try:
        return int(str(x))
    except (TypeError, ValueError):
        return None


def if_branches(x):
    """(condition, true, false) of a Fn::If, else None."""
    v = get(x, "Fn::If") if isinstance(x, dict) and list(x) == ["Fn::If"] else None
    if isinstance(v, list) and len(v) == 3 and isinstance(v[0], str):
        return list(v)
    return None


def expand_if(items):
    """Items of a list with each Fn::If item replaced by its branches (AWS::NoValue dropped): what any
    combination of conditions can deploy."""
    out = []
    for x in as_list(items):
        b = if_branches(x)
        if b:
            out.extend(expand_if([y for y in b[1:] if not is_ref(y, "AWS::NoValue")]))
        else:
            out.append(x)
    return out


def policy_statements(doc):
    return [s for s in expand_if(get(doc, "Statement")) if isinstance(s, dict)]


def conditional_statements(doc, cond):
    """Statements present only under `cond` (Fn::If [cond, statement, AWS::NoValue] items)."""
    out = []
    for x in as_list(get(doc, "Statement")):
        b = if_branches(x)
        if b and b[0] == cond and is_ref(b[2], "AWS::NoValue") and isinstance(b[1], dict):
            out.append(b[1])
    return out


def all_policy_docs(t):
    """(where, document, is_identity_policy, role_ids) for every policy in the template."""
    out = []
    for rid, res in resources(t).items():
        typ, p = get(res, "Type"), props(res)
        if typ == "AWS::IAM::Role":
            for pol in as_list(p.get("Policies")):
                out.append((f"{rid}.Policies.{get(pol, 'PolicyName')}", get(pol, "PolicyDocument"), True, [rid]))
        elif typ in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            roles = [ref_name(r) for r in as_list(p.get("Roles"))]
            out.append((rid, p.get("PolicyDocument"), True, roles))
        elif typ in ("AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"):
            out.append((rid, p.get("PolicyDocument"), False, []))
    return out


def refs_in(node):
    """Logical names a node depends on: Ref, Fn::GetAtt and ${...} in Fn::Sub (pseudo parameters excluded)."""
    found = set()
    for _, v in walk(node):
        if not isinstance(v, dict) or len(v) != 1:
            continue
        (k, val), = v.items()
        if k == "Ref" and isinstance(val, str):
            found.add(val)
        elif k == "Fn::GetAtt":
            ga = getatt(v)
            if ga:
                found.add(ga[0])
        elif k == "Fn::Sub":
            text = sub_text(v) or ""
            local = set(val[1]) if isinstance(val, list) and len(val) > 1 and isinstance(val[1], dict) else set()
            for name in re.findall(r"\$\{([^!}][^}]*)\}", text):
                name = name.split(".")[0]
                if name not in local:
                    found.add(name)
    return {n for n in found if not n.startswith("AWS::")}


def find_cycle(t):
    res = resources(t)
    graph = {}
    for rid, r in res.items():
        deps = refs_in(r.get("Properties", {})) if isinstance(r, dict) else set()
        deps |= set(as_list(get(r, "DependsOn")))
        graph[rid] = {d for d in deps if d in res}
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def condition_uses_parameter(t, cond_name) -> bool:
    cond = get(t, "Conditions", cond_name)
    return cond is not None and any(n in params(t) for n in refs_in(cond))


def alarms_on(t, namespace, metric):
    """Alarms watching namespace/metric directly or inside Metrics (metric math)."""
    out = []
    for aid, a in of_type(t, "AWS::CloudWatch::Alarm").items():
        p = props(a)
        if p.get("Namespace") == namespace and p.get("MetricName") == metric:
            out.append((aid, p, p.get("Dimensions")))
        for m in as_list(p.get("Metrics")):
            mm = get(m, "MetricStat", "Metric")
            if get(mm, "Namespace") == namespace and get(mm, "MetricName") == metric:
                out.append((aid, p, get(mm, "Dimensions")))
    return out


def alarms_notifying(t, namespace, metric, dim, pred):
    """Alarms on namespace/metric whose dimension `dim` satisfies `pred` and whose AlarmActions notify an
    SNS topic of this template."""
    topics = set(of_type(t, "AWS::SNS::Topic"))
    return [a for a in alarms_on(t, namespace, metric)
            if dimension_is(a[2], dim, pred)
            and any(ref_name(x) in topics for x in as_list(a[1].get("AlarmActions")))]


def dimension_is(dims, name, pred) -> bool:
    return any(get(d, "Name") == name and pred(get(d, "Value")) for d in as_list(dims))


# ---------------------------------------------------------------------------------------------- rules
# Each rule takes the parsed template and returns a list of violations (empty = pass). Rules never raise on a
# malformed template: a missing piece is a violation.

RULES = {}


def rule(name, title):
    def deco(fn):
        fn.title = title
        RULES[name] = fn
        return fn
    return deco


@rule("F01_iam_least_privilege", "IAM least privilege: no * action/resource, function scoped, no full-access managed policies")
def f01(t):
    v = []
    fn_id, fn = the_function(t)
    role = getatt(props(fn).get("Role"))
    role_id = role[0] if role and role[1] == "Arn" else None
    if fn is None or role_id not in of_type(t, "AWS::IAM::Role"):
        v.append("the function's Role is not Fn::GetAtt of an AWS::IAM::Role in this template")
    for rid, res in of_type(t, "AWS::IAM::Role").items():
        for arn in as_list(props(res).get("ManagedPolicyArns")):
            s = json.dumps(arn)
            if re.search(r"FullAccess|AdministratorAccess|PowerUserAccess", s):
                v.append(f"{rid}: managed policy {s}")
            elif rid == role_id:
                v.append(f"{rid}: the function role has a managed policy {s} (inline, reviewable statements only)")
    for where, doc, identity, role_ids in all_policy_docs(t):
        for st in policy_statements(doc):
            if st.get("Effect") != "Allow":
                continue
            if "NotAction" in st or "NotResource" in st:
                v.append(f"{where}: Allow with NotAction/NotResource")
            for a in as_list(st.get("Action")):
                if not isinstance(a, str) or "*" in a:
                    v.append(f"{where}: wildcard or computed action {a!r}")
            principal = st.get("Principal")
            if principal == "*" or get(principal, "AWS") == "*":
                v.append(f"{where}: Allow to Principal *")
            for r in as_list(st.get("Resource")):
                text = r if isinstance(r, str) else sub_text(r)
                if text is None:
                    continue
                if text.strip() == "*":
                    v.append(f"{where}: Resource *")
                elif text.startswith("arn:") and "*" in ":".join(text.split(":")[:5]):
                    v.append(f"{where}: wildcard in the service/region/account of {text!r}")
            if identity and not st.get("Resource"):
                v.append(f"{where}: Allow without Resource")
    # The function may only: get objects under the upload prefix and its own outputs, put into the processed
    # bucket, consume its queue, write its own log group.
    if role_id:
        _, esm = the_mapping(t, fn_id)
        queue_id, _ = queue_of_mapping(t, esm)
        log_group = ref_name(get(props(fn), "LoggingConfig", "LogGroup"))
        processed = processed_bucket_id(t)
        allowed = {
            # Originals, and its own outputs (HEAD: a backfill skips sources whose renditions exist).
            "s3:GetObject": lambda r: sub_text(r) in ("${UploadBucket.Arn}/${UploadPrefix}*",
                                                      f"${{{processed}.Arn}}/${{OutputPrefix}}*"),
            "s3:GetObjectVersion": lambda r: sub_text(r) == "${UploadBucket.Arn}/${UploadPrefix}*",
            # The scan tag of originals (F14: a backfill with scanning on checks it).
            "s3:GetObjectTagging": lambda r: sub_text(r) == "${UploadBucket.Arn}/${UploadPrefix}*",
            "s3:GetObjectVersionTagging": lambda r: sub_text(r) == "${UploadBucket.Arn}/${UploadPrefix}*",
            "s3:PutObject": lambda r: processed is not None and (sub_text(r) or "").startswith(f"${{{processed}.Arn}}/"),
            "logs:CreateLogStream": lambda r: log_group is not None and getatt(r) == (log_group, "Arn"),
            "logs:PutLogEvents": lambda r: log_group is not None and getatt(r) == (log_group, "Arn"),
        }
        for a in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"):
            allowed[a] = lambda r: queue_id is not None and getatt(r) == (queue_id, "Arn")
        for where, doc, identity, role_ids in all_policy_docs(t):
            if not identity or role_id not in role_ids:
                continue
            for st in policy_statements(doc):
                if st.get("Effect") != "Allow":
                    continue
                for a in as_list(st.get("Action")):
                    check = allowed.get(a)
                    if check is None:
                        v.append(f"{where}: the function may not {a}")
                        continue
                    for r in as_list(st.get("Resource")):
                        if not check(r):
                            v.append(f"{where}: {a} on {json.dumps(r)} is outside the function's scope")
    return v


@rule("F02_bucket_hardening", "Every bucket: explicit encryption, 4 public-access-block flags, BucketOwnerEnforced, TLS-only policy")
def f02(t):
    v = []
    buckets = of_type(t, "AWS::S3::Bucket")
    if not buckets:
        v.append("no buckets")
    for bid, b in buckets.items():
        p = props(b)
        algos = [get(c, "ServerSideEncryptionByDefault", "SSEAlgorithm")
                 for c in as_list(get(p, "BucketEncryption", "ServerSideEncryptionConfiguration"))]
        if not algos or any(a not in ("AES256", "aws:kms", "aws:kms:dsse") for a in algos):
            v.append(f"{bid}: no explicit BucketEncryption ({algos})")
        pab = p.get("PublicAccessBlockConfiguration")
        for flag in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"):
            if not is_true(get(pab, flag)):
                v.append(f"{bid}: PublicAccessBlockConfiguration.{flag} is not true")
        owners = [get(r, "ObjectOwnership") for r in as_list(get(p, "OwnershipControls", "Rules"))]
        if owners != ["BucketOwnerEnforced"]:
            v.append(f"{bid}: OwnershipControls is {owners}, not BucketOwnerEnforced")
        tls = False
        for pid, pol in of_type(t, "AWS::S3::BucketPolicy").items():
            if not is_ref(props(pol).get("Bucket"), bid):
                continue
            for st in policy_statements(props(pol).get("PolicyDocument")):
                res = [json.dumps(r) for r in as_list(st.get("Resource"))]
                if (st.get("Effect") == "Deny" and st.get("Principal") in ("*", {"AWS": "*"})
                        and "s3:*" in as_list(st.get("Action"))
                        and json.dumps({"Fn::GetAtt": f"{bid}.Arn"}) in res
                        and json.dumps({"Fn::Sub": f"${{{bid}.Arn}}/*"}) in res
                        and str(get(st, "Condition", "Bool", "aws:SecureTransport")).lower() == "false"):
                    tls = True
        if not tls:
            v.append(f"{bid}: no bucket policy denying s3:* on the bucket and its objects without aws:SecureTransport")
    return v


SECRET_NAME = re.compile(r"secret|passw|token|credential|private_?key|access_?key|api_?key|auth", re.I)
SECRET_VALUE = [
    (re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"), "an AWS access key id"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY"), "a private key"),
    (re.compile(r"\{\{resolve:(secretsmanager|ssm-secure):"), "a secret dynamic reference"),
    (re.compile(r"(password|secret|token)\s*[=:]\s*\S", re.I), "an inline credential"),
    (re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])"), "a 40-character secret-like string"),
]


@rule("F03_no_secrets", "No secrets in the template, its parameters or the function's environment")
def f03(t):
    v = []
    for pid, p in params(t).items():
        if is_true(get(p, "NoEcho")):
            v.append(f"parameter {pid} is NoEcho (a secret parameter)")
        if SECRET_NAME.search(pid):
            v.append(f"parameter {pid} is named like a secret")
    for fid, fn in of_type(t, "AWS::Lambda::Function").items():
        variables = get(props(fn), "Environment", "Variables")
        for name, value in (variables.items() if isinstance(variables, dict) else []):
            if SECRET_NAME.search(name):
                v.append(f"{fid}: environment variable {name} is named like a secret")
            branches = if_branches(value)
            if branches and all(is_ref(b) or isinstance(b, (str, int, float)) for b in branches[1:]):
                continue  # a choice between plain values on a condition
            if not (is_ref(value) or isinstance(value, (str, int, float, bool))):
                if not sub_text(value) and not getatt(value):
                    v.append(f"{fid}: environment variable {name} is computed by {json.dumps(value)[:60]}")
    for path, s in strings(t):
        if path[:1] == ("Metadata",) or (path and path[-1] in ("Description", "AlarmDescription", "comment")):
            continue
        for rx, what in SECRET_VALUE:
            if rx.search(s):
                v.append(f"{'/'.join(map(str, path))}: looks like {what}")
    return v


@rule("F04_no_notification_cycle", "S3 -> EventBridge -> SQS -> Lambda, no bucket notification to the function, no dependency cycle")
def f04(t):
    v = []
    for bid, b in of_type(t, "AWS::S3::Bucket").items():
        nc = props(b).get("NotificationConfiguration") or {}
        for k in ("LambdaConfigurations", "QueueConfigurations", "TopicConfigurations"):
            if k in nc:
                v.append(f"{bid}: NotificationConfiguration.{k} (a direct notification; use EventBridge)")
    up = resources(t).get("UploadBucket")
    if not is_true(get(props(up), "NotificationConfiguration", "EventBridgeConfiguration", "EventBridgeEnabled")):
        v.append("UploadBucket: EventBridgeConfiguration.EventBridgeEnabled is not true")
    for pid, p in of_type(t, "AWS::Lambda::Permission").items():
        if "s3" in json.dumps(props(p).get("Principal")):
            v.append(f"{pid}: lets S3 invoke a function directly")
    fn_id, fn = the_function(t)
    _, esm = the_mapping(t, fn_id)
    queue_id, _ = queue_of_mapping(t, esm)
    if queue_id is None:
        v.append("no SQS event source mapping into the function")
    rule_ = resources(t).get("UploadEventRule")
    targets = [getatt(get(tg, "Arn")) for tg in as_list(props(rule_).get("Targets"))]
    if queue_id is None or (queue_id, "Arn") not in targets:
        v.append("UploadEventRule does not target the function's queue")
    cycle = find_cycle(t)
    if cycle:
        v.append("circular dependency: " + " -> ".join(cycle))
    return v


@rule("F05_dlq_partial_batch", "Dead-letter queue with redrive, ReportBatchItemFailures, alarm on DLQ depth")
def f05(t):
    v = []
    fn_id, _ = the_function(t)
    _, esm = the_mapping(t, fn_id)
    if "ReportBatchItemFailures" not in as_list(props(esm).get("FunctionResponseTypes")):
        v.append("event source mapping without FunctionResponseTypes: [ReportBatchItemFailures]")
    qid, q = queue_of_mapping(t, esm)
    dlq_id, dlq = dlq_of(t, q)
    if dlq_id is None:
        v.append(f"queue {qid} has no RedrivePolicy.deadLetterTargetArn to a queue of this template")
    else:
        mrc = get(props(q), "RedrivePolicy", "maxReceiveCount")
        if not (is_ref(mrc) or (int_or_none(mrc) or 0) >= 1):
            v.append(f"{qid}: RedrivePolicy.maxReceiveCount missing")
        qr, dr = int_or_none(props(q).get("MessageRetentionPeriod")), int_or_none(props(dlq).get("MessageRetentionPeriod"))
        if qr is None or dr is None or dr <= qr:
            v.append(f"{dlq_id}: MessageRetentionPeriod ({dr}) must exceed the source queue's ({qr})")
        alarms = [a for a in alarms_on(t, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
                  if dimension_is(a[2], "QueueName", lambda x: getatt(x) == (dlq_id, "QueueName"))
                  and get(a[1], "AlarmActions")]
        if not alarms:
            v.append(f"no alarm (with actions) on {dlq_id} ApproximateNumberOfMessagesVisible")
    return v


@rule("F06_12_right_sized", "Right-sized: memory/timeout/visibility/concurrency from sizing parameters, arm64, provided.al2023")
def f06_12(t):
    v = []
    P = params(t)
    for name in SIZING_KEYS + ("BatchSize",):
        if name not in P:
            v.append(f"parameter {name} missing")
    d = {k: get(P, k, "Default") for k in SIZING_KEYS}
    mem, to, vis, mc = (int_or_none(d[k]) for k in ("MemorySize", "Timeout", "VisibilityTimeout", "MaxConcurrency"))
    if mem is None or not (LAMBDA_MEMORY[0] <= mem <= LAMBDA_MEMORY[1]) or mem in (128, 3008):
        v.append(f"MemorySize default {d['MemorySize']} is not a sized value within 128-10240 (and not 128/3008)")
    if to is None or not (1 <= to <= LAMBDA_TIMEOUT_MAX) or to in (3, 900):
        v.append(f"Timeout default {d['Timeout']} is not a sized value within 1-900 (and not 3/900)")
    if vis is None or to is None or vis < 6 * to:
        v.append(f"VisibilityTimeout default {d['VisibilityTimeout']} is below 6 x Timeout ({d['Timeout']})")
    if mc is None or not (2 <= mc <= 1000):
        v.append(f"MaxConcurrency default {d['MaxConcurrency']} is outside 2-1000")
    if d["Architecture"] != "arm64":
        v.append(f"Architecture default {d['Architecture']} is not arm64")
    bounds = {"MemorySize": LAMBDA_MEMORY, "Timeout": (1, LAMBDA_TIMEOUT_MAX), "MaxConcurrency": (2, 1000),
              "VisibilityTimeout": (0, 43200)}
    for k, (lo, hi) in bounds.items():
        mn, mx = int_or_none(get(P, k, "MinValue")), int_or_none(get(P, k, "MaxValue"))
        if mn is None or mx is None or mn < lo or mx > hi:
            v.append(f"parameter {k} MinValue/MaxValue {mn}/{mx} not within {lo}-{hi}")
    fn_id, fn = the_function(t)
    fp = props(fn)
    if not is_ref(fp.get("MemorySize"), "MemorySize"):
        v.append(f"function MemorySize is {fp.get('MemorySize')!r}, not Ref MemorySize")
    if not is_ref(fp.get("Timeout"), "Timeout"):
        v.append(f"function Timeout is {fp.get('Timeout')!r}, not Ref Timeout")
    # The function bounds its S3 calls by a fraction of its Timeout: it must know the real one.
    if not is_ref(env_vars(t).get("IMGKIT_FUNCTION_TIMEOUT"), "Timeout"):
        v.append("the function's IMGKIT_FUNCTION_TIMEOUT is not Ref Timeout (its S3 timeouts derive from it)")
    if fp.get("Architectures") != [{"Ref": "Architecture"}]:
        v.append(f"function Architectures is {fp.get('Architectures')!r}, not [Ref Architecture]")
    if fp.get("Runtime") != "provided.al2023":
        v.append(f"function Runtime is {fp.get('Runtime')!r}, not provided.al2023")
    _, esm = the_mapping(t, fn_id)
    if not is_ref(get(props(esm), "ScalingConfig", "MaximumConcurrency"), "MaxConcurrency"):
        v.append("event source ScalingConfig.MaximumConcurrency is not Ref MaxConcurrency")
    if not is_ref(props(esm).get("BatchSize"), "BatchSize"):
        v.append("event source BatchSize is not Ref BatchSize")
    qid, q = queue_of_mapping(t, esm)
    if not is_ref(props(q).get("VisibilityTimeout"), "VisibilityTimeout"):
        v.append(f"queue {qid} VisibilityTimeout is not Ref VisibilityTimeout")
    return v


@rule("F07_monitoring", "Log retention parameter, alarms (errors, throttles, duration, DLQ, queue age) to SNS, dashboard")
def f07(t):
    v = []
    fn_id, fn = the_function(t)
    lg_id = ref_name(get(props(fn), "LoggingConfig", "LogGroup"))
    lg = get(resources(t), lg_id) if lg_id else None
    if get(lg, "Type") != "AWS::Logs::LogGroup":
        v.append("the function's LoggingConfig.LogGroup is not a log group of this template")
    elif not (is_ref(props(lg).get("RetentionInDays")) and ref_name(props(lg).get("RetentionInDays")) in params(t)):
        v.append(f"{lg_id}: RetentionInDays is not a parameter")
    topics = set(of_type(t, "AWS::SNS::Topic"))
    if not topics:
        v.append("no SNS topic for alarms")
    subs = [s for s in of_type(t, "AWS::SNS::Subscription").values()
            if ref_name(props(s).get("TopicArn")) in topics and is_ref(props(s).get("Endpoint"))
            and ref_name(props(s).get("Endpoint")) in params(t) and condition_uses_parameter(t, s.get("Condition"))]
    if not subs:
        v.append("no optional (conditional, parameter-driven) e-mail subscription to the alarm topic")

    _, esm = the_mapping(t, fn_id)
    qid, q = queue_of_mapping(t, esm)
    dlq_id, _ = dlq_of(t, q)
    on_fn = lambda x: is_ref(x, fn_id)  # noqa: E731
    wanted = [
        ("errors", "AWS/Lambda", "Errors", "FunctionName", on_fn),
        ("throttles", "AWS/Lambda", "Throttles", "FunctionName", on_fn),
        ("duration", "AWS/Lambda", "Duration", "FunctionName", on_fn),
        ("DLQ messages", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName",
         lambda x: dlq_id is not None and getatt(x) == (dlq_id, "QueueName")),
        ("queue age", "AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName",
         lambda x: qid is not None and getatt(x) == (qid, "QueueName")),
    ]
    for label, ns, metric, dim, pred in wanted:
        hits = alarms_notifying(t, ns, metric, dim, pred)
        if not hits:
            v.append(f"no alarm on {label} ({ns} {metric}) notifying the SNS topic")
        elif label == "duration" and not any("${Timeout}" in json.dumps(a[1]) or is_ref(a[1].get("Threshold"), "Timeout")
                                             for a in hits):
            v.append("the duration alarm is not relative to the Timeout parameter")
    dashboards = of_type(t, "AWS::CloudWatch::Dashboard")
    if not dashboards:
        v.append("no dashboard")
    for did, d in dashboards.items():
        body = sub_text(props(d).get("DashboardBody")) or json.dumps(props(d).get("DashboardBody"))
        needs = {
            "throughput": r"NumberOfMessages(Sent|Deleted)|Invocations",
            "rejections by reason (EMF)": r"SEARCH\('\{[^}]*,Reason\}[^']*MetricName=\\?\"Rejected",
            "duration": r"\"Duration\"",
            "cost (GB-seconds)": r"\$\{MemorySize\}",
        }
        for what, rx in needs.items():
            if not re.search(rx, body):
                v.append(f"{did}: no {what} widget")
    return v


def upload_patterns(t):
    """(condition, scan-result pattern, Object Created pattern) of UploadEventRule, whose EventPattern is
    Fn::If [condition, <GuardDuty scan results>, <S3 Object Created>]; a plain pattern is taken as the Object
    Created one, with no condition and no scan branch."""
    pat = get(resources(t), "UploadEventRule", "Properties", "EventPattern")
    b = if_branches(pat)
    return b if b else (None, None, pat)


@rule("F10_event_filtering", "UploadEventRule filters bucket, key prefix and event type, and drops no upload under the prefix")
def f10(t):
    v = []
    r = resources(t).get("UploadEventRule")
    if get(r, "Type") != "AWS::Events::Rule":
        return ["no AWS::Events::Rule with logical ID UploadEventRule"]
    # The Object Created branch (MalwareScanning=Off); the scan-result branch is F14_scan_result_rule's.
    pat = upload_patterns(t)[2]
    if not isinstance(pat, dict):
        return ["UploadEventRule.EventPattern (its Object Created branch) is not a structured pattern"]
    if pat.get("source") != ["aws.s3"]:
        v.append(f"source is {pat.get('source')}, not ['aws.s3']")
    if pat.get("detail-type") != ["Object Created"]:
        v.append(f"detail-type is {pat.get('detail-type')}, not ['Object Created']")
    if get(pat, "detail", "bucket", "name") != [{"Ref": "UploadBucket"}]:
        v.append("detail.bucket.name is not [Ref UploadBucket]")
    keys = as_list(get(pat, "detail", "object", "key"))
    if len(keys) != 1 or sub_text(get(keys[0], "wildcard")) != "${UploadPrefix}*":
        v.append(f"detail.object.key is {json.dumps(keys)}, not exactly [wildcard ${{UploadPrefix}}*]: an upload "
                 f"the rule drops (by extension, or none) ends with no renditions and no rejection record")
    # Anything else filtered (size, etag, ...) drops uploads silently: the function must see them to reject them.
    extra = sorted(set(get(pat, "detail", "object") or {}) - {"key"}) + sorted(set(get(pat, "detail") or {}) - {"bucket", "object"})
    if extra:
        v.append(f"the pattern also filters on {extra}: uploads it drops get no rejection record")
    env = env_vars(t)
    if not is_ref(env.get("IMGKIT_SOURCE_PREFIX"), "UploadPrefix"):
        v.append("the function's IMGKIT_SOURCE_PREFIX is not Ref UploadPrefix (its own check, second line)")
    # The recursion guard: renditions never land where uploads are watched.
    out = processed_bucket_id(t)
    if out not in of_type(t, "AWS::S3::Bucket") or out == "UploadBucket":
        v.append(f"the function's IMGKIT_OUTPUT_BUCKET is Ref {out}, not a bucket of this template other than UploadBucket")
    if "*" in str(get(params(t), "UploadPrefix", "Default")) or "*" in str(get(params(t), "UploadPrefix", "AllowedPattern")).replace("]*", "").replace(")*", ""):
        v.append("UploadPrefix may contain * (a wildcard in the filter)")
    return v


def lifecycle_rules(bucket):
    return as_list(get(props(bucket), "LifecycleConfiguration", "Rules"))


def conditional_rules(t, bucket):
    """(condition, rule) for each Fn::If rule whose condition depends on a parameter."""
    out = []
    for r in lifecycle_rules(bucket):
        branch = get(r, "Fn::If")
        if isinstance(branch, list) and len(branch) == 3 and condition_uses_parameter(t, branch[0]):
            out.append((branch[0], branch[1]))
    return out


@rule("F11_lifecycle", "Lifecycle: expire noncurrent versions, abort multipart uploads, optional transition/expiry by parameters")
def f11(t):
    v = []
    for bid, b in of_type(t, "AWS::S3::Bucket").items():
        plain = [r for r in lifecycle_rules(b) if isinstance(r, dict) and "Fn::If" not in r and r.get("Status") == "Enabled"]
        if not any(get(r, "NoncurrentVersionExpiration", "NoncurrentDays") is not None for r in plain):
            v.append(f"{bid}: no enabled rule expiring noncurrent versions")
        if not any(get(r, "AbortIncompleteMultipartUpload", "DaysAfterInitiation") is not None for r in plain):
            v.append(f"{bid}: no enabled rule aborting incomplete multipart uploads")
    for bid in ("UploadBucket", processed_bucket_id(t)):
        b = get(resources(t), bid) if bid else None
        if b is None:
            v.append(f"data bucket {bid} missing")
            continue
        cond = conditional_rules(t, b)
        if not any(is_ref(get(r, "Transitions", 0, "TransitionInDays")) for _, r in cond):
            v.append(f"{bid}: no optional (parameter-driven) transition rule")
        if not any(is_ref(get(r, "ExpirationInDays")) for _, r in cond):
            v.append(f"{bid}: no optional (parameter-driven) expiration rule")
    return v


@rule("F13_versioning_replication", "Versioning on data buckets; optional cross-region replication on a parameter condition")
def f13(t):
    v = []
    for bid, b in of_type(t, "AWS::S3::Bucket").items():
        if get(props(b), "VersioningConfiguration", "Status") != "Enabled":
            v.append(f"{bid}: versioning is not Enabled")
    for need in ("UploadBucket", processed_bucket_id(t)):
        if need not in of_type(t, "AWS::S3::Bucket"):
            v.append(f"data bucket {need} missing")
    rep = get(resources(t), "UploadBucket", "Properties", "ReplicationConfiguration")
    branch = get(rep, "Fn::If")
    if not (isinstance(branch, list) and len(branch) == 3 and is_ref(branch[2], "AWS::NoValue")
            and condition_uses_parameter(t, branch[0])):
        v.append("UploadBucket.ReplicationConfiguration is not Fn::If [parameter condition, ..., AWS::NoValue]")
    else:
        cfg = branch[1]
        dest = [get(r, "Destination", "Bucket") for r in as_list(get(cfg, "Rules"))]
        if not dest or not all(is_ref(d) and ref_name(d) in params(t) for d in dest):
            v.append("replication destination is not a parameter")
        role = getatt(get(cfg, "Role"))
        if not role or get(resources(t), role[0], "Condition") != branch[0]:
            v.append("replication role missing or not created under the same condition")
    return v


# F14: insufficient validation. imgkit validates every upload itself (F10: every upload reaches it); with
# MalwareScanning=GuardDuty (the default), Amazon GuardDuty Malware Protection for S3 scans it first and the
# function processes only what GuardDuty found clean.

def scan_condition_ok(t, cond) -> bool:
    """`cond` is a condition true exactly when MalwareScanning is GuardDuty."""
    eq = get(t, "Conditions", cond, "Fn::Equals") if isinstance(cond, str) else None
    return isinstance(eq, list) and len(eq) == 2 and any(
        is_ref(a, "MalwareScanning") and b == "GuardDuty" for a, b in (eq, eq[::-1]))


def the_plan(t):
    plans = of_type(t, "AWS::GuardDuty::MalwareProtectionPlan")
    return next(iter(plans.items()), (None, None))


def plan_role_id(t):
    _, plan = the_plan(t)
    ga = getatt(props(plan).get("Role"))
    if ga and ga[1] == "Arn" and get(resources(t), ga[0], "Type") == "AWS::IAM::Role":
        return ga[0]
    return None


def arn_text(r):
    """A resource ARN as Fn::Sub text: Fn::GetAtt X.Arn reads ${X.Arn}."""
    ga = getatt(r)
    if ga and ga[1] == "Arn":
        return f"${{{ga[0]}.Arn}}"
    return r if isinstance(r, str) else sub_text(r)


def gd_scope(action):
    """Where the documented policy lets the plan's role do `action`, scoped to this bucket and prefix."""
    if action.startswith("events:"):
        return GD_RULE_ARN
    if action in ("s3:PutBucketNotification", "s3:GetBucketNotification", "s3:ListBucket"):
        return "${UploadBucket.Arn}"
    if action == "s3:PutObject":
        return GD_VALIDATION_OBJECT
    return UPLOAD_OBJECTS


def managed_by_guardduty(cond) -> bool:
    return any(as_list(get(cond, op, "events:ManagedBy")) == [GD_PRINCIPAL] for op in ("StringLike", "StringEquals"))


def plan_role_violations(t, rid):
    v = []
    p = props(resources(t)[rid])
    allows = [st for st in policy_statements(p.get("AssumeRolePolicyDocument")) if st.get("Effect") == "Allow"]
    trusted = [st.get("Principal") for st in allows]
    if (len(allows) != 1 or as_list(get(trusted[0], "Service")) != [GD_PRINCIPAL] or set(trusted[0]) != {"Service"}
            or as_list(allows[0].get("Action")) != ["sts:AssumeRole"]):
        v.append(f"{rid}: trusts {json.dumps(trusted)}, not only {GD_PRINCIPAL} (sts:AssumeRole)")
    if p.get("ManagedPolicyArns"):
        v.append(f"{rid}: managed policies {json.dumps(p['ManagedPolicyArns'])} (only the documented inline permissions)")
    seen = set()
    for where, doc, identity, role_ids in all_policy_docs(t):
        if not identity or rid not in role_ids:
            continue
        for st in policy_statements(doc):
            if st.get("Effect") != "Allow":
                continue
            if "NotAction" in st or "NotResource" in st:
                v.append(f"{where}: Allow with NotAction/NotResource")
            for a in as_list(st.get("Action")):
                if a not in GD_ROLE_ACTIONS:
                    v.append(f"{where}: {a} is not among GuardDuty's documented permissions")
                    continue
                seen.add(a)
                for r in as_list(st.get("Resource")) or [None]:
                    if arn_text(r) != gd_scope(a):
                        v.append(f"{where}: {a} on {json.dumps(r)}, not only {gd_scope(a)}")
                if a in GD_MANAGED_RULE_ACTIONS and not managed_by_guardduty(st.get("Condition")):
                    v.append(f"{where}: {a} without the condition events:ManagedBy = {GD_PRINCIPAL} (any rule of that name)")
    missing = GD_ROLE_ACTIONS - seen
    if missing:
        v.append(f"{rid}: lacks the documented {sorted(missing)}: GuardDuty cannot validate, scan or tag")
    return v


@rule("F14_malware_scanning", "MalwareScanning (default GuardDuty): a GuardDuty plan on UploadBucket/UploadPrefix with tagging, its role exactly the documented, scoped permissions; the function told, the tag readable, alarms")
def f14(t):
    v = []
    p = params(t).get("MalwareScanning")
    if not isinstance(p, dict):
        v.append("no MalwareScanning parameter")
    else:
        if p.get("Default") != "GuardDuty":
            v.append(f"MalwareScanning default is {p.get('Default')!r}, not GuardDuty (scanning on unless turned off)")
        if sorted(map(str, as_list(p.get("AllowedValues")))) != ["GuardDuty", "Off"]:
            v.append(f"MalwareScanning AllowedValues are {p.get('AllowedValues')}, not [GuardDuty, Off]")
    cond = "ScanUploads"
    if not scan_condition_ok(t, cond):
        v.append("condition ScanUploads is not Fn::Equals [Ref MalwareScanning, GuardDuty]")
    plan_id, plan = the_plan(t)
    if plan is None:
        v.append("no AWS::GuardDuty::MalwareProtectionPlan: uploads are processed unscanned")
    else:
        if plan.get("Condition") != cond:
            v.append(f"{plan_id}: Condition is {plan.get('Condition')!r}, not ScanUploads")
        pp = props(plan)
        s3b = get(pp, "ProtectedResource", "S3Bucket")
        if not is_ref(get(s3b, "BucketName"), "UploadBucket"):
            v.append(f"{plan_id}: protects {json.dumps(get(s3b, 'BucketName'))}, not Ref UploadBucket")
        prefixes = get(s3b, "ObjectPrefixes")
        b = if_branches(prefixes)
        if not (prefixes == [{"Ref": "UploadPrefix"}] or (
                b and b[1] == [{"Ref": "UploadPrefix"}] and is_ref(b[2], "AWS::NoValue")
                and "UploadPrefix" in refs_in(get(t, "Conditions", b[0])))):
            v.append(f"{plan_id}: ObjectPrefixes {json.dumps(prefixes)} are not [Ref UploadPrefix] (or AWS::NoValue when it is empty)")
        if get(pp, "Actions", "Tagging", "Status") != "ENABLED":
            v.append(f"{plan_id}: Actions.Tagging.Status is {get(pp, 'Actions', 'Tagging', 'Status')!r}, not ENABLED "
                     f"(a backfill has no {SCAN_TAG} tag to check)")
        rid = plan_role_id(t)
        if rid is None:
            v.append(f"{plan_id}: Role is not Fn::GetAtt of an AWS::IAM::Role of this template")
        else:
            if resources(t)[rid].get("Condition") != cond:
                v.append(f"{rid}: Condition is {resources(t)[rid].get('Condition')!r}, not ScanUploads")
            v += plan_role_violations(t, rid)
    up = resources(t).get("UploadBucket")
    algos = [get(c, "ServerSideEncryptionByDefault", "SSEAlgorithm")
             for c in as_list(get(props(up), "BucketEncryption", "ServerSideEncryptionConfiguration"))]
    if algos != ["AES256"]:
        v.append(f"UploadBucket encryption is {algos}, not SSE-S3: the plan role would need the documented KMS "
                 f"permissions, which this rule does not model")
    # The function: processes only clean versions when scanning is on, and can read the tag in a backfill.
    fn_id, fn = the_function(t)
    b = if_branches(env_vars(t).get("IMGKIT_MALWARE_SCANNING"))
    if not (b and b[0] == cond and b[1] == "guardduty" and b[2] == "off"):
        v.append("the function's IMGKIT_MALWARE_SCANNING is not Fn::If [ScanUploads, guardduty, off]")
    role = getatt(props(fn).get("Role"))
    reads = [st for where, doc, identity, ids in all_policy_docs(t) if identity and role and role[0] in ids
             for st in conditional_statements(doc, cond)
             if st.get("Effect") == "Allow"
             and {"s3:GetObjectTagging", "s3:GetObjectVersionTagging"} <= set(as_list(st.get("Action")))
             and [sub_text(r) for r in as_list(st.get("Resource"))] == [UPLOAD_OBJECTS]]
    if not reads:
        v.append(f"the function's role has no statement under ScanUploads allowing s3:GetObjectTagging and "
                 f"s3:GetObjectVersionTagging on {UPLOAD_OBJECTS}: a backfill cannot check the scan tag")
    for metric in ("MalwareFound", "NotScanned"):
        if not alarms_notifying(t, "imgkit", metric, "FunctionName", lambda x: is_ref(x, fn_id)):
            v.append(f"no alarm on imgkit {metric} (FunctionName) notifying the SNS topic")
    return v


@rule("F14_scan_result_rule", "With scanning on, UploadEventRule takes GuardDuty's results for this plan, bucket and prefix, whatever the verdict")
def f14_rule(t):
    v = []
    if get(resources(t), "UploadEventRule", "Type") != "AWS::Events::Rule":
        return ["no AWS::Events::Rule with logical ID UploadEventRule"]
    cond, scan, _ = upload_patterns(t)
    if cond is None:
        return ["UploadEventRule.EventPattern is not Fn::If [ScanUploads, <scan results>, <Object Created>]: "
                "with scanning on, uploads would be processed without GuardDuty's verdict"]
    if cond != "ScanUploads" or not scan_condition_ok(t, cond):
        v.append(f"the pattern's Fn::If is on {cond!r}, not ScanUploads (MalwareScanning = GuardDuty)")
    if not isinstance(scan, dict):
        return v + ["the scan branch is not a structured pattern"]
    if scan.get("source") != ["aws.guardduty"]:
        v.append(f"scan branch source is {scan.get('source')}, not ['aws.guardduty']")
    if scan.get("detail-type") != [SCAN_RESULT]:
        v.append(f"scan branch detail-type is {scan.get('detail-type')}, not [{SCAN_RESULT!r}]")
    plan_id, _ = the_plan(t)
    res = as_list(scan.get("resources"))
    if plan_id is None or len(res) != 1 or getatt(res[0]) != (plan_id, "Arn"):
        v.append(f"scan branch resources is {json.dumps(scan.get('resources'))}, not [Fn::GetAtt {plan_id}.Arn]: "
                 f"results of any plan would be processed")
    d = scan.get("detail") if isinstance(scan.get("detail"), dict) else {}
    if get(d, "s3ObjectDetails", "bucketName") != [{"Ref": "UploadBucket"}]:
        v.append("scan branch detail.s3ObjectDetails.bucketName is not [Ref UploadBucket]")
    keys = as_list(get(d, "s3ObjectDetails", "objectKey"))
    if len(keys) != 1 or sub_text(get(keys[0], "wildcard")) != "${UploadPrefix}*":
        v.append(f"scan branch detail.s3ObjectDetails.objectKey is {json.dumps(keys)}, not exactly [wildcard ${{UploadPrefix}}*]")
    extra = (sorted(set(scan) - {"source", "detail-type", "resources", "detail"})
             + sorted(set(d) - {"s3ObjectDetails"})
             + sorted(set(get(d, "s3ObjectDetails") or {}) - {"bucketName", "objectKey"}))
    if extra:
        v.append(f"the scan branch also filters on {extra}: results it drops (THREATS_FOUND, SKIPPED, ...) end with "
                 f"no record; every verdict must reach the function")
    return v


def principal_exemption(cond):
    """(principal ARNs a Deny spares via a negated aws:PrincipalArn operator, the other conditions)."""
    spared, others = [], []
    for op, kv in (cond.items() if isinstance(cond, dict) else []):
        for k, val in (kv.items() if isinstance(kv, dict) else [(None, kv)]):
            if k == "aws:PrincipalArn" and op in ("ArnNotEquals", "ArnNotLike", "StringNotEquals", "StringNotLike"):
                spared += as_list(val)
            else:
                others.append((op, k, [str(x).lower() if isinstance(x, bool) else x for x in as_list(val)]))
    return spared, others


@rule("F14_scan_tag_policy", "With scanning on, only the plan's role may set, change or remove GuardDutyMalwareScanStatus; no upload may carry it")
def f14_tags(t):
    v = []
    rid = plan_role_id(t)
    if rid is None:
        return ["no plan role (Fn::GetAtt of the plan's Role) that alone may write the scan tag"]
    docs = [props(pol).get("PolicyDocument") for pol in of_type(t, "AWS::S3::BucketPolicy").values()
            if is_ref(props(pol).get("Bucket"), "UploadBucket")]
    if not docs:
        return ["no bucket policy on UploadBucket: whoever may write objects may forge the scan tag"]
    sts = [st for d in docs for st in conditional_statements(d, "ScanUploads")]
    plan_role = {"Fn::GetAtt": f"{rid}.Arn"}
    request_tag = [("ForAnyValue:StringEquals", "s3:RequestObjectTagKeys", [SCAN_TAG])]
    existing_tag = [("Null", f"s3:ExistingObjectTag/{SCAN_TAG}", ["false"])]
    wanted = [
        ("set the tag", {"s3:PutObjectTagging", "s3:PutObjectVersionTagging"}, request_tag, True),
        ("replace or remove the tag", {"s3:PutObjectTagging", "s3:PutObjectVersionTagging",
                                       "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"}, existing_tag, True),
        ("upload an object carrying the tag", {"s3:PutObject"}, request_tag, False),
    ]
    for what, actions, trigger, needs_exemption in wanted:
        found = []
        for st in sts:
            if (st.get("Effect") == "Deny" and st.get("Principal") in ("*", {"AWS": "*"})
                    and actions <= set(as_list(st.get("Action")))
                    and "${UploadBucket.Arn}/*" in [sub_text(r) for r in as_list(st.get("Resource"))]):
                spared, others = principal_exemption(st.get("Condition"))
                if sorted(others, key=str) == trigger:
                    found.append((st.get("Sid"), spared))
        if not found:
            v.append(f"no Deny (under ScanUploads) to every principal of {sorted(actions)} on ${{UploadBucket.Arn}}/* when "
                     f"{trigger[0][1]} {trigger[0][0]} {trigger[0][2][0]}: anyone may {what}")
            continue
        allowed = ([[plan_role]] if needs_exemption else [[], [plan_role]])
        for sid, spared in found:
            if spared not in allowed:
                v.append(f"{sid}: spares {json.dumps(spared)}, not only the plan role {rid}: they may {what}")
    return v


def taggable_types():
    try:
        from cfnlint.schema import PROVIDER_SCHEMA_MANAGER  # type: ignore
    except Exception:  # cfn-lint not installed: the fallback list
        return None

    def check(typ):
        try:
            return "Tags" in PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", typ).schema.get("properties", {})
        except Exception:
            return typ in TAGGABLE_FALLBACK
    return check


_TAGGABLE = taggable_types()


def is_taggable(typ) -> bool:
    return typ in TAGGABLE_FALLBACK or bool(_TAGGABLE and _TAGGABLE(typ))


@rule("F15_tags", "Tags Application, Environment, Owner, CostCenter (from parameters) on every taggable resource")
def f15(t):
    v = []
    for rid, r in resources(t).items():
        typ = get(r, "Type")
        if not isinstance(typ, str) or not is_taggable(typ):
            continue
        tags = {get(x, "Key"): get(x, "Value") for x in as_list(props(r).get("Tags"))}
        for k in TAG_KEYS:
            if not is_ref(tags.get(k), k):
                v.append(f"{rid} ({typ}): tag {k} missing or not Ref {k}")
    for k in TAG_KEYS:
        if k not in params(t):
            v.append(f"parameter {k} missing")
    return v


def default_ok(p):
    d = p.get("Default")
    if d is None:
        return True
    if "AllowedValues" in p and str(d) not in [str(x) for x in p["AllowedValues"]]:
        return False
    if "AllowedPattern" in p and not re.fullmatch(p["AllowedPattern"], str(d)):
        return False
    n = int_or_none(d)
    if "MinValue" in p and (n is None or n < int(p["MinValue"])):
        return False
    if "MaxValue" in p and (n is None or n > int(p["MaxValue"])):
        return False
    return True


@rule("F16_parameters_constrained", "Every parameter described, constrained, default valid, grouped in AWS::CloudFormation::Interface")
def f16(t):
    v = []
    iface = get(t, "Metadata", "AWS::CloudFormation::Interface")
    grouped = [n for g in as_list(get(iface, "ParameterGroups")) for n in as_list(get(g, "Parameters"))]
    labels = get(iface, "ParameterLabels") or {}
    for pid, p in params(t).items():
        if not isinstance(p, dict):
            v.append(f"{pid}: malformed")
            continue
        if not str(p.get("Description") or "").strip():
            v.append(f"{pid}: no Description")
        typ = p.get("Type")
        if typ == "Number":
            if "AllowedValues" not in p and not ("MinValue" in p and "MaxValue" in p):
                v.append(f"{pid}: Number without MinValue and MaxValue (or AllowedValues)")
        elif "AllowedValues" not in p and "AllowedPattern" not in p:
            v.append(f"{pid}: {typ} without AllowedValues or AllowedPattern")
        if "AllowedPattern" in p and not p.get("ConstraintDescription"):
            v.append(f"{pid}: AllowedPattern without ConstraintDescription")
        if not default_ok(p):
            v.append(f"{pid}: Default {p.get('Default')!r} violates its own constraints")
        if grouped.count(pid) != 1:
            v.append(f"{pid}: in {grouped.count(pid)} ParameterGroups (want exactly 1)")
        if not get(labels, pid, "default"):
            v.append(f"{pid}: no ParameterLabel")
    for n in grouped:
        if n not in params(t):
            v.append(f"ParameterGroups name an unknown parameter {n}")
    return v


@rule("F17_no_hardcoded_names", "Names derive from the stack/Environment; no hard-coded environment or bucket names")
def f17(t):
    v = []
    env = get(params(t), "Environment")
    if not isinstance(env, dict):
        v.append("no Environment parameter")
    elif "Default" in env:
        v.append("Environment has a Default (each deployment must name its environment)")
    for rid, r in resources(t).items():
        p = props(r)
        key = NAME_PROPS.get(get(r, "Type"))
        if key in p:
            text = sub_text(p[key])
            if text is None or not re.search(r"\$\{(Environment|AWS::StackName)\}", text):
                v.append(f"{rid}.{key} = {json.dumps(p[key])} does not derive from ${{Environment}} or the stack")
    env_rx = re.compile(r"(^|[-_/.:\s])(" + "|".join(ENV_NAMES) + r")([-_/.:\s]|$)", re.I)
    for path, s in strings({"Resources": resources(t), "Outputs": t.get("Outputs", {})}):
        if path and path[-1] in ("Description", "AlarmDescription", "DisplayName", "comment", "Label"):
            continue
        if "Metadata" in path:
            continue
        if env_rx.search(s):
            v.append(f"{'/'.join(map(str, path))}: hard-coded environment name in {s[:60]!r}")
        for m in re.finditer(r"arn:aws[a-z-]*:s3:::([^$/\"\s]+)", s):
            v.append(f"{'/'.join(map(str, path))}: hard-coded bucket ARN {m.group(0)!r}")
    for rid, r in resources(t).items():
        for key in ("DestinationBucketName", "Bucket", "S3Bucket"):
            for path, node in walk(props(r)):
                if path and path[-1] == key and isinstance(node, str):
                    v.append(f"{rid}/{'/'.join(map(str, path))}: hard-coded bucket {node!r}")
    return v


@rule("F18_retain_data_buckets", "DeletionPolicy and UpdateReplacePolicy Retain on every bucket")
def f18(t):
    v = []
    buckets = of_type(t, "AWS::S3::Bucket")
    for bid, b in buckets.items():
        for k in ("DeletionPolicy", "UpdateReplacePolicy"):
            if b.get(k) != "Retain":
                v.append(f"{bid}: {k} is {b.get(k)!r}, not Retain")
    for need in ("UploadBucket", processed_bucket_id(t)):
        if need not in buckets:
            v.append(f"data bucket {need or '(Ref of IMGKIT_OUTPUT_BUCKET)'} missing")
    return v


def run_rules(t):
    return {name: fn(t) for name, fn in RULES.items()}


# ---------------------------------------------------------------------------------------------- contracts

def settings_env_vars():
    """ENV_VARS of crates/imgkit-lambda/src/settings.rs (string literals, or consts naming them)."""
    if not SETTINGS_RS.exists():
        raise AssertionError(f"{SETTINGS_RS.relative_to(REPO)} does not exist (the Lambda adapter's settings parser)")
    src = SETTINGS_RS.read_text(encoding="utf-8")
    m = re.search(r"pub\s+const\s+ENV_VARS\s*:\s*&\s*\[\s*&\s*(?:'static\s+)?str\s*\]\s*=\s*&\s*\[(.*?)\]\s*;", src, re.S)
    if not m:
        raise AssertionError("settings.rs has no `pub const ENV_VARS: &[&str] = &[ ... ];`")
    body = re.sub(r"//[^\n]*", "", m.group(1))
    names = []
    for item in [x.strip() for x in body.split(",") if x.strip()]:
        lit = re.fullmatch(r'"([^"]+)"', item)
        if lit:
            names.append(lit.group(1))
            continue
        ident = item.split("::")[-1]
        c = re.search(r"const\s+" + re.escape(ident) + r'\s*:\s*&\s*(?:\'static\s+)?str\s*=\s*"([^"]+)"', src)
        if not c:
            raise AssertionError(f"ENV_VARS item {item!r} is neither a string literal nor a const &str in settings.rs")
        names.append(c.group(1))
    return names


def contract_env_vars(t):
    known = set(settings_env_vars())
    env = env_vars(t)
    for name, value in ALLOCATOR_ENV.items():
        assert str(env.get(name)) == value, f"template must set {name}={value} (glibc allocator tuning), has {env.get(name)!r}"
    mine = set(env) - set(ALLOCATOR_ENV)
    extra = mine - known
    assert not extra, f"template sets {sorted(extra)}, which imgkit-lambda does not read (ENV_VARS: {sorted(known)})"
    missing = REQUIRED_ENV - mine
    assert not missing, f"template does not set the required {sorted(missing)}"
    assert REQUIRED_ENV <= known, f"ENV_VARS lacks {sorted(REQUIRED_ENV - known)}"
    return f"{len(mine)} variables, all in ENV_VARS ({len(known)} names); required {sorted(REQUIRED_ENV)} set"


def contract_sizing(t):
    if not SIZING.exists():
        raise AssertionError(f"{SIZING.relative_to(REPO)} does not exist: run `imgkit sizing ... --params-out "
                             f"deploy/sizing-params.json` (see deploy/README.md)")
    entries = json.loads(SIZING.read_text(encoding="utf-8"))
    assert isinstance(entries, list), "sizing-params.json is not a CloudFormation parameter list"
    return check_sizing_values(t, {e["ParameterKey"]: str(e["ParameterValue"]) for e in entries})


def check_sizing_values(t, values):
    missing = [k for k in SIZING_KEYS if k not in values]
    assert not missing, f"sizing-params.json lacks {missing}"
    mem, to, vis, mc = (int(values[k]) for k in ("MemorySize", "Timeout", "VisibilityTimeout", "MaxConcurrency"))
    assert LAMBDA_MEMORY[0] <= mem <= LAMBDA_MEMORY[1], f"sizing MemorySize {mem} outside Lambda's 128-10240 MB"
    assert 1 <= to <= LAMBDA_TIMEOUT_MAX, f"sizing Timeout {to} outside 1-900 s"
    assert vis >= 6 * to, f"sizing VisibilityTimeout {vis} < 6 x Timeout {to}"
    assert 2 <= mc <= 1000, f"sizing MaxConcurrency {mc} outside 2-1000"
    assert values["Architecture"] in ("arm64", "x86_64"), f"sizing Architecture {values['Architecture']}"
    diffs = []
    for k, val in values.items():
        p = params(t).get(k)
        if p is None:
            diffs.append(f"{k}: not a template parameter")
        elif str(p.get("Default")) != val:
            diffs.append(f"{k}: template default {p.get('Default')!r} != sizing {val!r}")
    assert not diffs, "; ".join(diffs)
    return ", ".join(f"{k}={v}" for k, v in values.items())


def dashboard_body(t):
    """The dashboard JSON with every ${...} replaced by a placeholder of the right kind."""
    d = next(iter(of_type(t, "AWS::CloudWatch::Dashboard").values()))
    text = sub_text(props(d)["DashboardBody"])
    numeric = {"TimeoutMs", "MemorySize", "GbSecondPrice", "Timeout", "MaxConcurrency"}
    text = re.sub(r"\$\{([^}]+)\}", lambda m: "1" if m.group(1) in numeric else "x", text)
    return json.loads(text)


def contract_dashboard_metrics(t):
    if not METRICS_RS.exists():
        raise AssertionError(f"{METRICS_RS.relative_to(REPO)} does not exist (the function's EMF metrics)")
    src = METRICS_RS.read_text(encoding="utf-8")
    ns = re.search(r'pub\s+const\s+NAMESPACE\s*:\s*&\s*(?:\'static\s+)?str\s*=\s*"([^"]+)"', src)
    assert ns, "metrics.rs has no `pub const NAMESPACE: &str = \"...\";`"
    emitted = set(re.findall(r'"Name"\s*:\s*"([A-Za-z]+)"', src))
    body = dashboard_body(t)
    used = set()
    for w in body["widgets"]:
        for m in get(w, "properties", "metrics") or []:
            if m and isinstance(m[0], str) and not m[0].startswith("AWS/"):
                assert m[0] == ns.group(1), f"dashboard namespace {m[0]!r} != metrics.rs NAMESPACE {ns.group(1)!r}"
                used.add(m[1])
            expr = get(m, 0, "expression") or ""
            for n, metric in re.findall(r"\{([^,}]+)[^}]*\}\s*MetricName=\"(\w+)\"", expr):
                assert n == ns.group(1), f"dashboard SEARCH namespace {n!r} != {ns.group(1)!r}"
                used.add(metric)
    unknown = used - emitted
    assert not unknown, f"dashboard shows {sorted(unknown)}, which metrics.rs does not emit ({sorted(emitted)})"
    assert '"Reason"' in src, "metrics.rs emits no Reason dimension (the rejections-by-reason widget needs it)"
    return f"namespace {ns.group(1)!r}, metrics {sorted(used)} all emitted; dashboard body is valid JSON"


def substitute(node, env):
    """Resolve Ref / Fn::GetAtt / Fn::Sub the way a consumer of the pattern does (parameters -> defaults,
    UploadBucket -> name, MalwareProtectionPlan.Arn -> a sample plan ARN)."""
    if isinstance(node, dict):
        if is_ref(node):
            return env[node["Ref"]]
        if getatt(node):
            return env[".".join(getatt(node))]
        if sub_text(node) is not None:
            return re.sub(r"\$\{([^}]+)\}", lambda m: env[m.group(1)], sub_text(node))
        return {k: substitute(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [substitute(x, env) for x in node]
    return node


def _wild(pattern, s):
    return re.fullmatch(".*".join(re.escape(p) for p in pattern.split("*")), s, re.S) is not None


def _value_matches(cond, value):
    if isinstance(cond, dict):
        (op, arg), = cond.items()
        if op == "wildcard":
            return isinstance(value, str) and _wild(arg, value)
        if op == "prefix":
            return isinstance(value, str) and value.startswith(arg)
        if op == "numeric":
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                return False
            ops = {">": value.__gt__, ">=": value.__ge__, "<": value.__lt__, "<=": value.__le__, "=": value.__eq__}
            return all(ops[arg[i]](arg[i + 1]) for i in range(0, len(arg), 2))
        raise AssertionError(f"matcher {op} not modelled here")
    return cond == value


def event_matches(pattern, event):
    """EventBridge matching for the operators this template uses (exact, wildcard, prefix, numeric); an array
    in the event (e.g. resources) matches when any of its elements does."""
    for k, cond in pattern.items():
        if isinstance(cond, dict):
            if not isinstance(event.get(k), dict) or not event_matches(cond, event[k]):
                return False
        else:
            value = event.get(k)
            values = value if isinstance(value, list) else [value]
            if not any(_value_matches(c, x) for c in cond for x in values):
                return False
    return True


def contract_event_pattern(t):
    cond, scan, created = upload_patterns(t)
    assert scan is not None, "UploadEventRule.EventPattern has no scan-result branch (Fn::If [ScanUploads, scan, created])"
    env = {k: str(v.get("Default", "")) for k, v in params(t).items()}
    env["UploadBucket"] = "example-uploads"
    env[f"{the_plan(t)[0]}.Arn"] = SAMPLE_PLAN_ARN
    prefix = env["UploadPrefix"]
    created_result = check_created_pattern(substitute(created, env), prefix)
    scan_result = check_scan_pattern(substitute(scan, env), prefix)
    return f"Object Created: {created_result}; scan results: {scan_result}"


def check_scan_pattern(resolved, prefix):
    json.dumps(resolved)  # plain JSON after substitution

    def ev(key, status="COMPLETED", result="NO_THREATS_FOUND", bucket="example-uploads", plan=SAMPLE_PLAN_ARN,
           dtype=SCAN_RESULT, source="aws.guardduty"):
        # The shape of GuardDuty's example result event (monitor-with-eventbridge-s3-malware-protection.html).
        return {"version": "0", "source": source, "detail-type": dtype, "account": "123456789012",
                "region": "us-east-1", "resources": [plan],
                "detail": {"schemaVersion": "1.0", "scanStatus": status, "resourceType": "S3_OBJECT",
                           "s3ObjectDetails": {"bucketName": bucket, "objectKey": key, "eTag": "x",
                                               "versionId": "v1", "s3Throttled": False},
                           "scanResultDetails": {"scanResultStatus": result,
                                                 "threats": [{"name": "EICAR-Test-File"}] if result == "THREATS_FOUND" else None}}}

    # Every verdict on every object under the prefix reaches the function, which writes a record for each;
    # only results of another plan, bucket or prefix, and other GuardDuty events, stay out.
    accept = [ev(prefix + "a.jpg", st, r) for st in SCAN_STATUSES for r in SCAN_RESULT_STATUSES]
    accept += [ev(prefix + "dir/b.JPEG"), ev(prefix + "IMG_0001"), ev(prefix + "red flower.webp"), ev(prefix + "folder/")]
    reject = [ev("elsewhere/" + prefix + "a.jpg") if prefix else None, ev(prefix + "a.jpg", bucket="other"),
              ev(prefix + "a.jpg", plan=SAMPLE_PLAN_ARN.replace("b4c7f464ab3a4", "a0000000000a0")),
              ev(prefix + "a.jpg", dtype="GuardDuty Malware Protection Post Scan Action Failed"),
              ev(prefix + "a.jpg", source="aws.s3")]
    bad = [(e["detail"]["s3ObjectDetails"]["objectKey"], e["detail"]["scanStatus"],
            e["detail"]["scanResultDetails"]["scanResultStatus"]) for e in accept if not event_matches(resolved, e)]
    assert not bad, f"scan pattern drops results {bad}"
    bad = [json.dumps({k: e[k] for k in ("source", "detail-type", "resources")} | {"s3ObjectDetails": e["detail"]["s3ObjectDetails"]})
           for e in reject if e and event_matches(resolved, e)]
    assert not bad, f"scan pattern accepts {bad}"
    return (f"{len(accept)} results matched (each scanStatus x scanResultStatus), "
            f"{len([e for e in reject if e])} others rejected")


def check_created_pattern(resolved, prefix):
    json.dumps(resolved)  # plain JSON after substitution

    def ev(key, size, bucket="example-uploads", dtype="Object Created", source="aws.s3"):
        return {"source": source, "detail-type": dtype,
                "detail": {"bucket": {"name": bucket}, "object": {"key": key, "size": size, "etag": "x"}}}

    # Everything under the prefix reaches the function, whatever it is called and however big: it writes a
    # rejection record for what it cannot use. Only other buckets, prefixes and event types stay out.
    accept = [ev(prefix + "a.jpg", 1000), ev(prefix + "dir/b.JPEG", 5), ev(prefix + "c.png", 33554432),
              ev(prefix + "d.gif", 1), ev(prefix + "red flower.webp", 77), ev(prefix + "a.svg", 1000),
              ev(prefix + "photo.heic", 3000), ev(prefix + "scan.tif", 10), ev(prefix + "IMG_0001", 10),
              ev(prefix + "a.jpg", 0), ev(prefix + "a.jpg", 33554433), ev(prefix + "a.jpg.txt", 10),
              ev(prefix + "folder/", 0)]
    reject = [ev("elsewhere/" + prefix + "a.jpg", 10) if prefix else None,
              ev(prefix + "a.jpg", 10, bucket="other"), ev(prefix + "a.jpg", 10, dtype="Object Deleted"),
              ev(prefix + "a.jpg", 10, source="aws.s3x")]
    bad = [e["detail"]["object"]["key"] for e in accept if not event_matches(resolved, e)]
    assert not bad, f"pattern rejects valid uploads {bad}"
    bad = [json.dumps(e["detail"]) for e in reject if e and event_matches(resolved, e)]
    assert not bad, f"pattern accepts {bad}"
    return f"{len(accept)} uploads matched, {len([e for e in reject if e])} non-matching events rejected"


# ---------------------------------------------------------------------------------------------- mutations
# One safeguard removed from the real template per entry; the named rule must fire.

def _fn(t):
    return resources(t)["ThumbnailFunction"]["Properties"]


def _role_statements(t):
    return resources(t)["FunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]


def _stmt(t, sid):
    return next(s for s in _role_statements(t) if s.get("Sid") == sid)


def _res(t, rid):
    return resources(t)[rid]


def _param(t, pid):
    return params(t)[pid]


def _drop_tag(t, rid, key):
    tags = _res(t, rid)["Properties"]["Tags"]
    tags[:] = [x for x in tags if x["Key"] != key]


def _set(d, key, value):
    d[key] = value


def _created(t):
    """The Object Created branch of UploadEventRule's pattern (MalwareScanning=Off)."""
    return _res(t, "UploadEventRule")["Properties"]["EventPattern"]["Fn::If"][2]


def _scan(t):
    """The GuardDuty scan-result branch of UploadEventRule's pattern (MalwareScanning=GuardDuty)."""
    return _res(t, "UploadEventRule")["Properties"]["EventPattern"]["Fn::If"][1]


def _plan(t):
    return _res(t, "MalwareProtectionPlan")["Properties"]


def _plan_stmt(t, sid):
    return next(s for s in _res(t, "MalwareProtectionRole")["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
                if s.get("Sid") == sid)


def _bucket_policy_if(t, sid):
    """The Fn::If item of UploadBucketPolicy holding statement `sid`, and that statement."""
    for x in _res(t, "UploadBucketPolicy")["Properties"]["PolicyDocument"]["Statement"]:
        b = if_branches(x)
        if b and get(b[1], "Sid") == sid:
            return x, b[1]
    raise KeyError(sid)


def _drop_bucket_policy_if(t, *sids):
    st = _res(t, "UploadBucketPolicy")["Properties"]["PolicyDocument"]["Statement"]
    st[:] = [x for x in st if get(if_branches(x), 1, "Sid") not in sids]


MUTATIONS = [
    ("F01_iam_least_privilege", "s3:* on the function role", lambda t: _stmt(t, "ReadOriginals")["Action"].append("s3:*")),
    ("F01_iam_least_privilege", "Resource * for logs", lambda t: _set(_stmt(t, "WriteOwnLogs"), "Resource", "*")),
    ("F01_iam_least_privilege", "reads the whole upload bucket", lambda t: _set(_stmt(t, "ReadOriginals"), "Resource", {"Fn::Sub": "${UploadBucket.Arn}/*"})),
    ("F01_iam_least_privilege", "may write into the upload bucket", lambda t: _set(_stmt(t, "WriteRenditions"), "Resource", {"Fn::Sub": "${UploadBucket.Arn}/*"})),
    ("F01_iam_least_privilege", "reads the tags of the whole upload bucket", lambda t: _set(next(if_branches(x)[1] for x in _role_statements(t) if get(if_branches(x), 1, "Sid") == "ReadScanTags"), "Resource", {"Fn::Sub": "${UploadBucket.Arn}/*"})),
    ("F01_iam_least_privilege", "AmazonS3FullAccess attached", lambda t: _set(_res(t, "FunctionRole")["Properties"], "ManagedPolicyArns", ["arn:aws:iam::aws:policy/AmazonS3FullAccess"])),
    ("F02_bucket_hardening", "no encryption on ProcessedBucket", lambda t: _res(t, "ProcessedBucket")["Properties"].pop("BucketEncryption")),
    ("F02_bucket_hardening", "IgnorePublicAcls false", lambda t: _set(_res(t, "UploadBucket")["Properties"]["PublicAccessBlockConfiguration"], "IgnorePublicAcls", False)),
    ("F02_bucket_hardening", "ObjectWriter ownership", lambda t: _set(_res(t, "UploadBucket")["Properties"]["OwnershipControls"]["Rules"][0], "ObjectOwnership", "ObjectWriter")),
    ("F02_bucket_hardening", "no TLS-only policy", lambda t: resources(t).pop("ProcessedBucketPolicy")),
    ("F03_no_secrets", "API token in the environment", lambda t: _set(_fn(t)["Environment"]["Variables"], "IMGKIT_API_TOKEN", "abc")),
    ("F03_no_secrets", "NoEcho parameter", lambda t: _set(_param(t, "Owner"), "NoEcho", True)),
    ("F03_no_secrets", "access key in a value", lambda t: _set(_fn(t)["Environment"]["Variables"], "IMGKIT_CACHE_CONTROL", "AKIAIOSFODNN7EXAMPLE")),
    ("F03_no_secrets", "secret dynamic reference", lambda t: _set(_fn(t)["Environment"]["Variables"], "IMGKIT_RENDITIONS", "{{resolve:secretsmanager:x}}")),
    ("F04_no_notification_cycle", "direct Lambda notification", lambda t: _set(_res(t, "UploadBucket")["Properties"]["NotificationConfiguration"], "LambdaConfigurations", [{"Event": "s3:ObjectCreated:*", "Function": {"Fn::GetAtt": "ThumbnailFunction.Arn"}}])),
    ("F04_no_notification_cycle", "EventBridge notifications off", lambda t: _res(t, "UploadBucket")["Properties"].pop("NotificationConfiguration")),
    ("F04_no_notification_cycle", "rule targets nothing of ours", lambda t: _set(_res(t, "UploadEventRule")["Properties"]["Targets"][0], "Arn", {"Fn::GetAtt": "AlarmTopic.Arn"})),
    ("F05_dlq_partial_batch", "no redrive policy", lambda t: _res(t, "ProcessingQueue")["Properties"].pop("RedrivePolicy")),
    ("F05_dlq_partial_batch", "no ReportBatchItemFailures", lambda t: _res(t, "QueueEventSourceMapping")["Properties"].pop("FunctionResponseTypes")),
    ("F05_dlq_partial_batch", "no DLQ alarm", lambda t: resources(t).pop("DeadLetterQueueAlarm")),
    ("F06_12_right_sized", "128 MB default", lambda t: _set(_param(t, "MemorySize"), "Default", 128)),
    ("F06_12_right_sized", "3008 MB literal", lambda t: _set(_fn(t), "MemorySize", 3008)),
    ("F06_12_right_sized", "900 s timeout default", lambda t: _set(_param(t, "Timeout"), "Default", 900)),
    ("F06_12_right_sized", "visibility below 6 x timeout", lambda t: _set(_param(t, "VisibilityTimeout"), "Default", 5 * int(_param(t, "Timeout")["Default"]))),
    ("F06_12_right_sized", "x86_64 default", lambda t: _set(_param(t, "Architecture"), "Default", "x86_64")),
    ("F06_12_right_sized", "provided.al2 runtime", lambda t: _set(_fn(t), "Runtime", "provided.al2")),
    ("F06_12_right_sized", "no maximum concurrency", lambda t: _res(t, "QueueEventSourceMapping")["Properties"].pop("ScalingConfig")),
    ("F06_12_right_sized", "MemorySize MaxValue 32768", lambda t: _set(_param(t, "MemorySize"), "MaxValue", 32768)),
    ("F06_12_right_sized", "S3 timeouts not from Timeout", lambda t: _fn(t)["Environment"]["Variables"].pop("IMGKIT_FUNCTION_TIMEOUT")),
    ("F06_12_right_sized", "queue visibility literal", lambda t: _set(_res(t, "ProcessingQueue")["Properties"], "VisibilityTimeout", 30)),
    ("F07_monitoring", "no log retention", lambda t: _res(t, "FunctionLogGroup")["Properties"].pop("RetentionInDays")),
    ("F07_monitoring", "no throttles alarm", lambda t: resources(t).pop("FunctionThrottlesAlarm")),
    ("F07_monitoring", "no errors alarm", lambda t: resources(t).pop("FunctionErrorsAlarm")),
    ("F07_monitoring", "no queue age alarm", lambda t: resources(t).pop("QueueAgeAlarm")),
    ("F07_monitoring", "duration alarm without actions", lambda t: _res(t, "FunctionDurationAlarm")["Properties"].pop("AlarmActions")),
    ("F07_monitoring", "no dashboard", lambda t: resources(t).pop("Dashboard")),
    ("F07_monitoring", "no e-mail subscription", lambda t: resources(t).pop("AlarmEmailSubscription")),
    ("F10_event_filtering", "size filter drops big uploads", lambda t: _set(_created(t)["detail"]["object"], "size", [{"numeric": [">", 0, "<=", 33554432]}])),
    ("F10_event_filtering", "suffix filter drops .heic", lambda t: _set(_created(t)["detail"]["object"], "key", [{"wildcard": {"Fn::Sub": f"${{UploadPrefix}}*.{x}"}} for x in ("jpg", "png")])),
    ("F10_event_filtering", "prefix not from the parameter", lambda t: _set(_created(t)["detail"]["object"]["key"][0], "wildcard", "*")),
    ("F10_event_filtering", "any bucket", lambda t: _created(t)["detail"].pop("bucket")),
    ("F10_event_filtering", "outputs into the upload bucket", lambda t: _set(_fn(t)["Environment"]["Variables"], "IMGKIT_OUTPUT_BUCKET", {"Ref": "UploadBucket"})),
    ("F11_lifecycle", "no multipart abort", lambda t: _res(t, "UploadBucket")["Properties"]["LifecycleConfiguration"]["Rules"][0].pop("AbortIncompleteMultipartUpload")),
    ("F11_lifecycle", "no noncurrent expiry", lambda t: _res(t, "ProcessedBucket")["Properties"]["LifecycleConfiguration"]["Rules"][0].pop("NoncurrentVersionExpiration")),
    ("F11_lifecycle", "no optional originals expiry", lambda t: _res(t, "UploadBucket")["Properties"]["LifecycleConfiguration"]["Rules"].pop(2)),
    ("F13_versioning_replication", "versioning suspended", lambda t: _set(_res(t, "ProcessedBucket")["Properties"]["VersioningConfiguration"], "Status", "Suspended")),
    ("F13_versioning_replication", "no replication", lambda t: _res(t, "UploadBucket")["Properties"].pop("ReplicationConfiguration")),
    ("F14_malware_scanning", "scanning off by default", lambda t: _set(_param(t, "MalwareScanning"), "Default", "Off")),
    ("F14_malware_scanning", "no plan", lambda t: resources(t).pop("MalwareProtectionPlan")),
    ("F14_malware_scanning", "tagging disabled", lambda t: _set(_plan(t)["Actions"]["Tagging"], "Status", "DISABLED")),
    ("F14_malware_scanning", "plan protects the whole bucket", lambda t: _plan(t)["ProtectedResource"]["S3Bucket"].pop("ObjectPrefixes")),
    ("F14_malware_scanning", "plan protects another bucket", lambda t: _set(_plan(t)["ProtectedResource"]["S3Bucket"], "BucketName", {"Ref": "ProcessedBucket"})),
    ("F14_malware_scanning", "role may GetObject in any bucket", lambda t: _set(_plan_stmt(t, "AllowMalwareScan"), "Resource", {"Fn::Sub": "arn:${AWS::Partition}:s3:::*/*"})),
    ("F14_malware_scanning", "role may tag the whole upload bucket", lambda t: _set(_plan_stmt(t, "AllowPostScanTag"), "Resource", {"Fn::Sub": "${UploadBucket.Arn}/*"})),
    ("F14_malware_scanning", "role may put any rule", lambda t: _plan_stmt(t, "AllowManagedRuleToSendS3EventsToGuardDuty").pop("Condition")),
    ("F14_malware_scanning", "role may DeleteObject", lambda t: _plan_stmt(t, "AllowMalwareScan")["Action"].append("s3:DeleteObject")),
    ("F14_malware_scanning", "role lacks tagging", lambda t: _plan_stmt(t, "AllowPostScanTag")["Action"].remove("s3:PutObjectTagging")),
    ("F14_malware_scanning", "role trusts Lambda too", lambda t: _set(_res(t, "MalwareProtectionRole")["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"], "Service", [GD_PRINCIPAL, "lambda.amazonaws.com"])),
    ("F14_malware_scanning", "function not told", lambda t: _fn(t)["Environment"]["Variables"].pop("IMGKIT_MALWARE_SCANNING")),
    ("F14_malware_scanning", "function cannot read the tag", lambda t: _role_statements(t).pop(next(i for i, x in enumerate(_role_statements(t)) if get(if_branches(x), 1, "Sid") == "ReadScanTags"))),
    ("F14_malware_scanning", "no MalwareFound alarm", lambda t: resources(t).pop("MalwareFoundAlarm")),
    ("F14_scan_result_rule", "rule drops THREATS_FOUND results (filters scanResultStatus)", lambda t: _set(_scan(t)["detail"], "scanResultDetails", {"scanResultStatus": ["NO_THREATS_FOUND"]})),
    ("F14_scan_result_rule", "rule drops skipped scans (filters scanStatus)", lambda t: _set(_scan(t)["detail"], "scanStatus", ["COMPLETED"])),
    ("F14_scan_result_rule", "rule from any plan (no resources)", lambda t: _scan(t).pop("resources")),
    ("F14_scan_result_rule", "rule from any bucket", lambda t: _scan(t)["detail"]["s3ObjectDetails"].pop("bucketName")),
    ("F14_scan_result_rule", "rule takes S3 events even with scanning on", lambda t: _set(_res(t, "UploadEventRule")["Properties"], "EventPattern", _created(t))),
    ("F14_scan_tag_policy", "tag policy dropped", lambda t: _drop_bucket_policy_if(t, "OnlyGuardDutyTagsScanStatus", "ScanStatusStays", "NoUploadSetsScanStatus")),
    ("F14_scan_tag_policy", "tag policy exempts every principal", lambda t: _set(_bucket_policy_if(t, "OnlyGuardDutyTagsScanStatus")[1], "Condition", {
        "ForAnyValue:StringEquals": {"s3:RequestObjectTagKeys": SCAN_TAG},
        "ArnNotLike": {"aws:PrincipalArn": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"}}})),
    ("F14_scan_tag_policy", "the tag may be replaced", lambda t: _drop_bucket_policy_if(t, "ScanStatusStays")),
    ("F14_scan_tag_policy", "uploads may carry the tag", lambda t: _drop_bucket_policy_if(t, "NoUploadSetsScanStatus")),
    ("F14_scan_tag_policy", "tag deny narrowed to one prefix", lambda t: _set(_bucket_policy_if(t, "OnlyGuardDutyTagsScanStatus")[1], "Resource", {"Fn::Sub": "${UploadBucket.Arn}/${UploadPrefix}*"})),
    ("F15_tags", "CostCenter tag missing", lambda t: _drop_tag(t, "QueueEventSourceMapping", "CostCenter")),
    ("F15_tags", "literal Owner tag", lambda t: _set(_res(t, "Dashboard")["Properties"]["Tags"][2], "Value", "someone")),
    ("F16_parameters_constrained", "no Description", lambda t: _param(t, "Renditions").pop("Description")),
    ("F16_parameters_constrained", "no MinValue", lambda t: _param(t, "MaxPixels").pop("MinValue")),
    ("F16_parameters_constrained", "not grouped", lambda t: t["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"][-1]["Parameters"].pop()),
    ("F16_parameters_constrained", "unconstrained string", lambda t: _param(t, "CacheControl").pop("AllowedPattern")),
    ("F17_no_hardcoded_names", "literal bucket name", lambda t: _set(_res(t, "ProcessedBucket")["Properties"], "BucketName", "imgkit-prod-processed")),
    ("F17_no_hardcoded_names", "name without Environment", lambda t: _set(_fn(t), "FunctionName", {"Fn::Sub": "${Application}-thumbnailer"})),
    ("F17_no_hardcoded_names", "Environment default", lambda t: _set(_param(t, "Environment"), "Default", "dev")),
    ("F18_retain_data_buckets", "DeletionPolicy Delete", lambda t: _set(_res(t, "UploadBucket"), "DeletionPolicy", "Delete")),
    ("F18_retain_data_buckets", "no UpdateReplacePolicy", lambda t: _res(t, "ProcessedBucket").pop("UpdateReplacePolicy")),
]


# ---------------------------------------------------------------------------------------------- runner

class Runner:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, fn):
        try:
            detail = fn()
            self.passed += 1
            print(f"ok    {name}" + (f": {detail}" if detail else ""))
        except Exception as e:  # noqa: BLE001 - report every failure, keep going
            self.failed += 1
            msg = str(e) if isinstance(e, AssertionError) else "".join(traceback.format_exception(e)).strip()
            print(f"FAIL  {name}: {msg}")


def rules_only(path):
    t = load(Path(path))
    fired = 0
    for name, vs in run_rules(t).items():
        for x in vs:
            print(f"{name}: {x}")
        fired += bool(vs)
    print(f"{len(RULES) - fired} passed, {fired} failed")
    return 1 if fired else 0


def sync_sizing():
    """Rewrite the Default of each parameter named in sizing-params.json, in place, keeping everything else."""
    entries = json.loads(SIZING.read_text(encoding="utf-8"))
    text = TEMPLATE.read_text(encoding="utf-8")
    for e in entries:
        key, value = e["ParameterKey"], str(e["ParameterValue"])
        rx = re.compile(r"(^  " + re.escape(key) + r":\n(?:    .*\n)*?    Default: )(.*)$", re.M)
        text, n = rx.subn(lambda m: m.group(1) + value, text, count=1)
        if n != 1:
            print(f"parameter {key} with a Default not found in {TEMPLATE.name}")
            return 1
        print(f"{key}: {value}")
    TEMPLATE.write_text(text, encoding="utf-8")
    return 0


def main(argv):
    if len(argv) > 1 and argv[1] == "--sync-sizing":
        return sync_sizing()
    if len(argv) > 1:
        return rules_only(argv[1])
    run = Runner()
    t = load(TEMPLATE)
    results = run_rules(t)
    for name, fn in RULES.items():
        def passes(vs=results[name]):
            assert not vs, "; ".join(vs)
            return fn.title
        run.check(f"rule {name}", passes)

    run.check("contract env vars (crates/imgkit-lambda/src/settings.rs ENV_VARS)", lambda: contract_env_vars(t))
    run.check("contract sizing defaults (deploy/sizing-params.json)", lambda: contract_sizing(t))
    run.check("contract dashboard metrics (crates/imgkit-lambda/src/metrics.rs EMF)", lambda: contract_dashboard_metrics(t))
    run.check("contract UploadEventRule pattern (substituted) matches sample events", lambda: contract_event_pattern(t))

    broken = run_rules(load(BROKEN))
    for name in RULES:
        def fires(vs=broken[name]):
            assert vs, "did not fire on the broken fixture"
            return vs[0]
        run.check(f"broken fixture fires {name}", fires)

    # The contract checks catch what they exist for.
    def must_fail(check, *args):
        try:
            check(*args)
        except AssertionError as e:
            return str(e)
        raise AssertionError("passed")

    def with_env(name, value):
        m = copy.deepcopy(t)
        variables = _fn(m)["Environment"]["Variables"]
        if value is None:
            variables.pop(name)
        else:
            variables[name] = value
        return m

    if SETTINGS_RS.exists():
        run.check("contract env vars catches an unknown variable",
                  lambda: must_fail(contract_env_vars, with_env("IMGKIT_THUMB_SIZE", "200")))
        run.check("contract env vars catches a missing required variable",
                  lambda: must_fail(contract_env_vars, with_env("IMGKIT_RENDITIONS", None)))
    sized = {k: str(_param(t, k)["Default"]) for k in SIZING_KEYS}
    run.check("contract sizing catches a default that differs",
              lambda: must_fail(check_sizing_values, t, dict(sized, MemorySize=str(int(sized["MemorySize"]) + 64))))
    run.check("contract sizing catches visibility < 6 x timeout",
              lambda: must_fail(check_sizing_values, t, dict(sized, VisibilityTimeout=str(5 * int(sized["Timeout"])))))
    run.check("contract sizing catches memory over 10,240 MB",
              lambda: must_fail(check_sizing_values, t, dict(sized, MemorySize="12288")))

    def pattern_with(key, value):
        m = copy.deepcopy(t)
        obj = _created(m)["detail"]["object"]
        if value is None:
            obj.pop(key)
        else:
            obj[key] = value
        return m

    def scan_pattern_with(mutate):
        m = copy.deepcopy(t)
        mutate(_scan(m))
        return m
    run.check("contract pattern catches a size filter",
              lambda: must_fail(contract_event_pattern, pattern_with("size", [{"numeric": [">", 0, "<=", 33554432]}])))
    run.check("contract pattern catches a missing key filter", lambda: must_fail(contract_event_pattern, pattern_with("key", None)))
    run.check("contract pattern catches a suffix filter",
              lambda: must_fail(contract_event_pattern, pattern_with("key", [{"wildcard": {"Fn::Sub": "${UploadPrefix}*.jpg"}}])))
    run.check("contract pattern catches a scan branch that drops THREATS_FOUND",
              lambda: must_fail(contract_event_pattern, scan_pattern_with(
                  lambda p: _set(p["detail"], "scanResultDetails", {"scanResultStatus": ["NO_THREATS_FOUND"]}))))
    run.check("contract pattern catches a scan branch that drops skipped scans",
              lambda: must_fail(contract_event_pattern, scan_pattern_with(lambda p: _set(p["detail"], "scanStatus", ["COMPLETED"]))))
    run.check("contract pattern catches a scan branch from any plan",
              lambda: must_fail(contract_event_pattern, scan_pattern_with(lambda p: p.pop("resources"))))
    run.check("contract pattern catches a scan branch from any bucket",
              lambda: must_fail(contract_event_pattern, scan_pattern_with(lambda p: p["detail"]["s3ObjectDetails"].pop("bucketName"))))

    covered = {r for r, _, _ in MUTATIONS}
    run.check("every rule has a mutation", lambda: None if covered == set(RULES) else (_ for _ in ()).throw(
        AssertionError(f"no mutation for {sorted(set(RULES) - covered)}")))
    for name, label, mutate in MUTATIONS:
        def fires(name=name, mutate=mutate):
            m = copy.deepcopy(t)
            mutate(m)
            vs = RULES[name](m)
            assert vs, "did not fire"
            return vs[0]
        run.check(f"mutation {name}: {label}", fires)

    print(f"{run.passed} passed, {run.failed} failed")
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

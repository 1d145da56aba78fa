#!/usr/bin/env python3
"""Content-aware cover crops (issue 27): where imgkit's `focus=attention` and `focus=entropy` put a
square crop of each photo, against sharp's strategies of the same names, and what choosing costs.

For every JPEG and PNG in IMAGES, both tools make a SIZE x SIZE cover thumbnail with each strategy:
imgkit through its CLI (`imgkit resize --report`, whose entries carry the crop box in source pixels
and the focus time), sharp through sharp_focus.js (its reported crop offset, turned into source
pixels). For each photo and strategy the table gives both boxes and their overlap (intersection over
union, IoU); the centred crop's overlap with sharp's attention crop is the baseline a strategy has to
beat. Times: imgkit's focus step (median of RUNS runs) beside its resize and decode of the same
thumbnail, and sharp's whole call (decode, strategy, resize).

Run through run.sh (`FOCUS=1 IMAGES=DIR bash benches/compare/run.sh`), which builds the CLI and
installs sharp. Writes focus.md to --results-dir.
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
STRATEGIES = ["attention", "entropy"]


def imgkit_crops(imgkit, path, size, runs):
    """Per strategy (and `center`): the crop box, and median ms of focus, decode and resize."""
    specs = {s: f"{s}={size}x{size},cover,png,focus={s}" for s in STRATEGIES + ["center"]}
    samples = {s: [] for s in specs}
    boxes = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            for name, spec in specs.items():
                report = os.path.join(tmp, "r.json")
                subprocess.run(
                    [imgkit, "resize", "--quiet", "--force", "-j", "1", "-o", os.path.join(tmp, "out"),
                     "--report", report, "-r", spec, path],
                    check=True,
                )
                with open(report) as f:
                    entry = json.load(f)["files"][0]
                out = entry["outputs"][0]
                boxes[name] = out["crop"]
                t = out["timings_ms"]
                samples[name].append((t["focus"], t["decode"], t["resize"]))
    times = {
        name: tuple(statistics.median(x[i] for x in rows) for i in range(3))
        for name, rows in samples.items()
    }
    return boxes, times


def sharp_crops(node_modules, path, size):
    env = dict(os.environ, NODE_PATH=node_modules, UV_THREADPOOL_SIZE="1")
    line = subprocess.run(
        ["node", os.path.join(HERE, "sharp_focus.js"), path, str(size)] + STRATEGIES,
        check=True, capture_output=True, text=True, env=env,
    ).stdout.strip().splitlines()[-1]
    info = json.loads(line)
    w, h = info["width"], info["height"]
    scale = max(size / w, size / h)
    side = size / scale
    boxes = {}
    for s in STRATEGIES:
        # sharp gives the offset in pixels of the image scaled to cover the box (negative: a shift).
        left, top = abs(info[s]["left"]) / scale, abs(info[s]["top"]) / scale
        boxes[s] = ([round(left), round(top), round(min(side, w)), round(min(side, h))], info[s]["ms"])
    return boxes


def iou(a, b):
    ax1, ay1, ax2, ay2 = a[0], a[1], a[0] + a[2], a[1] + a[3]
    bx1, by1, bx2, by2 = b[0], b[1], b[0] + b[2], b[1] + b[3]
    iw, ih = max(0, min(ax2, bx2) - max(ax1, bx1)), max(0, min(ay2, by2) - max(ay1, by1))
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--imgkit", required=True)
    p.add_argument("--node-modules", required=True)
    p.add_argument("--images", required=True)
    p.add_argument("--results-dir", required=True)
    p.add_argument("--size", type=int, default=200)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()

    photos = sorted(
        f for f in os.listdir(args.images) if f.lower().endswith((".jpg", ".jpeg", ".png"))
    )
    rows, overlaps = [], {s: [] for s in STRATEGIES + ["center"]}
    for name in photos:
        path = os.path.join(args.images, name)
        ours, times = imgkit_crops(args.imgkit, path, args.size, args.runs)
        theirs = sharp_crops(args.node_modules, path, args.size)
        centre = iou(ours["center"], theirs["attention"][0])
        overlaps["center"].append(centre)
        for s in STRATEGIES:
            o = iou(ours[s], theirs[s][0])
            overlaps[s].append(o)
            focus_ms, decode_ms, resize_ms = times[s]
            rows.append(
                f"| {name} | {s} | {ours[s]} | {theirs[s][0]} | {o:.2f} | {centre:.2f} | "
                f"{focus_ms:.1f} | {decode_ms:.1f} | {resize_ms:.1f} | {theirs[s][1]:.0f} |"
            )
        print(rows[-2] + "\n" + rows[-1], flush=True)

    lines = [
        f"# Cover crops by content: imgkit against sharp ({args.size}x{args.size}, `FOCUS=1 bash run.sh`)",
        "",
        "Boxes are `[left, top, width, height]` in pixels of the displayed source. IoU: the overlap of",
        "imgkit's box with sharp's for the same strategy; centre IoU: the centred crop against sharp's",
        "attention crop, the baseline. imgkit's focus, decode and resize are the medians of "
        f"{args.runs} runs (ms, one thread); sharp's is its whole call.",
        "",
        "| photo | strategy | imgkit box | sharp box | IoU | centre IoU | focus ms | decode ms | resize ms | sharp ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Mean IoU with sharp: "
        + ", ".join(f"{s} {statistics.mean(v):.2f}" for s, v in overlaps.items() if v)
        + " (center: the centred crop against sharp's attention).",
        "",
    ]
    with open(os.path.join(args.results_dir, "focus.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines[-3:]))


if __name__ == "__main__":
    main()

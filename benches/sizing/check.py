#!/usr/bin/env python3
"""How far `imgkit sizing` predicts the peak memory of real photos, each left out of its own calibration.

For every JPEG in DIR: the workload is that photo's size, `--samples` a folder of the *other* JPEGs
(sizing measures the largest of them), and the prediction (the peak per image the model uses) is
compared with the photo itself measured by the same pipeline in a fresh process (`--calibrate-one`,
the process's VmHWM above its start plus the sandbox child's). Also printed: the prediction without
samples (generated images only).

    python3 benches/sizing/check.py ../shared/bench-images [IMGKIT_BINARY]
"""
import json
import os
import re
import subprocess
import sys
import tempfile

RENDITIONS = ["thumb=200x200,cover,webp,focus=attention", "medium=800w,inside,jpeg:82"]  # the template's default


def jpeg_size(path):
    out = subprocess.run([BIN, "probe", path], capture_output=True, text=True, check=True).stdout
    m = re.search(r"(\d+)x(\d+)", out)
    return int(m.group(1)), int(m.group(2))


def sizing(width, height, samples):
    cmd = [BIN, "sizing", "--format", "jpeg", "--json", "--no-check",
           "--max-megapixels", f"{width * height / 1e6:.4f}", "--aspect", f"{width}:{height}"]
    for r in RENDITIONS:
        cmd += ["-r", r]
    if samples:
        cmd += ["--samples", samples]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)}: {out.stderr}")
    return json.loads(out.stdout)["peak_mb_per_image"]


def measured(path):
    cmd = [BIN, "sizing", "--calibrate-one", path, "--iterations", "3"]
    for r in RENDITIONS:
        cmd += ["--rendition", r]
    line = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    f = dict(kv.split("=", 1) for kv in line.split()[1:])
    return (int(f["hwm_end_kib"]) - int(f["hwm_start_kib"]) + int(f["child_hwm_kib"])) / 1024


def main():
    global BIN
    folder = sys.argv[1]
    BIN = sys.argv[2] if len(sys.argv) > 2 else "target/release/imgkit"
    photos = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith((".jpg", ".jpeg")))
    print("| photo | size | measured MB | predicted, generated only | error | predicted with --samples (others) | error |")
    print("|---|---|---:|---:|---:|---:|---:|")
    worst = 0.0
    for photo in photos:
        w, h = jpeg_size(photo)
        with tempfile.TemporaryDirectory() as others:
            for p in photos:
                if p != photo:
                    os.symlink(os.path.abspath(p), os.path.join(others, os.path.basename(p)))
            calibrated = sizing(w, h, others)
        generated = sizing(w, h, None)
        real = measured(photo)
        err = calibrated / real - 1
        worst = max(worst, abs(err))
        print(f"| {os.path.basename(photo)} | {w}x{h} | {real:.1f} | {generated:.1f} | {generated / real - 1:+.0%} "
              f"| {calibrated:.1f} | {err:+.0%} |")
    print(f"\nworst error with --samples: {worst:.0%}")


if __name__ == "__main__":
    main()

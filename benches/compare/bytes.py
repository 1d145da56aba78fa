#!/usr/bin/env python3
"""Bytes against perceptual score, encoder by encoder (issue 25): what each JPEG, WebP and AVIF encoder
needs to reach a score, and how long it takes.

For every JPEG in IMAGES, the exact thumbnail (full-size decode, Lanczos3, WIDTH px wide) is encoded by
every encoder at every quality in QUALITIES, from the same pixels; each output is scored by SSIMULACRA2
against the thumbnail (`bytes-runner score`; AVIF decoded by Pillow's libavif). From those points:

- bytes at equal score: each encoder's bytes interpolated at the score sharp's default JPEG (q80)
  reaches on that photo, as a ratio to sharp-with-mozjpeg's and to sharp's default, geometric mean
  over the photos;
- encode time: the median milliseconds of one encoding at the quality nearest that score, one CPU;
- default qualities: for each of imgkit's formats, the lowest quality whose score reaches that of
  sharp's default output of the format (JPEG q80, WebP q80, AVIF q50) on every photo, and its bytes
  against sharp's default;
- a plot of bytes against score (all photos' bytes summed, scores averaged, per quality).

Run through run.sh (`BYTES=1 IMAGES=DIR bash benches/compare/run.sh`), which builds the runners and
installs sharp, Pillow and matplotlib. Writes bytes.md and bytes.png to --results-dir.
"""

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time

from compare import run_worker, write_exact

HERE = os.path.dirname(os.path.abspath(__file__))
QUALITIES = list(range(40, 96, 5))
# imgkit's own formats are also encoded at every quality where their default is looked for.
FINE = {"imgkit-jpeg": range(76, 93), "imgkit-webp": range(70, 90), "imgkit-avif": range(40, 76)}
# (name, how it runs, what it is): imgkit's encoders and its JPEG candidates through bytes-runner, the
# peers' through sharp_encode.js and Pillow in this process.
IMGKIT = ["imgkit-jpeg", "imgkit-webp", "imgkit-avif", "jpeg-encoder", "mozjpeg-trellis", "mozjpeg-max"]
SHARP = {"jpeg": "sharp-jpeg", "jpegmoz": "sharp-mozjpeg", "webp": "sharp-webp", "avif": "sharp-avif"}
PILLOW = ["pillow-jpeg"]
ITERS = 5
# The peers' defaults each of imgkit's formats must reach the score of: (imgkit's, peer's, quality).
DEFAULTS = [("imgkit-jpeg", "sharp-jpeg", 80), ("imgkit-webp", "sharp-webp", 80), ("imgkit-avif", "sharp-avif", 50)]


def format_of(name):
    return "avif" if name.endswith("avif") else "webp" if name.endswith("webp") else "jpeg"


def extension(name):
    return {"jpeg": "jpg"}.get(format_of(name), format_of(name))


def pinned(cmd):
    """`cmd` on one CPU, as compare.py runs its workers (CPU=N, default 0; CPU= unpins)."""
    cpu = os.environ.get("CPU", "0")
    return (["taskset", "-c", cpu] if cpu and shutil.which("taskset") else []) + cmd


def encode_all(opts, ref, prefix):
    """Every encoder at every quality on the pixels of `ref`: a list of point dicts."""
    points = []
    for enc in IMGKIT:
        for q in sorted(set(QUALITIES) | set(FINE.get(enc, []))):
            out = "%s-%s-%d.%s" % (prefix, enc, q, extension(enc))
            cmd = pinned([opts.bytes_runner, "encode", ref, enc, str(q), str(ITERS), out])
            done = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
            points.append(dict(done, path=out))
    jobs = ["%s:%d" % (kind, q) for kind in SHARP for q in QUALITIES]
    env = dict(os.environ, NODE_PATH=opts.node_modules)
    cmd = pinned(["node", os.path.join(HERE, "sharp_encode.js"), ref, prefix, str(ITERS)] + jobs)
    lines = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout.splitlines()
    for line in lines:
        done = json.loads(line)
        points.append(dict(done, path="%s-%s-%d.%s" % (prefix, done["encoder"], done["quality"],
                                                         extension(done["encoder"]))))
    from PIL import Image
    pixels = Image.open(ref).convert("RGB")
    pixels.load()
    for q in QUALITIES:
        out = "%s-pillow-jpeg-%d.jpg" % (prefix, q)
        times = []
        for _ in range(ITERS):
            start = time.perf_counter()
            pixels.save(out, quality=q)  # Pillow's defaults: libjpeg-turbo, 4:2:0, standard Huffman codes
            times.append((time.perf_counter() - start) * 1e3)
        points.append({"encoder": "pillow-jpeg", "quality": q, "bytes": os.path.getsize(out),
                       "encode_ms": statistics.median(times), "path": out})
    return points


def score_all(opts, ref, points):
    from PIL import Image
    paths = []
    for p in points:
        path = p["path"]
        if path.endswith(".avif"):  # scored through Pillow's libavif decode
            Image.open(path).convert("RGB").save(path + ".png")
            path += ".png"
        paths.append(path)
    out = subprocess.run([opts.bytes_runner, "score", ref] + paths, check=True, capture_output=True,
                         text=True).stdout.splitlines()
    for p, line in zip(points, out):
        p["score"] = float(line.split("\t")[1])


def bytes_at(points, score):
    """Bytes interpolated at `score` between an encoder's qualities (None outside its range)."""
    pts = sorted((p["score"], p["bytes"]) for p in points)
    for (s0, b0), (s1, b1) in zip(pts, pts[1:]):
        if s0 <= score <= s1 and s1 > s0:
            return b0 + (b1 - b0) * (score - s0) / (s1 - s0)
    return None


def geomean(values):
    values = [v for v in values if v]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", required=True)
    ap.add_argument("--bytes-runner", required=True)
    ap.add_argument("--node-modules", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--results-dir", required=True)
    ap.add_argument("--width", type=int, default=400)
    opts = ap.parse_args()
    opts.venv_python = sys.executable
    os.makedirs(opts.out_dir, exist_ok=True)
    photos = sorted(os.path.join(opts.images, f) for f in os.listdir(opts.images)
                    if f.lower().endswith((".jpg", ".jpeg")))
    by_photo = {}
    for path in photos:
        name = os.path.basename(path)
        prefix = os.path.join(opts.out_dir, name)
        size = run_worker("imgkit", ["%d:png" % opts.width, path, "1", "0", prefix], opts)["outputs"][0]
        ref = "%s-exact.png" % prefix
        write_exact(opts.runner, path, size, ref)
        points = encode_all(opts, ref, prefix)
        score_all(opts, ref, points)
        by_photo[name] = points
        print("%s: %d encodings scored" % (name, len(points)), file=sys.stderr, flush=True)
    with open(os.path.join(opts.results_dir, "bytes.json"), "w") as f:
        json.dump(by_photo, f)
    report(by_photo, opts)


def report(by_photo, opts):
    encoders = IMGKIT + list(SHARP.values()) + PILLOW
    series = lambda points, enc: [p for p in points if p["encoder"] == enc]
    lines = ["# Bytes at equal SSIMULACRA2, %d px thumbnails of %d photos" % (opts.width, len(by_photo)), "",
             "Every encoder gets the same pixels (the exact thumbnail); scores are SSIMULACRA2 against them. "
             "Bytes are interpolated at the score sharp's default JPEG (q80) reaches on each photo; ratios "
             "are geometric means over the photos. Encode time: median of %d encodings at the quality "
             "nearest that score, one CPU." % ITERS, "",
             "| encoder | bytes vs sharp mozjpeg | bytes vs sharp default | encode ms (median over photos) | photos in range |",
             "|---|---:|---:|---:|---:|"]
    for enc in encoders:
        ratios_moz, ratios_def, times, n = [], [], [], 0
        for points in by_photo.values():
            target = next(p["score"] for p in points if p["encoder"] == "sharp-jpeg" and p["quality"] == 80)
            mine = bytes_at(series(points, enc), target)
            moz = bytes_at(series(points, "sharp-mozjpeg"), target)
            default = bytes_at(series(points, "sharp-jpeg"), target)
            if mine:
                n += 1
                ratios_moz.append(mine / moz if moz else None)
                ratios_def.append(mine / default if default else None)
            nearest = min(series(points, enc), key=lambda p: abs(p["score"] - target))
            times.append(nearest["encode_ms"])
        lines.append("| %s | %.3f | %.3f | %.2f | %d |" % (enc, geomean(ratios_moz), geomean(ratios_def),
                                                           statistics.median(times), n))
    lines += ["", "## Default qualities by score", "",
              "The lowest quality whose score reaches that of the peer's default output on every photo.", "",
              "| imgkit format | peer default | peer score (min/median) | imgkit quality | imgkit score at it (min/median) | bytes vs peer (geomean) |",
              "|---|---|---|---:|---|---:|"]
    for mine, peer, peer_q in DEFAULTS:
        peer_points = {name: next(p for p in pts if p["encoder"] == peer and p["quality"] == peer_q)
                       for name, pts in by_photo.items()}
        chosen = None
        for q in sorted(set(QUALITIES) | set(FINE[mine])):
            ok = all(next(p for p in pts if p["encoder"] == mine and p["quality"] == q)["score"]
                     >= peer_points[name]["score"] for name, pts in by_photo.items())
            if ok:
                chosen = q
                break
        peer_scores = [p["score"] for p in peer_points.values()]
        if chosen is None:
            lines.append("| %s | %s q%d | %.1f/%.1f | none up to %d | | |" % (
                mine, peer, peer_q, min(peer_scores), statistics.median(peer_scores), QUALITIES[-1]))
            continue
        at = {name: next(p for p in pts if p["encoder"] == mine and p["quality"] == chosen)
              for name, pts in by_photo.items()}
        scores = [p["score"] for p in at.values()]
        ratio = geomean([at[n]["bytes"] / peer_points[n]["bytes"] for n in at])
        lines.append("| %s | %s q%d | %.1f/%.1f | %d | %.1f/%.1f | %.3f |" % (
            mine, peer, peer_q, min(peer_scores), statistics.median(peer_scores), chosen, min(scores),
            statistics.median(scores), ratio))
    text = "\n".join(lines) + "\n"
    print(text)
    with open(os.path.join(opts.results_dir, "bytes.md"), "w") as f:
        f.write(text)
    plot(by_photo, encoders, os.path.join(opts.results_dir, "bytes.png"))


def plot(by_photo, encoders, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5))
    for ax, kind in zip(axes, ["jpeg", "other"]):
        for enc in encoders:
            if (format_of(enc) == "jpeg") != (kind == "jpeg"):
                continue
            xs, ys = [], []
            for q in QUALITIES:
                pts = [next(p for p in points if p["encoder"] == enc and p["quality"] == q)
                       for points in by_photo.values()]
                xs.append(statistics.mean(p["score"] for p in pts))
                ys.append(sum(p["bytes"] for p in pts) / 1000)
            style = "-" if enc.startswith("imgkit") else "--" if enc.startswith("sharp") else ":"
            ax.plot(xs, ys, style, marker="o", markersize=3, label=enc)
        ax.set_xlabel("SSIMULACRA2 against the exact thumbnail (mean over photos)")
        ax.set_ylabel("KB, all photos")
        ax.set_title("JPEG encoders" if kind == "jpeg" else "WebP and AVIF")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Bytes against score, quality %d-%d, %d photos" % (QUALITIES[0], QUALITIES[-1], len(by_photo)))
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main()

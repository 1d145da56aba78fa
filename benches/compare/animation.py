#!/usr/bin/env python3
"""Animated GIF -> animated WebP (issue 27): imgkit against sharp (`animated: true`) and Pillow, with
fidelity against frame-by-frame exact thumbnails.

For each canvas size (480x360, 640x480 and 800x600 by default; --sizes) this builds a deterministic FRAMES-frame
animated GIF from a real photo (the first JPEG of --images, sorted): a 4:3 window pans and zooms
across the photo; frames 60-79 hold the window still while a 2x-magnified inset slides across it (so
Pillow's GIF writer stores those frames as sub-rectangles, unchanged pixels transparent); delays cycle
40/80/120 ms; loops forever; every frame quantised by Pillow to its own palette (256 colours,
Floyd-Steinberg; the held frames share one 255-colour palette, undithered). The GIF and every output
go to a temporary directory (KEEP=1 keeps it and prints where). A photographic 800x600 GIF of 100
frames is about 39 MB, over imgkit's default input limit (32 MiB, which the CLI cannot change): imgkit's
row then says it refused the file and the peers are measured alone.

The job, "GIF -> WIDTH px wide animated WebP at QUALITY, every frame", is timed for:
- imgkit: its CLI, `imgkit resize -W WIDTH --format webp -q QUALITY -j 1 --report ...`, one process per
  run: the wall time of the process, and the in-process sum of the report's timings_ms;
- sharp: sharp_animation.js (`sharp(bytes, {animated: true}).resize({width, kernel: 'lanczos3'})
  .webp({quality})`), in process;
- Pillow: pillow_animation.py (every frame to RGBA, resize LANCZOS, save_all as WebP with the source's
  durations and loop), in process, with Pillow's defaults (method 0 for an animation), and again as
  `pillow-m4` with method 4, the effort the other two use.
ROUNDS rounds (default 3) alternate the tools (the first tool rotates round by round); in each round a
tool does WARMUP untimed (default 1) and ITERS timed (default 5) runs. The median is the median of
the round medians. Every worker is pinned to CPU (default 0) with taskset.

Then each output is checked (frame count, every frame's duration and the loop count read back with
Pillow against the GIF's, size WIDTH x h), a fresh process per tool does the job once for the peak RSS
(VmHWM as each process reports it: the summary of imgkit's --report, the workers' own; the runtime
alone beside it), and fidelity is measured: every
composited GIF frame (Pillow, RGB PNG) gets its exact thumbnail (`compare-runner exact W H`: full-size
decode, Lanczos3) at the output's size, and each output frame i (decoded by Pillow, RGB PNG) is
compared with exact frame i (`compare-runner psnr`): the mean and the minimum over frames. The
outputs are lossy WebP q82, so the PSNR includes the encoder; the peers' lossless encodes and imgkit's
first-frame PNG (imgkit's PNG rendition is still-only) separate the resize from the encoder.

Run through run.sh (`ANIMATION=1 IMAGES=DIR bash benches/compare/run.sh`). Writes animation.md to
--results-dir. Needs Pillow (run.sh runs it with the venv's python).
"""

import argparse
import datetime
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from PIL import Image, ImageOps

from compare import machine  # the same machine line as the timing table

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = ["imgkit", "sharp", "pillow", "pillow-m4"]
DELAYS_MS = (40, 80, 120)
HOLD = (60, 80)  # frames [60, 80) hold the window; only the inset moves


# --- the input -------------------------------------------------------------------------------------

def first_jpeg(folder):
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith((".jpg", ".jpeg")))
    if not names:
        sys.exit("animation.py: no JPEG in %s" % folder)
    return os.path.join(folder, names[0])


def window(photo, size, t):
    """The box (left, top, right, bottom) of the photo shown at time t in [0, 1]: a size-shaped window
    zooming from 1x to 2.5x and back while its centre pans."""
    pw, ph = photo.size
    aspect = size[0] / size[1]
    base_w = min(pw * 0.9, ph * 0.9 * aspect)
    zoom = 1 + 1.5 * (1 - math.cos(2 * math.pi * t)) / 2
    ww = base_w / zoom
    wh = ww / aspect
    cx = pw / 2 + (pw - ww) / 2 * 0.85 * math.sin(2 * math.pi * t)
    cy = ph / 2 + (ph - wh) / 2 * 0.85 * math.sin(4 * math.pi * t + 0.5)
    return (cx - ww / 2, cy - wh / 2, cx + ww / 2, cy + wh / 2)


def build_gif(photo_path, size, frames, path):
    """Writes the animated GIF; returns the RGB frames it was made to show (after quantisation)."""
    photo = ImageOps.exif_transpose(Image.open(photo_path)).convert("RGB")
    photo.info = {}  # no EXIF or ICC profile carried into the GIF: its pixels are all there is
    # Enough resolution that even the most zoomed window is still downscaled to the canvas.
    if photo.width > 4 * size[0]:
        photo = photo.resize((4 * size[0], round(photo.height * 4 * size[0] / photo.width)), Image.LANCZOS)
    w, h = size
    side = h // 3
    held_palette = None
    quantised = []
    for i in range(frames):
        t = i / frames
        if HOLD[0] <= i < HOLD[1]:
            rgb = photo.resize(size, Image.LANCZOS, box=window(photo, size, HOLD[0] / frames))
            # The inset: a 2x view of the photo's centre, sliding from top left to bottom right.
            k = (i - HOLD[0]) / (HOLD[1] - HOLD[0] - 1)
            cx, cy = photo.width / 2, photo.height / 2
            span = side * photo.width / (2 * w * 2.5)
            inset = photo.resize((side, side), Image.LANCZOS,
                                 box=(cx - span, cy - span, cx + span, cy + span))
            rgb.paste(inset, (round(8 + k * (w - side - 16)), round(8 + k * (h - side - 16))))
            if held_palette is None:
                # 255 colours: one index is left for Pillow's writer to mark unchanged pixels transparent.
                held_palette = rgb.quantize(255)
            p = rgb.quantize(palette=held_palette, dither=Image.Dither.NONE)
        else:
            rgb = photo.resize(size, Image.LANCZOS, box=window(photo, size, t))
            p = rgb.quantize(palette=rgb.quantize(256), dither=Image.Dither.FLOYDSTEINBERG)
        quantised.append(p)
    durations = [DELAYS_MS[i % len(DELAYS_MS)] for i in range(frames)]
    quantised[0].save(path, save_all=True, append_images=quantised[1:], duration=durations, loop=0,
                      optimize=True)
    return [q.convert("RGB") for q in quantised], durations


def read_animation(path):
    """Frames, per-frame durations, loop count, size and (GIF) frame rectangles as Pillow reads them."""
    im = Image.open(path)
    n = getattr(im, "n_frames", 1)
    durations, partial, transparent = [], 0, 0
    for i in range(n):
        im.seek(i)
        im.load()  # WebP: the frame's duration is set when it is loaded
        durations.append(im.info.get("duration", 0))
        extent = getattr(im, "dispose_extent", None)
        if extent is not None and tuple(extent) != (0, 0, im.width, im.height):
            partial += 1
        # Pillow keeps a GIF frame's transparent index here (info drops it once frames are RGB).
        if i and getattr(im, "_frame_transparency", None) is not None:
            transparent += 1
    return {"frames": n, "durations": durations, "loop": im.info.get("loop"), "size": im.size,
            "partial": partial, "transparent": transparent, "format": im.format}


def save_frames(path, folder):
    """Every frame of the animation at `path`, composited, as RGB PNG: folder/000.png, ..."""
    os.makedirs(folder, exist_ok=True)
    im = Image.open(path)
    out = []
    for i in range(getattr(im, "n_frames", 1)):
        im.seek(i)
        name = os.path.join(folder, "%03d.png" % i)
        im.convert("RGB").save(name, compress_level=1)
        out.append(name)
    return out


# --- running the tools -----------------------------------------------------------------------------

def pinned(cmd):
    cpu = os.environ.get("CPU", "0")
    if cpu and shutil.which("taskset"):
        return ["taskset", "-c", cpu] + cmd
    return cmd


def run(cmd, env=None):
    """Runs cmd; returns (stdout, wall ms)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    wall = (time.perf_counter() - start) * 1e3
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), proc.returncode, proc.stderr[-2000:]))
    return proc.stdout, wall


def peer_json(cmd, env):
    return json.loads(run(cmd, env)[0].strip().splitlines()[-1])


class Tools:
    def __init__(self, opts, width, quality):
        self.opts = opts
        self.width = width
        self.quality = quality
        self.node_env = dict(os.environ, NODE_PATH=opts.node_modules, UV_THREADPOOL_SIZE="1")

    def imgkit_cmd(self, gif, outdir, report, fmt="webp"):
        cmd = [self.opts.imgkit, "resize", "-W", str(self.width), "--format", fmt, "-o", outdir,
               "--report", report, "-j", "1", "--force", "--quiet"]
        if fmt == "webp":
            cmd[6:6] = ["-q", str(self.quality)]
        return pinned(cmd + [gif])

    def peer_cmd(self, tool, gif, iters, warmup, out, quality=None):
        quality = str(quality or self.quality)
        if tool == "sharp":
            return pinned(["node", os.path.join(HERE, "sharp_animation.js"), gif, str(self.width), quality,
                           str(iters), str(warmup), out])
        cmd = [self.opts.venv_python, os.path.join(HERE, "pillow_animation.py"), gif, str(self.width), quality,
               str(iters), str(warmup), out]
        if tool == "pillow-m4":
            cmd.append("4")
        return pinned(cmd)

    def imgkit_once(self, gif, tmp, fmt="webp"):
        """One CLI run: (wall ms, the report's output entry, the CLI's own peak RSS in KiB)."""
        outdir = os.path.join(tmp, "imgkit-out")
        report = os.path.join(tmp, "imgkit-report.json")
        _, wall = run(self.imgkit_cmd(gif, outdir, report, fmt))
        with open(report) as f:
            report = json.load(f)
        entry = report["files"][0]
        if entry["outcome"] != "processed":
            raise RuntimeError("imgkit: %s" % json.dumps(entry))
        return wall, entry["outputs"][0], (report["summary"].get("peak_rss_bytes") or 0) // 1024

    def batch(self, tool, gif, iters, warmup, tmp):
        """One round of one tool: its timed runs, in ms (imgkit: wall and in-process), and its output."""
        out = os.path.join(tmp, "%s.webp" % tool)
        if tool == "imgkit":
            for _ in range(warmup):
                self.imgkit_once(gif, tmp)
            walls, inproc, stages = [], [], []
            for _ in range(iters):
                wall, entry, _ = self.imgkit_once(gif, tmp)
                walls.append(wall)
                t = entry["timings_ms"]
                inproc.append(sum(t.values()))
                stages.append(t)
            shutil.copyfile(entry["path"], out)
            return {"times": walls, "inproc": inproc, "stages": stages, "entry": entry, "out": out}
        info = peer_json(self.peer_cmd(tool, gif, iters, warmup, out), self.node_env)
        return {"times": info["times_ms"], "inproc": info["times_ms"], "info": info, "out": out}

    def rss(self, tool, gif, tmp):
        """Peak RSS (KiB, VmHWM as each process reports it) of a fresh process doing the job once, and
        of the runtime alone: imgkit's CLI on a 16x16 PNG; node with sharp loaded, python with Pillow
        imported, neither reading the input."""
        if tool == "imgkit":
            _, _, rss = self.imgkit_once(gif, tmp)
            tiny = os.path.join(tmp, "tiny", "tiny.png")
            os.makedirs(os.path.dirname(tiny), exist_ok=True)
            Image.new("RGB", (16, 16), (120, 140, 160)).save(tiny)
            _, _, idle = self.imgkit_once(tiny, tmp, fmt="png")
            return rss, idle
        rss = peer_json(self.peer_cmd(tool, gif, 1, 0, "-"), self.node_env)["vmhwm_kb"]
        idle = peer_json(self.peer_cmd(tool, gif, 0, 0, "-"), self.node_env)["vmhwm_kb"]
        return rss, idle


# --- fidelity --------------------------------------------------------------------------------------

def exact_frames(runner, refs, size, folder):
    os.makedirs(folder, exist_ok=True)
    out = []
    for i, ref in enumerate(refs):
        name = os.path.join(folder, "%03d.png" % i)
        subprocess.run([runner, "exact", str(size[0]), str(size[1]), ref, name], check=True,
                       capture_output=True)
        out.append(name)
    return out


def psnr(runner, exact, png):
    return float(subprocess.run([runner, "psnr", exact, png], check=True, capture_output=True,
                                text=True).stdout.strip())


def fidelity(runner, exacts, frames):
    """PSNR of each output frame against the exact frame of the same index: (mean, min, worst index)."""
    dbs = [psnr(runner, e, f) for e, f in zip(exacts, frames)]
    if not dbs:
        return None
    worst = min(range(len(dbs)), key=dbs.__getitem__)
    return statistics.mean(dbs), dbs[worst], worst


# --- the report ------------------------------------------------------------------------------------

def fmt_db(v):
    return "-" if v is None else ("inf" if math.isinf(v) else "%.2f" % v)


def run_case(opts, photo, size, tmp, rounds, iters, warmup):
    tools = Tools(opts, opts.width, opts.quality)
    name = "anim-%dx%d.gif" % size
    gif = os.path.join(tmp, name)
    intended, durations = build_gif(photo, size, opts.frames, gif)
    src = read_animation(gif)
    refs = save_frames(gif, os.path.join(tmp, "ref"))
    problems = []
    if src["frames"] != opts.frames or src["durations"] != durations or src["loop"] != 0:
        problems.append("the GIF does not read back as written: %d frames, loop %s, durations %s"
                        % (src["frames"], src["loop"], src["durations"]))
    mismatched = [i for i, (a, r) in enumerate(zip(intended, refs))
                  if a.tobytes() != Image.open(r).convert("RGB").tobytes()]
    if mismatched:
        problems.append("Pillow's composited GIF frames differ from the intended ones at %s" % mismatched[:10])
    gif_info = "%s: %dx%d, %d frames (%d stored as sub-rectangles, %d with transparent unchanged pixels), " \
               "delays %s ms cycling, loop forever, %.1f KB" % (
                   name, size[0], size[1], src["frames"], src["partial"], src["transparent"],
                   "/".join(map(str, DELAYS_MS)), os.path.getsize(gif) / 1000)
    print("==> " + gif_info, file=sys.stderr)

    # A tool that refuses the input (imgkit's default limits, e.g. 32 MiB of input) gets a row saying so.
    refused = {}
    try:
        tools.imgkit_once(gif, tmp)
    except RuntimeError as e:
        refused["imgkit"] = str(e).rsplit(": ", 1)[-1].strip()
        print("==> %s imgkit REFUSES it: %s" % (name, refused["imgkit"]), file=sys.stderr)
    present = [t for t in TOOLS if t not in refused]
    runs = {t: [] for t in present}
    for r in range(rounds):
        order = present[r % len(present):] + present[:r % len(present)]
        for tool in order:
            b = tools.batch(tool, gif, iters, warmup, tmp)
            runs[tool].append(b)
            print("==> %s round %d %-9s median %8.1f ms%s" % (
                name, r + 1, tool, statistics.median(b["times"]),
                "  (in process %.1f ms)" % statistics.median(b["inproc"]) if tool == "imgkit" else ""),
                file=sys.stderr)

    rows = {}
    for tool in present:
        last = runs[tool][-1]
        got = read_animation(last["out"])
        rss, idle = tools.rss(tool, gif, tmp)
        row = {
            "median": statistics.median(statistics.median(b["times"]) for b in runs[tool]),
            "min": min(min(b["times"]) for b in runs[tool]),
            "inproc": statistics.median(statistics.median(b["inproc"]) for b in runs[tool]),
            "rounds": [statistics.median(b["times"]) for b in runs[tool]],
            "frames": got["frames"],
            "frames_ok": got["frames"] == src["frames"],
            "delays_ok": got["durations"] == src["durations"],
            "loop": got["loop"],
            "size": got["size"],
            "size_ok": got["size"][0] == opts.width and got["size"][1] == round(size[1] * opts.width / size[0]),
            "bytes": os.path.getsize(last["out"]),
            "rss": rss,
            "idle": idle,
        }
        if tool == "imgkit":
            e = last["entry"]
            row["reported"] = (e.get("frames"), e.get("width"), e.get("height"))
            row["stages"] = {k: statistics.median(t[k] for b in runs[tool] for t in b["stages"])
                             for k in last["stages"][0]}
        else:
            row["version"] = last["info"]["version"]
        if not row["delays_ok"]:
            diff = [(i, a, b) for i, (a, b) in enumerate(zip(src["durations"], got["durations"])) if a != b]
            problems.append("%s changes delays: %d frames differ, e.g. (frame, GIF ms, WebP ms) %s"
                            % (tool, len(diff) + abs(len(src["durations"]) - len(got["durations"])), diff[:5]))
        if not row["frames_ok"]:
            problems.append("%s writes %d frames, the GIF has %d" % (tool, got["frames"], src["frames"]))
        if row["loop"] != src["loop"]:
            problems.append("%s writes loop count %s, the GIF's is %s" % (tool, row["loop"], src["loop"]))
        rows[tool] = row
        print("==> %s %-9s median %8.1f ms  peak RSS %.1f MB (runtime alone %.1f MB)  frames %d  delays %s"
              % (name, tool, row["median"], rss / 1024, idle / 1024, got["frames"],
                 "ok" if row["delays_ok"] else "CHANGED"), file=sys.stderr)

    # Fidelity, frame by frame, against exact thumbnails of the composited GIF frames.
    exact_cache = {}

    def exacts_for(sz):
        if sz not in exact_cache:
            exact_cache[sz] = exact_frames(opts.runner, refs, sz, os.path.join(tmp, "exact-%dx%d" % sz))
        return exact_cache[sz]

    for tool in present:
        row = rows[tool]
        frames = save_frames(runs[tool][-1]["out"], os.path.join(tmp, "frames-" + tool))
        row["psnr"] = fidelity(opts.runner, exacts_for(row["size"]), frames[:len(refs)])
        row["psnr0"] = psnr(opts.runner, exacts_for(row["size"])[0], frames[0])
    lossless = {}
    for tool in ("sharp", "pillow"):
        out = os.path.join(tmp, "%s-lossless.webp" % tool)
        run(tools.peer_cmd(tool, gif, 1, 0, out, quality="lossless"), env=tools.node_env)
        got = read_animation(out)
        frames = save_frames(out, os.path.join(tmp, "frames-%s-lossless" % tool))
        ex = exacts_for(got["size"])
        lossless[tool] = fidelity(opts.runner, ex, frames[:len(refs)]) + (psnr(opts.runner, ex[0], frames[0]),
                                                                         os.path.getsize(out))
    if "imgkit" in present:
        _, still, _ = tools.imgkit_once(gif, tmp, fmt="png")
        lossless["imgkit"] = (None, None, None,
                              psnr(opts.runner, exacts_for((still["width"], still["height"]))[0], still["path"]),
                              still["bytes"])
    for tool in present:
        m = rows[tool]["psnr"]
        print("==> %s %-9s PSNR mean %s min %s (frame %d)" % (name, tool, fmt_db(m[0]), fmt_db(m[1]), m[2]),
              file=sys.stderr)
    return {"name": name, "size": size, "gif_info": gif_info, "rows": rows, "lossless": lossless,
            "problems": problems, "refused": refused}


def render(opts, photo, cases, started, header, rounds, iters, warmup):
    lines = [
        "# Animated GIF -> animated WebP: imgkit against sharp and Pillow (`ANIMATION=1 bash run.sh`)",
        "",
        "%s; %s." % (started.strftime("%Y-%m-%d %H:%M"), header),
    ]
    versions = {}
    for case in cases:
        for tool, row in case["rows"].items():
            if "version" in row:
                versions.setdefault(tool.split("-")[0], row["version"])
    lines += [
        "Versions: imgkit %s (its CLI; libwebp 1.3.1 through libwebp-sys 0.9.6, GIF decode by the `gif` crate "
        "through `image`); sharp %s; Pillow %s." % (opts.imgkit_version, versions.get("sharp", "?"),
                                                     versions.get("pillow", "?")),
        "",
        "Reproduce: `%s bash benches/compare/run.sh` (knobs: `ROUNDS`, `ITERS`, `WARMUP`, `FRAMES`, `CPU`, "
        "`KEEP=1`; `IMGKIT_CLI=PATH` takes that CLI instead of building it)." % " ".join(
            ["ANIMATION=1"] + ["%s=%s" % (k, os.environ[k]) for k in ("ROUNDS", "ITERS", "WARMUP", "FRAMES", "CPU")
                               if k in os.environ]
            + ["IMAGES=%s" % opts.images] + (["IMGKIT_CLI=%s" % opts.imgkit] if os.environ.get("IMGKIT_CLI") else [])),
        "",
        "The job: every frame of a %d-frame animated GIF -> %d px wide animated WebP, quality %d, delays and loop "
        "count kept. The GIFs are built from `%s`: a 4:3 window pans and zooms across the photo (each frame "
        "quantised by Pillow to its own 256-colour palette, Floyd-Steinberg); frames %d-%d hold the window while a "
        "2x inset slides across it (one shared 255-colour palette, so Pillow's writer stores them as "
        "sub-rectangles with unchanged pixels transparent); delays cycle %s ms; loop forever."
        % (opts.frames, opts.width, opts.quality, os.path.basename(photo), HOLD[0], HOLD[1] - 1,
           "/".join(map(str, DELAYS_MS))),
        "",
        "Same settings: one CPU (every process pinned with `taskset -c %s`), one thread (imgkit `-j 1`; "
        "`sharp.concurrency(1)`, `UV_THREADPOOL_SIZE=1`, cache off; Pillow is single-threaded), Lanczos3, width "
        "only. Encoder effort: imgkit and sharp use libwebp's default method 4; Pillow's animated save defaults to "
        "method 0 (its still save to 4) and a keyframe every 3-5 frames, so `pillow-m4` repeats Pillow's job "
        "with `method=4`." % os.environ.get("CPU", "0"),
        "",
        "Timing: %d rounds that alternate the tools (the first one rotates), in each %d warm-up and %d timed "
        "runs per tool; median = median of the round medians. imgkit's median is the wall time of one CLI "
        "process per run (start-up, reading the GIF, writing the WebP and the report included); its in-process "
        "column is the sum of the report's `timings_ms` (probe, decode of every frame with compositing, resize "
        "and encode summed over frames, placeholder, focus). sharp and Pillow are timed in process, input bytes "
        "already in memory, so imgkit's wall time carries costs theirs do not. Ratio: median / sharp's median "
        "(imgkit: wall, and in-process in brackets)." % (rounds, warmup, iters),
        "",
        "Checks, read back with Pillow: frame count, each frame's duration and the loop count against the "
        "GIF's, size. Peak RSS: VmHWM of a fresh process doing the job once (interpreter or runtime and the "
        "input's bytes included; imgkit's from its report's `peak_rss_bytes`, the workers' from /proc/self/status); "
        "beside it that of the runtime alone (imgkit's CLI on a 16x16 PNG; node with sharp loaded; python with "
        "Pillow imported).",
        "",
        "Fidelity: each composited GIF frame (Pillow, RGB) gets its exact thumbnail at the output's size "
        "(`compare-runner exact W H`: imgkit's Lanczos3 from the full frame, the reference the other modes use; "
        "it is imgkit's resampler, so it favours imgkit slightly), and output frame i (decoded by Pillow) is "
        "compared with exact frame i (`compare-runner psnr`, RGB). **The outputs are lossy WebP q%d, so these "
        "PSNRs include the encoder** (and its keyframe and sub-frame choices), not only the resize. To separate "
        "the two, the lossless column gives frame 0 without lossy encoding: the peers' animations written "
        "lossless, and for imgkit its PNG rendition, which is still-only (the first frame): imgkit cannot write "
        "a lossless animation, so its all-frames lossless figure is missing." % opts.quality,
        "",
    ]
    for case in cases:
        rows = case["rows"]
        base = rows["sharp"]
        lines += [
            "## %s" % case["gif_info"],
            "",
            "| tool | median ms | ratio to sharp | imgkit in-process ms | min ms | frames ok | delays ok | loop | "
            "size | PSNR mean dB | PSNR min dB (frame) | frame 0 dB (lossy / lossless) | peak RSS MB "
            "(runtime alone) | output bytes |",
            "|---|---:|---:|---:|---:|---|---|---|---|---:|---:|---:|---:|---:|",
        ]
        for tool in TOOLS:
            if tool in case["refused"]:
                lines.append("| %s | **refused**: %s | | | | | | | | | | | | |" % (tool, case["refused"][tool]))
                continue
            r = rows[tool]
            ratio = "%.2f" % (r["median"] / base["median"])
            if tool == "imgkit":
                ratio += " (%.2f)" % (r["inproc"] / base["median"])
            ll = case["lossless"].get(tool.split("-")[0] if tool != "pillow-m4" else "")
            lossless0 = fmt_db(ll[3]) if ll else "-"
            p = r["psnr"]
            lines.append(
                "| %s | %.1f | %s | %s | %.1f | %s (%d) | %s | %s | %dx%d | %s | %s (%d) | %s / %s | %.1f (%.1f) | %d |"
                % (tool, r["median"], ratio, "%.1f" % r["inproc"] if tool == "imgkit" else "-", r["min"],
                   "yes" if r["frames_ok"] else "**no**", r["frames"], "yes" if r["delays_ok"] else "**no**",
                   "forever" if r["loop"] == 0 else r["loop"], r["size"][0], r["size"][1],
                   fmt_db(p[0]), fmt_db(p[1]), p[2], fmt_db(r["psnr0"]), lossless0,
                   r["rss"] / 1024, r["idle"] / 1024, r["bytes"]))
        lines.append("")
        if "imgkit" in rows:
            k = rows["imgkit"]
            lines += [
                "imgkit's stages (median ms of every timed run): %s; the report says %s frames, %sx%s."
                % (", ".join("%s %.1f" % (s, v) for s, v in k["stages"].items()), *k["reported"]),
                "",
            ]
        lines += [
            "Round medians, ms: %s."
            % "; ".join("%s %s" % (t, " ".join("%.0f" % v for v in rows[t]["rounds"])) for t in TOOLS if t in rows),
            "",
            "Lossless, all frames (peers): %s."
            % "; ".join("%s mean %s dB, min %s dB (frame %d), %d bytes" % (t, fmt_db(v[0]), fmt_db(v[1]), v[2], v[4])
                        for t, v in case["lossless"].items() if v[0] is not None),
            "",
        ]
        if case["problems"]:
            lines += ["Problems:", ""] + ["- " + p for p in case["problems"]] + [""]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--imgkit", required=True)
    p.add_argument("--runner", required=True)
    p.add_argument("--node-modules", required=True)
    p.add_argument("--venv-python", required=True)
    p.add_argument("--images", required=True)
    p.add_argument("--results-dir", required=True)
    p.add_argument("--sizes", default="480x360,640x480,800x600")
    p.add_argument("--width", type=int, default=200)
    p.add_argument("--quality", type=int, default=82)
    opts = p.parse_args()
    opts.frames = int(os.environ.get("FRAMES", "100"))
    rounds = max(1, int(os.environ.get("ROUNDS", "3")))
    iters = max(1, int(os.environ.get("ITERS", "5")))
    warmup = int(os.environ.get("WARMUP", "1"))
    opts.imgkit_version = subprocess.run([opts.imgkit, "--version"], capture_output=True, text=True
                                         ).stdout.strip().split()[-1]
    started = datetime.datetime.now()
    header = machine()
    photo = first_jpeg(opts.images)
    sizes = [tuple(int(x) for x in s.split("x")) for s in opts.sizes.split(",")]

    tmp = tempfile.mkdtemp(prefix="imgkit-animation-")
    try:
        cases = []
        for size in sizes:
            case_dir = os.path.join(tmp, "%dx%d" % size)
            os.makedirs(case_dir)
            cases.append(run_case(opts, photo, size, case_dir, rounds, iters, warmup))
    finally:
        if os.environ.get("KEEP"):
            print("==> kept %s" % tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    text = render(opts, photo, cases, started, header, rounds, iters, warmup)
    with open(os.path.join(opts.results_dir, "animation.md"), "w") as f:
        f.write(text)
    print(text)
    return 1 if any(c["problems"] for c in cases) else 0


if __name__ == "__main__":
    sys.exit(main())

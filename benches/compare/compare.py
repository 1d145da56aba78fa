"""Runs the comparison jobs for every tool and prints the markdown table (called by run.sh).

Standard library only. Per tool and job: one process doing WARMUP untimed and ITERS timed iterations in
process (median and minimum ms), then one fresh process doing the job once (peak RSS, VmHWM).
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Specs as the workers take them: WIDTH:jpeg:QUALITY or WIDTH:png.
THUMB = ("400:jpeg:80", "400w JPEG q80")
RENDITIONS = ("1600:jpeg:80,800:jpeg:80,200:jpeg:80", "1600w + 800w + 200w JPEG q80")
PNG_JOBS = [("png-png", "1024:png", "1024w PNG"), ("png-jpeg", "1024:jpeg:80", "1024w JPEG q80")]
TOOLS = ["sharp", "pyvips", "pillow", "imgkit"]


def plan_jobs(folder):
    """(id, input path, specs, what) for every job: a 400 px thumbnail of every JPEG, HEIC and AVIF, the
    three renditions of the largest baseline JPEG, and the PNG jobs on the largest PNG."""
    files = sorted(os.path.join(folder, n) for n in os.listdir(folder))
    files = [f for f in files if os.path.isfile(f)]
    jpegs = [f for f in files if f.lower().endswith((".jpg", ".jpeg"))]
    pngs = sorted((f for f in files if f.lower().endswith(".png")), key=os.path.getsize)
    baseline = sorted((f for f in jpegs if "progressive" not in os.path.basename(f)), key=os.path.getsize)
    jobs = []
    for f in jpegs:
        name = os.path.splitext(os.path.basename(f))[0]
        jobs.append(("%s-400" % name, f) + THUMB)
    for f in files:
        if f.lower().endswith((".heic", ".heif", ".avif")):
            name = os.path.basename(f).replace(".", "-")
            jobs.append(("%s-400" % name, f) + THUMB)
    if baseline:
        jobs.append(("%s-3x" % os.path.splitext(os.path.basename(baseline[-1]))[0], baseline[-1]) + RENDITIONS)
    if pngs:
        jobs += [(job_id, pngs[-1], specs, what) for job_id, specs, what in PNG_JOBS]
    return jobs


def command(tool, args, opts):
    if tool == "imgkit":
        cmd = [opts.runner, "run"]
    elif tool == "sharp":
        cmd = ["node", os.path.join(HERE, "sharp_worker.js")]
    else:
        cmd = [opts.venv_python, os.path.join(HERE, "py_worker.py"), tool]
    cmd += args
    # Pinned to one CPU by default: "one thread" is not enough, as jpeg-decoder (imgkit's scaled JPEG
    # decode) starts its own IDCT threads and the peers keep helper threads too. CPU= (empty) unpins.
    cpu = os.environ.get("CPU", "0")
    if cpu and shutil.which("taskset"):
        cmd = ["taskset", "-c", cpu] + cmd
    return cmd


def run_worker(tool, args, opts):
    env = dict(os.environ, NODE_PATH=opts.node_modules)
    proc = subprocess.run(
        command(tool, args, opts), env=env, capture_output=True, text=True, timeout=900
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[-2000:] or "exit status %d" % proc.returncode)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def fmt_ms(v):
    return "%.1f" % v


def fmt_ratio(v, base):
    return "%.2f" % (v / base) if base else "-"


def fmt_kb(n):
    return "%.1f KB" % (n / 1000) if n < 10_000_000 else "%.2f MB" % (n / 1e6)


def outputs_text(outputs):
    return " + ".join("%dx%d %s" % (o["w"], o["h"], fmt_kb(o["bytes"])) for o in outputs)


def machine():
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = "%.2f %.2f %.2f" % os.getloadavg() if hasattr(os, "getloadavg") else "?"
    return "%s, %d CPUs, load average %s at start" % (model, os.cpu_count() or 0, load)


def write_exact(runner, path, out, exact):
    """The exact rendition of `path` at the size of `out` (full-size decode, Lanczos3), as PNG `exact`."""
    subprocess.run([runner, "exact", str(out["w"]), str(out["h"]), path, exact], check=True,
                   capture_output=True)


def psnr(runner, exact, png):
    """PSNR in dB of PNG `png` against PNG `exact`."""
    return float(subprocess.run([runner, "psnr", exact, png], check=True, capture_output=True,
                                text=True).stdout.strip())


def measure_fidelity(job_id, path, specs, results, opts, folder, attempt):
    """Per tool, the lowest PSNR over the job's renditions (run again with PNG output) against the exact
    rendition of the same size."""
    png_specs = ",".join("%s:png" % s.split(":")[0] for s in specs.split(","))
    fidelity = {}
    for tool in TOOLS:
        if not results.get(tool):
            continue
        prefix = os.path.join(folder, "%s-%s" % (job_id, tool))
        done = attempt(tool, [png_specs, path, "1", "0", prefix])
        if done is None:
            continue
        worst = None
        for out in done["outputs"]:
            ours = "%s-%d.png" % (prefix, out["w"])
            exact = "%s-exact-%dx%d.png" % (prefix, out["w"], out["h"])
            write_exact(opts.runner, path, out, exact)
            db = psnr(opts.runner, exact, ours)
            worst = db if worst is None else min(worst, db)
        fidelity[tool] = worst
    return fidelity


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", required=True)
    ap.add_argument("--node-modules", required=True)
    ap.add_argument("--venv-python", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--results", required=True)
    opts = ap.parse_args()
    iters = int(os.environ.get("ITERS", "10"))
    rounds = max(1, int(os.environ.get("ROUNDS", "3")))
    warmup = int(os.environ.get("WARMUP", "3"))
    started = datetime.datetime.now()
    header = machine()

    jobs = plan_jobs(opts.images)
    os.makedirs(opts.out_dir, exist_ok=True)
    fidelity_dir = os.path.join(opts.out_dir, "fidelity")
    os.makedirs(fidelity_dir, exist_ok=True)
    rows = []  # (job label, tool, timed result or error, rss result or error, fidelity dB or None)
    versions = {}
    problems, notes = [], []
    for job_id, path, specs, what in jobs:
        label = None
        results = {}
        # Rounds alternate the tools, so a slow spell on a shared machine hits every tool, not one.
        timings = {tool: [] for tool in TOOLS}
        failed = set()

        def attempt(tool, args):
            try:
                return run_worker(tool, args, opts)
            except (RuntimeError, subprocess.TimeoutExpired, ValueError, IndexError) as e:
                problems.append("%s / %s failed: %s" % (job_id, tool, e))
                print("==> %s / %s FAILED: %s" % (job_id, tool, e), file=sys.stderr)
                failed.add(tool)
                return None

        for _ in range(rounds):
            for tool in TOOLS:
                if tool not in failed:
                    prefix = os.path.join(opts.out_dir, "%s-%s" % (job_id, tool))
                    timed = attempt(tool, [specs, path, str(iters), str(warmup), prefix])
                    if timed is not None:
                        timings[tool].append(timed)
        for tool in TOOLS:
            once = None if tool in failed else attempt(tool, [specs, path, "1", "0", "-"])
            if once is None:
                results[tool] = None
                continue
            runs = timings[tool]
            timed = dict(runs[-1])
            timed["median_ms"] = statistics.median(r["median_ms"] for r in runs)
            timed["min_ms"] = min(r["min_ms"] for r in runs)
            versions[tool] = timed["version"]
            if label is None:
                w, h = timed["input"]["w"], timed["input"]["h"]
                ext = os.path.splitext(path)[1].lstrip(".").upper().replace("JPG", "JPEG")
                label = "%s %s %dx%d (%.1f MP) -> %s" % (
                    os.path.basename(path), ext, w, h, w * h / 1e6, what)
            results[tool] = (timed, once)
            print(
                "==> %-14s %-6s median %8.1f ms  min %8.1f ms  peak RSS %6.1f MB  (round medians %s)"
                % (job_id, tool, timed["median_ms"], timed["min_ms"], once["vmhwm_kb"] / 1024,
                   " ".join("%.1f" % r["median_ms"] for r in runs)),
                file=sys.stderr,
            )
        fidelity = measure_fidelity(job_id, path, specs, results, opts, fidelity_dir, attempt)
        dims = {
            tool: [(o["w"], o["h"]) for o in r[0]["outputs"]] for tool, r in results.items() if r
        }
        if len(set(map(tuple, dims.values()))) > 1:
            # One pixel is a rounding convention (sharp and pyvips round 7 MP -> 400 to 310 rows where
            # imgkit and Pillow give 311); more means a tool did another job.
            first = next(iter(dims.values()))
            apart = max(abs(a - b) for sizes in dims.values() for x, y in zip(sizes, first)
                        for a, b in zip(x, y))
            (problems if apart > 1 else notes).append(
                "%s: output sizes differ between tools: %s" % (job_id, dims))
        rows.append((label or job_id, results, fidelity))

    lines = [
        "# imgkit vs sharp, pyvips, Pillow",
        "",
        "%s; %s." % (started.strftime("%Y-%m-%d %H:%M"), header),
        "Versions: %s."
        % ", ".join("%s %s" % (t, versions[t]) for t in TOOLS if t in versions),
        "Inputs: %s."
        % ", ".join(
            "%s (%s)" % (os.path.basename(p), fmt_kb(os.path.getsize(p)))
            for p in sorted(set(j[1] for j in jobs))
        ),
        ("Every worker pinned to CPU %s, " % os.environ.get("CPU", "0")
         if os.environ.get("CPU", "0") and shutil.which("taskset") else "Workers not pinned, ")
        + "one thread per tool where it has the setting, Lanczos3, aspect ratio kept, JPEG q80 4:2:0 (no optimised Huffman tables),"
        " PNG at zlib level %s for the peers (imgkit: its fast deflate); JPEG shrink-on-load as each tool"
        " does by default (sharp's fastShrinkOnLoad; pyvips thumbnail and Pillow draft leaving >= 2x the"
        " target; imgkit's measured rule)." % os.environ.get("PNG_COMPRESSION", "6"),
        "%d rounds that alternate the tools; in each, %d in-process iterations after %d warm-up. Median is the"
        " median of the round medians, min the fastest iteration; peak RSS (VmHWM) of a fresh process"
        " doing the job once, interpreter included. Ratios are tool / sharp: below 1 is faster or smaller."
        % (rounds, iters, warmup),
        "",
        "Fidelity: PSNR of each tool's rendition (the same job with PNG output, so encoding is not counted)"
        " against the exact rendition of the same size (imgkit with shrink-on-load off: full-size decode,"
        " Lanczos3), the lowest over the job's renditions.",
        "",
        "| job | tool | median ms | ratio to sharp | fidelity dB | peak RSS MB | RSS ratio to sharp | min ms | output |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, results, fidelity in rows:
        base = results.get("sharp")
        for tool in TOOLS:
            r = results.get(tool)
            if not r:
                lines.append("| %s | %s | failed | | | | | | |" % (label, tool))
                continue
            timed, once = r
            db = fidelity.get(tool)
            lines.append(
                "| %s | %s | %s | %s | %s | %.1f | %s | %s | %s |"
                % (
                    label,
                    tool,
                    fmt_ms(timed["median_ms"]),
                    fmt_ratio(timed["median_ms"], base and base[0]["median_ms"]),
                    "%.1f" % db if db is not None else "-",
                    once["vmhwm_kb"] / 1024,
                    fmt_ratio(once["vmhwm_kb"], base and base[1]["vmhwm_kb"]),
                    fmt_ms(timed["min_ms"]),
                    outputs_text(timed["outputs"]),
                )
            )
    if notes:
        lines += ["", "Rounding (one pixel, not a failure):"] + ["- " + n for n in notes]
    if problems:
        lines += ["", "Problems:"] + ["- " + p for p in problems]
    lines += ["", "Outputs of the last timed iteration: %s" % opts.out_dir]
    text = "\n".join(lines) + "\n"
    print(text)
    with open(opts.results, "w") as f:
        f.write(text)
    print("==> saved %s" % opts.results, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

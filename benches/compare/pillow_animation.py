"""Pillow's side of the animation comparison (animation.py): every frame of an animated GIF to an
animated WebP WIDTH px wide (LANCZOS), with the source's per-frame durations and loop count.

    python pillow_animation.py INPUT WIDTH QUALITY|lossless ITERS WARMUP OUT|- [METHOD]

The input bytes are read once; each iteration opens them, converts every frame (ImageSequence) to RGBA,
resizes it to WIDTH x round(h * WIDTH / w) with Image.LANCZOS, and writes all of them with
save_all=True as WebP (Pillow's defaults otherwise: for an animation method 0, libwebp's fastest, where
a still gets 4; keyframes every 3 to 5 frames for lossy output, gif2webp's kmin 3 / kmax 5). METHOD
0-6 sets the method instead (animation.py's `pillow-m4` row: 4, the effort sharp and imgkit use).
Timed in process after WARMUP untimed iterations; Pillow is single-threaded. ITERS=0 only imports
Pillow (the interpreter's own RSS). Prints one JSON line; the output of the last
iteration is written to OUT unless it is "-".
"""

import io
import json
import sys
import time

import PIL
from PIL import GifImagePlugin, Image, ImageSequence, WebPImagePlugin, features  # noqa: F401

from py_worker import vmhwm_kb  # the peak RSS the other Python worker reports, read the same way


def job(data, width, quality, method):
    src = Image.open(io.BytesIO(data))
    frames, durations = [], []
    height = None
    for frame in ImageSequence.Iterator(src):
        if height is None:
            height = max(1, round(frame.height * width / frame.width))
        durations.append(frame.info.get("duration", 0))
        frames.append(frame.convert("RGBA").resize((width, height), Image.LANCZOS))
    loop = src.info.get("loop", 0)
    sink = io.BytesIO()
    options = {"lossless": True} if quality == "lossless" else {"quality": int(quality)}
    if method is not None:
        options["method"] = method
    frames[0].save(sink, "WEBP", save_all=True, append_images=frames[1:], duration=durations,
                   loop=loop, **options)
    return sink.getvalue(), width, height, len(frames)


def main():
    path, width, quality, iters, warmup, out = sys.argv[1:7]
    width, iters, warmup = int(width), int(iters), int(warmup)
    method = int(sys.argv[7]) if len(sys.argv) > 7 else None
    data = None
    if iters > 0:
        with open(path, "rb") as f:
            data = f.read()
    for _ in range(warmup):
        job(data, width, quality, method)
    times, last = [], None
    for _ in range(iters):
        start = time.perf_counter()
        last = job(data, width, quality, method)
        times.append((time.perf_counter() - start) * 1e3)
    if last and out != "-":
        with open(out, "wb") as f:
            f.write(last[0])
    print(json.dumps({
        "tool": "pillow",
        "version": "%s (libwebp %s)" % (PIL.__version__, features.version("webp")),
        "times_ms": times,
        "bytes": len(last[0]) if last else 0,
        "width": last[1] if last else 0,
        "height": last[2] if last else 0,
        "pages": last[3] if last else 0,
        "vmhwm_kb": vmhwm_kb(),
    }))


if __name__ == "__main__":
    main()

"""pyvips' and Pillow's side of the comparison (benches/compare/run.sh).

    python py_worker.py pyvips|pillow SPECS INPUT ITERS WARMUP OUT_PREFIX

Same arguments (after the tool) and JSON line as compare-runner. SPECS: comma-separated WIDTH:jpeg:QUALITY or
WIDTH:png. Each rendition is its own pipeline from the same input bytes. Lanczos3, aspect ratio kept, EXIF
orientation applied, metadata not kept, baseline 4:2:0 JPEG without optimised Huffman tables.

- pyvips: `thumbnail_buffer` (JPEG shrink-on-load leaving >= 2x the target, then Lanczos3), one thread
  with VIPS_CONCURRENCY=1 (set by run.sh before libvips starts), operation cache off.
- Pillow: `draft()` asks libjpeg for a DCT-scaled decode no smaller than 2x the target, then
  `resize(LANCZOS)`; Pillow is single-threaded.

Only the tool asked for is imported, so the peak RSS of a one-shot run is that tool's alone.
"""

import io
import os
import sys
import time

PNG_LEVEL = int(os.environ.get("PNG_COMPRESSION", "6"))


def parse_specs(text):
    specs = []
    for part in text.split(","):
        fields = part.split(":")
        quality = int(fields[2]) if len(fields) > 2 else 0
        specs.append((int(fields[0]), fields[1], quality))
    return specs


def make_pyvips():
    import pyvips

    pyvips.cache_set_max(0)  # no reuse of operations between iterations
    keep_none = pyvips.enums.ForeignKeep.NONE

    def pipeline(buf, spec):
        width, fmt, quality = spec
        # A huge height bound: only the width constrains, as in the other tools.
        im = pyvips.Image.thumbnail_buffer(buf, width, height=10_000_000)
        if fmt == "png":
            data = im.pngsave_buffer(compression=PNG_LEVEL, keep=keep_none)
        else:
            data = im.jpegsave_buffer(
                Q=quality, keep=keep_none, optimize_coding=False, subsample_mode="on"
            )
        return im.width, im.height, data

    def size(buf):
        im = pyvips.Image.new_from_buffer(buf, "")
        return im.width, im.height

    version = "%s (libvips %d.%d.%d)" % (
        pyvips.__version__,
        pyvips.version(0),
        pyvips.version(1),
        pyvips.version(2),
    )
    return pipeline, size, version


def make_pillow():
    import PIL
    from PIL import Image

    transposes = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }

    def pipeline(buf, spec):
        width, fmt, quality = spec
        im = Image.open(io.BytesIO(buf))
        orientation = im.getexif().get(0x0112, 1)
        stored_w, stored_h = im.size
        rotated = orientation in (5, 6, 7, 8)
        shown_w, shown_h = (stored_h, stored_w) if rotated else (stored_w, stored_h)
        tw, th = width, max(1, round(shown_h * width / shown_w))
        sw, sh = (th, tw) if rotated else (tw, th)  # the target before orientation
        if im.format == "JPEG":
            im.draft("RGB", (2 * sw, 2 * sh))  # shrink-on-load leaving >= 2x the target
        if im.mode != "RGB":
            im = im.convert("RGB")
        out = im.resize((sw, sh), Image.Resampling.LANCZOS)
        if orientation in transposes:
            out = out.transpose(transposes[orientation])
        sink = io.BytesIO()
        if fmt == "png":
            out.save(sink, "PNG", compress_level=PNG_LEVEL)
        else:
            out.save(sink, "JPEG", quality=quality, subsampling=2, optimize=False)
        return out.width, out.height, sink.getvalue()

    def size(buf):
        return Image.open(io.BytesIO(buf)).size

    return pipeline, size, PIL.__version__


def vmhwm_kb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main():
    tool, specs_arg, path, iters, warmup, out_prefix = sys.argv[1:7]
    pipeline, size, version = {"pyvips": make_pyvips, "pillow": make_pillow}[tool]()
    specs = parse_specs(specs_arg)
    with open(path, "rb") as f:
        buf = f.read()

    def job():
        return [pipeline(buf, spec) for spec in specs]

    for _ in range(int(warmup)):
        job()
    times = []
    outs = []
    for _ in range(max(1, int(iters))):
        start = time.perf_counter()
        outs = job()
        times.append((time.perf_counter() - start) * 1e3)
    if out_prefix != "-":
        for (w, _h, data), spec in zip(outs, specs):
            with open("%s-%d.%s" % (out_prefix, w, "png" if spec[1] == "png" else "jpg"), "wb") as f:
                f.write(data)
    times.sort()
    n = len(times)
    in_w, in_h = size(buf)
    import json

    print(
        json.dumps(
            {
                "tool": tool,
                "version": version,
                "input": {"w": in_w, "h": in_h},
                "iters": n,
                "median_ms": (times[(n - 1) // 2] + times[n // 2]) / 2,
                "min_ms": times[0],
                "outputs": [{"w": w, "h": h, "bytes": len(d)} for w, h, d in outs],
                "vmhwm_kb": vmhwm_kb(),
            }
        )
    )


if __name__ == "__main__":
    main()

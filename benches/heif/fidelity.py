#!/usr/bin/env python3
"""imgkit's HEIC/AVIF thumbnails against libheif's own decode, as a check of orientation and colour.

    python3 benches/heif/fidelity.py IMGKIT_BINARY FILE... [--width 400]

For each file: `imgkit resize` to WIDTH px PNG; libheif's `heif-convert` (which applies irot/imir itself)
to JPEG q97, its embedded ICC profile converted to sRGB by Pillow (ImageCms), resized to the same size
with Lanczos; prints the PSNR between the two and their mean RGB. Needs heif-convert (libheif-examples)
and Pillow. Not a test: a reading for the docs (README, "HEIC and AVIF input").
"""
import argparse
import glob
import io
import math
import os
import subprocess
import tempfile

from PIL import Image, ImageChops, ImageCms, ImageStat


def psnr(a, b):
    mse = sum(v * v for v in ImageStat.Stat(ImageChops.difference(a, b)).rms) / 3
    return float("inf") if mse == 0 else 10 * math.log10(255 * 255 / mse)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("imgkit")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--width", type=int, default=400)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for path in args.files:
            name = os.path.basename(path)
            out = os.path.join(tmp, "imgkit")
            run = subprocess.run([args.imgkit, "resize", "--quiet", "--width", str(args.width), "--format", "png",
                                  "-o", out, path], capture_output=True, text=True)
            if run.returncode != 0:
                print(f"{name}: imgkit refused it: {run.stderr.strip()}")
                continue
            ours = Image.open(os.path.join(out, name + ".png")).convert("RGB")
            ref_path = os.path.join(tmp, "ref.jpg")
            subprocess.run(["heif-convert", "-q", "97", path, ref_path], capture_output=True)
            # heif-convert numbers its outputs when a file has several top-level images.
            refs = [ref_path] if os.path.exists(ref_path) else sorted(glob.glob(os.path.join(tmp, "ref-*.jpg")))
            if not refs:
                print(f"{name}: heif-convert could not decode it")
                continue
            ref = Image.open(refs[0])
            icc = ref.info.get("icc_profile")
            if icc:
                ref = ImageCms.profileToProfile(ref, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                                ImageCms.createProfile("sRGB"), outputMode="RGB")
            ref = ref.convert("RGB").resize(ours.size, Image.LANCZOS)
            mean = lambda im: [round(v) for v in ImageStat.Stat(im).mean]
            print(f"{name}: {ours.size[0]}x{ours.size[1]}, ICC {'yes' if icc else 'no'}, "
                  f"PSNR {psnr(ours, ref):.1f} dB; mean RGB imgkit {mean(ours)}, libheif {mean(ref)}")
            for f in refs:
                os.remove(f)


if __name__ == "__main__":
    main()

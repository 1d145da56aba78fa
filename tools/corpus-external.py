"""Makes the JPEG files in corpus/external: progressive JPEGs written by libjpeg-turbo (through Pillow), an
encoder independent of ours, with libjpeg's default progressive script (spectral selection *and*
successive approximation), which no Rust encoder writes; and a baseline twin of each layout, written
with the same settings, so the same quantised coefficients in one sequential scan (libjpeg's forward
transform does not depend on the scan script): a decoder must give the twins the same pixels.

    python3 -m venv /tmp/pil && /tmp/pil/bin/pip install pillow==13.0.0
    /tmp/pil/bin/python tools/corpus-external.py

Pillow 13.0.0 bundles libjpeg-turbo; the files are committed, so the tests need neither. The source
picture is the generated corpus/valid/jpeg-320x200.jpg, cropped to odd sides.
"""
from pathlib import Path

from PIL import Image

here = Path(__file__).resolve().parent.parent / "corpus" / "external"
source = Image.open(here.parent / "valid" / "jpeg-320x200.jpg").convert("RGB").crop((0, 0, 317, 199))


def save(name, image, progressive=True, **options):
    image.save(here / name, "JPEG", quality=85, progressive=progressive, **options)


for layout, image, options in [
    ("420", source, {"subsampling": 2}),
    ("422", source, {"subsampling": 1}),
    ("444", source, {"subsampling": 0}),
    ("gray", source.convert("L"), {}),
]:
    save(f"jpeg-libjpeg-progressive-{layout}.jpg", image, **options)
    save(f"jpeg-libjpeg-baseline-{layout}.jpg", image, progressive=False, **options)
save("jpeg-libjpeg-progressive-420-restart.jpg", source, subsampling=2, restart_marker_blocks=3)
# Cut short in the middle of a refinement scan: libjpeg shows what the scans so far give.
whole = (here / "jpeg-libjpeg-progressive-420.jpg").read_bytes()
(here / "jpeg-libjpeg-progressive-420-truncated.jpg").write_bytes(whole[: len(whole) * 3 // 4])

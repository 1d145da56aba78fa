#!/usr/bin/env python3
"""Writes corpus/heif: HEIC and AVIF files (valid ones with every transform, a grid, alpha, an ICC
profile; hostile ones for the container walk and the sandbox) and their manifest.

    python3 tools/heif-corpus/generate.py corpus/heif

Needs heif-enc and heif-convert (Debian: libheif-examples; HEVC by x265, AV1 by aom) and Pillow. The
coded images come from heif-enc; the containers are written here, box by box, so that transforms,
grids and lies can be placed exactly. Every valid file is decoded by libheif's own heif-convert, which
applies the transforms itself, and must show the picture upright (red top-left, blue bottom-right):
that checks this script's reading of irot/imir against libheif's, before imgkit sees the file.
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

# Multiples of 64 both ways: x265 pads a coded image to its 64-pixel blocks, and only a grid or a
# crop would hide the padding.
W, H = 128, 64
RED, GREEN, YELLOW, BLUE = (220, 30, 30), (30, 200, 30), (230, 220, 40), (30, 30, 220)


def picture(w=W, h=H, alpha=False):
    """Quadrants red, green / yellow, blue, as rows of RGB(A) tuples."""
    rows = []
    for y in range(h):
        row = []
        for x in range(w):
            c = (RED if x < w // 2 else GREEN) if y < h // 2 else (YELLOW if x < w // 2 else BLUE)
            if alpha:
                c = c + ((255 if x < w // 2 else 96),)
            row.append(c)
        rows.append(row)
    return rows


def rotate_cw(p):
    return [list(r) for r in zip(*p[::-1])]


def rotate_ccw(p):
    return [list(r) for r in zip(*p)][::-1]


def flip_tb(p):
    return p[::-1]


def flip_lr(p):
    return [r[::-1] for r in p]


def write_png(path, p):
    h, w, n = len(p), len(p[0]), len(p[0][0])
    raw = b"".join(b"\0" + bytes(v for c in row for v in c) for row in p)
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 6 if n == 4 else 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# --- reading what heif-enc wrote ----------------------------------------------------------------------

def boxes(d):
    i = 0
    while i < len(d):
        size, kind = struct.unpack(">I4s", d[i:i + 8])
        yield kind, d[i + 8:i + size]
        i += size


def child(d, kind):
    return next(b for k, b in boxes(d) if k == kind)


class Coded:
    """One coded image of a heif-enc file: its config and other properties, and its data."""

    def __init__(self, config_kind, properties, data, alpha=None):
        self.config_kind, self.properties, self.data, self.alpha = config_kind, properties, data, alpha


def encode(p, av1=False, quality=90):
    with tempfile.TemporaryDirectory() as tmp:
        png, out = os.path.join(tmp, "in.png"), os.path.join(tmp, "out.heif")
        write_png(png, p)
        args = ["heif-enc", "-q", str(quality), "--no-thumb-alpha", "-o", out, png]
        if av1:
            args.insert(1, "-A")
        subprocess.run(args, check=True, capture_output=True)
        f = open(out, "rb").read()
    meta = child(f, b"meta")[4:]
    iloc = child(meta, b"iloc")
    version, sizes, base_sizes = iloc[0], iloc[4], iloc[5]
    assert version in (0, 1) and sizes == 0x44 and base_sizes in (0, 0x40), "heif-enc's iloc layout changed"
    (count,) = struct.unpack(">H", iloc[6:8])
    data, at = {}, 8
    for _ in range(count):
        (item,) = struct.unpack(">H", iloc[at:at + 2])
        at += 2
        method = 0
        if version == 1:
            (method,) = struct.unpack(">H", iloc[at:at + 2])
            at += 2
        at += 2  # data reference index
        base = 0
        if base_sizes:
            (base,) = struct.unpack(">I", iloc[at:at + 4])
            at += 4
        (extents,) = struct.unpack(">H", iloc[at:at + 2])
        at += 2
        parts = []
        for _ in range(extents):
            off, length = struct.unpack(">II", iloc[at:at + 8])
            at += 8
            source = f if method & 15 == 0 else child(meta, b"idat")
            parts.append(source[base + off:base + off + length])
        data[item] = b"".join(parts)
    iprp = child(meta, b"iprp")
    props = list(boxes(child(iprp, b"ipco")))
    ipma = child(iprp, b"ipma")
    flags = ipma[3]
    (n,) = struct.unpack(">I", ipma[4:8])
    assoc, at = {}, 8
    for _ in range(n):
        item, k = struct.unpack(">HB", ipma[at:at + 3])
        at += 3
        idx = []
        for _ in range(k):
            if flags & 1:
                (v,) = struct.unpack(">H", ipma[at:at + 2]); at += 2; idx.append(v & 0x7FFF)
            else:
                idx.append(ipma[at] & 0x7F); at += 1
        assoc[item] = [props[i - 1] for i in idx]
    (primary,) = struct.unpack(">H", child(meta, b"pitm")[4:6])
    # heif-enc 1.15 wraps an image in a 1x1 grid: the coded image is the grid's tile.
    kinds = {struct.unpack(">H", b[4:6])[0]: b[8:12] for k, b in boxes(child(meta, b"iinf")[6:])}
    refs = [(k, struct.unpack(">H", b[0:2])[0], struct.unpack(">H", b[4:6])[0])
            for k, b in boxes(child(meta, b"iref")[4:])] if any(k == b"iref" for k, _ in boxes(meta)) else []

    def tile(item):
        if kinds[item] == b"grid":
            return next(to for k, f, to in refs if k == b"dimg" and f == item)
        return item

    auxiliary = {f for k, f, to in refs if k == b"auxl"}
    alpha = None
    for item in auxiliary:
        t = tile(item)
        ps = assoc[t]
        cfg = next(k for k, _ in ps if k in (b"hvcC", b"av1C"))
        aux = [p for p in assoc[item] + ps if p[0] == b"auxC"][:1]
        alpha = Coded(cfg, [(k, b) for k, b in ps if k not in (b"ispe", b"auxC")] + aux, data[t])
    primary = tile(primary)
    ps = assoc[primary]
    cfg = next(k for k, _ in ps if k in (b"hvcC", b"av1C"))
    keep = [(k, b) for k, b in ps if k not in (b"ispe", b"colr")]
    return Coded(cfg, keep, data[primary], alpha)


# --- writing containers -------------------------------------------------------------------------------

def box(kind, body):
    return struct.pack(">I4s", 8 + len(body), kind) + body


def full(kind, version, flags, body):
    return box(kind, struct.pack(">I", version << 24 | flags) + body)


def ispe(w, h):
    return (b"ispe", struct.pack(">III", 0, w, h))


class Item:
    def __init__(self, kind, data, properties, hidden=False):
        self.kind, self.data, self.properties, self.hidden = kind, data, properties, hidden


def heif(brand, items, primary, refs=(), unused=()):
    """items: {id: Item}; refs: [(type, from, [to])]. Returns the file's bytes."""
    compatible = [brand, b"mif1", b"miaf"]
    ftyp = box(b"ftyp", brand + b"\0\0\0\0" + b"".join(compatible))
    properties, ipma_entries = [], []
    for item_id, item in items.items():
        indices = []
        for p in item.properties:
            if p not in properties:
                properties.append(p)
            essential = 0x80 if p[0] in (b"hvcC", b"av1C", b"irot", b"imir") else 0
            indices.append(essential | (properties.index(p) + 1))
        ipma_entries.append(struct.pack(">HB", item_id, len(indices)) + bytes(indices))
    ipco = box(b"ipco", b"".join(box(k, b) for k, b in properties + list(unused)))
    ipma = full(b"ipma", 0, 0, struct.pack(">I", len(ipma_entries)) + b"".join(ipma_entries))
    infes = b"".join(
        full(b"infe", 2, 1 if item.hidden else 0, struct.pack(">HH4s", item_id, 0, item.kind) + b"\0")
        for item_id, item in items.items()
    )
    iinf = full(b"iinf", 0, 0, struct.pack(">H", len(items)) + infes)
    iref = full(b"iref", 0, 0, b"".join(
        box(t, struct.pack(">HH", f, len(to)) + b"".join(struct.pack(">H", x) for x in to)) for t, f, to in refs
    )) if refs else b""
    hdlr = full(b"hdlr", 0, 0, b"\0\0\0\0pict" + b"\0" * 12 + b"\0")
    pitm = full(b"pitm", 0, 0, struct.pack(">H", primary))

    def iloc(base):
        body, at = struct.pack(">BBH", 0x44, 0x00, len(items)), base
        for item_id, item in items.items():
            body += struct.pack(">HHHII", item_id, 0, 1, at, len(item.data))
            at += len(item.data)
        return full(b"iloc", 0, 0, body)

    def meta(base):
        return full(b"meta", 0, 0, hdlr + pitm + iloc(base) + iinf + iref + box(b"iprp", ipco + ipma))

    head = ftyp + meta(0)
    base = len(head) + 8  # the mdat header
    head = ftyp + meta(base)
    mdat = box(b"mdat", b"".join(item.data for item in items.values()))
    return head + mdat


def single(coded, brand, w=W, h=H, transforms=(), icc=None, size=None):
    """A file whose primary item is one coded image; `transforms` are irot/imir property tuples."""
    props = [(coded.config_kind, dict(coded.properties)[coded.config_kind]), ispe(*(size or (w, h)))]
    props += [p for p in coded.properties if p[0] != coded.config_kind]
    if icc:
        props.append((b"colr", b"prof" + icc))
    props += list(transforms)
    kind = b"hvc1" if coded.config_kind == b"hvcC" else b"av01"
    items = {1: Item(kind, coded.data, props)}
    refs = []
    if coded.alpha:
        a = coded.alpha
        aprops = [(a.config_kind, dict(a.properties)[a.config_kind]), ispe(*(size or (w, h)))]
        aprops += [p for p in a.properties if p[0] != a.config_kind]
        items[2] = Item(kind, a.data, aprops, hidden=True)
        refs.append((b"auxl", 2, [1]))
    return heif(brand, items, 1, refs)


def grid(tiles, rows, cols, tile_w, tile_h, out_w, out_h, ispe_size=None):
    items = {1: Item(b"grid", struct.pack(">BBBBHH", 0, 0, rows - 1, cols - 1, out_w, out_h),
                     [ispe(*(ispe_size or (out_w, out_h)))])}
    for i, t in enumerate(tiles):
        props = [(t.config_kind, dict(t.properties)[t.config_kind]), ispe(tile_w, tile_h)]
        props += [p for p in t.properties if p[0] != t.config_kind]
        items[2 + i] = Item(b"hvc1", t.data, props, hidden=True)
    return heif(b"heic", items, 1, [(b"dimg", 1, list(range(2, 2 + len(tiles))))])


def irot(turns):
    return (b"irot", bytes([turns]))


def imir(axis):
    return (b"imir", bytes([axis]))


def upright(path):
    """Decodes with libheif's heif-convert (which applies the transforms) and checks the corners."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.jpg")
        subprocess.run(["heif-convert", "-q", "95", path, out], check=True, capture_output=True)
        img = Image.open(out).convert("RGB")
        w, h = img.size
        tl, br = img.getpixel((4, 4)), img.getpixel((w - 5, h - 5))
    assert tl[0] > 180 and tl[2] < 80 and br[2] > 180 and br[0] < 80, f"{path}: {tl} {br} not upright"
    return w, h


def thumb(w, h):
    """Size of a width-40 thumbnail (the manifest's rule: round, at least 1)."""
    if w <= 40:
        return w, h
    return 40, max(1, int(h * 40 / w + 0.5))


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rows = []

    def ok(name, data, fmt, note):
        path = os.path.join(out_dir, name)
        open(path, "wb").write(data)
        w, h = upright(path)
        rows.append((f"heif/{name}", "ok", fmt, f"{w}x{h}", "%dx%d" % thumb(w, h), note))

    def reject(name, data, kind, note):
        open(os.path.join(out_dir, name), "wb").write(data)
        rows.append((f"heif/{name}", "reject", kind, "-", "-", note))

    base = picture()
    hevc, av1 = encode(base), encode(base, av1=True)
    ok("heic-128x64.heic", single(hevc, b"heic"), "heic", "HEVC image, no transform, no profile (heif-enc, x265).")
    ok("avif-128x64.avif", single(av1, b"avif"), "avif", "AV1 image, no transform, no profile (heif-enc, aom).")
    ok("heic-alpha.heic", single(encode(picture(alpha=True)), b"heic"), "heic",
       "HEVC image with an alpha auxiliary image (right half translucent).")
    ok("avif-alpha.avif", single(encode(picture(alpha=True), av1=True), b"avif"), "avif",
       "AV1 image with an alpha auxiliary image (right half translucent).")

    # Each stores the picture transformed by the inverse of its display transform.
    inverse = {
        "irot1": ([irot(1)], rotate_cw),
        "irot2": ([irot(2)], lambda p: rotate_cw(rotate_cw(p))),
        "irot3": ([irot(3)], rotate_ccw),
        "imir0": ([imir(0)], flip_tb),
        "imir1": ([imir(1)], flip_lr),
        "irot1-imir0": ([irot(1), imir(0)], lambda p: rotate_cw(flip_tb(p))),
        "irot1-imir1": ([irot(1), imir(1)], lambda p: rotate_cw(flip_lr(p))),
        "irot3-imir0": ([irot(3), imir(0)], lambda p: rotate_ccw(flip_tb(p))),
    }
    for name, (transforms, inv) in inverse.items():
        stored = inv(base)
        sw, sh = len(stored[0]), len(stored)
        ok(f"heic-orientation-{name}.heic", single(encode(stored), b"heic", sw, sh, transforms), "heic",
           f"{' then '.join(f'{k.decode()} {v[0]}' for k, v in transforms)}: stored {sw}x{sh}, upright when "
           "the transforms are applied in order.")
    stored = rotate_cw(base)
    ok("avif-orientation-irot1.avif", single(encode(stored, av1=True), b"avif", H, W, [irot(1)]), "avif",
       "AV1 with irot 1 (a quarter turn anticlockwise for display).")

    icc = open(os.path.join(os.path.dirname(out_dir), "valid", "jpeg-icc-display-p3.jpg"), "rb").read()
    at = icc.index(b"ICC_PROFILE\0")
    (seg_len,) = struct.unpack(">H", icc[at - 2:at])
    profile = icc[at + 14:at - 2 + seg_len]
    assert profile[36:40] == b"acsp", "no ICC profile found in jpeg-icc-display-p3.jpg"
    ok("heic-icc-display-p3.heic", single(hevc, b"heic", icc=profile), "heic",
       "HEVC with a Display P3 ICC profile (colr prof), as iPhone photos have.")

    tiles = [encode([row[x:x + 64] for row in base]) for x in (0, 64)]
    ok("heic-grid-1x2.heic", grid(tiles, 1, 2, 64, 64, W, H), "heic",
       "1x2 grid of 64x64 HEVC tiles, as iPhone photos are (8x6 tiles of 512x512 there).")

    # Hostile.
    reject("heic-ispe-100000x100000.heic", single(hevc, b"heic", size=(100000, 100000)), "limit:max_width",
           "ispe claims 100000x100000 over a 128x64 stream; width is checked first, nothing is decoded.")
    reject("heic-ispe-9000x9000.heic", single(hevc, b"heic", size=(9000, 9000)), "limit:max_pixels",
           "ispe claims 9000x9000 (81 MP) over a 128x64 stream: within max_width, past max_pixels.")
    reject("heic-ispe-mismatch.heic", single(hevc, b"heic", size=(96, 64)), "malformed",
           "ispe says 96x64, the HEVC stream is 128x64: the sandboxed decoder refuses to answer other pixels.")
    reject("heic-grid-ispe-mismatch.heic", grid(tiles, 1, 2, 64, 64, W, H, ispe_size=(640, 480)), "malformed",
           "Grid whose output size (128x64) disagrees with its ispe (640x480).")
    reject("heic-grid-too-few-tiles.heic", grid(tiles[:1], 1, 2, 64, 64, W, H), "malformed",
           "1x2 grid with one tile.")
    flood = [tiles[0]] * 1100
    reject("heic-tile-flood.heic", grid(flood, 44, 25, 64, 64, 64 * 25, 64 * 44), "limit:max_chunks",
           "Grid of 44x25 = 1100 tiles (each an item and its boxes): the box count passes max_chunks.")
    good = single(hevc, b"heic")
    meta_at = good.index(b"meta") - 4
    lie = bytearray(good)
    lie[meta_at:meta_at + 4] = struct.pack(">I", 0x7FFFFFFF)
    reject("heic-box-size-lie.heic", bytes(lie), "malformed", "meta box claims 2 GiB in a file of 2 KB.")
    reject("heic-truncated.heic", good[: len(good) * 6 // 10], "malformed",
           "First 60% of a valid HEIC: cut inside the mdat box.")
    reject("heic-no-meta.heic", good[:good.index(b"meta") - 4] + box(b"free", b"\0" * 16), "malformed",
           "ftyp says heic, but there is no meta box at all.")
    noise = Coded(hevc.config_kind, hevc.properties, bytes((i * 73 + 41) % 251 for i in range(len(hevc.data))))
    reject("heic-garbage-stream.heic", single(noise, b"heic"), "malformed",
           "Valid container, HEVC data replaced by noise: libde265 fails inside the sandbox.")
    reject("avif-brand-hevc-coded.avif", single(hevc, b"avif"), "format_mismatch",
           "ftyp says avif, the primary item is HEVC.")
    many = heif(b"heic", {1: Item(b"hvc1", hevc.data,
                                  [(hevc.config_kind, dict(hevc.properties)[hevc.config_kind]), ispe(W, H)])},
                1, unused=[(b"free", struct.pack(">I", i)) for i in range(1100)])
    reject("heic-property-flood.heic", many, "limit:max_chunks", "1100 extra properties in ipco: a box flood.")

    header = ("file", "expect", "detail", "source", "thumb", "note")
    with open(os.path.join(out_dir, "manifest.tsv"), "w") as f:
        f.write("\t".join(header) + "\n")
        f.write("# Generated by tools/heif-corpus/generate.py; do not edit by hand. Regenerate with:\n")
        f.write("#   python3 tools/heif-corpus/generate.py corpus/heif\n")
        f.write("# source = displayed WxH (irot/imir applied); thumb = size after resize to width 40.\n")
        for r in sorted(rows):
            f.write("\t".join(r) + "\n")
    print(f"{out_dir}: {len(rows)} files")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "corpus/heif")

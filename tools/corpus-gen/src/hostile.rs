//! The hostile set. Each file breaks exactly one rule (or, for the `ok` rows, is odd but
//! legal), so that the expected error never depends on the order the checks run in. The floods
//! that exceed several dimension limits at once rely only on the documented "width first" order.

use crate::gifw::{self, GifFrame};
use crate::jpeg::{self, Color, Options, COM, SOF0};
use crate::manifest::{Expect, Format, Reject, Row};
use crate::picture::Picture;
use crate::pngw::{self, PngBuilder};
use crate::webpw;
use crate::{err, Entry, Result};
use imgkit_testkit::exif;

const MIB: u64 = 1 << 20;

fn reject(name: &str, kind: Reject, bytes: Vec<u8>, note: &str) -> Entry {
    Entry {
        row: Row {
            file: format!("hostile/{name}"),
            expect: Expect::Reject(kind),
            note: note.to_owned(),
        },
        bytes,
    }
}

fn accept(name: &str, (width, height): (u32, u32), bytes: Vec<u8>, note: &str) -> Entry {
    Entry {
        row: Row {
            file: format!("hostile/{name}"),
            expect: Expect::Ok {
                format: Format::Jpeg,
                width,
                height,
            },
            note: note.to_owned(),
        },
        bytes,
    }
}

/// Every hostile file, in no particular order (the manifest sorts).
pub(crate) fn entries() -> Result<Vec<Entry>> {
    let mut out = sniffing()?;
    out.extend(broken()?);
    out.extend(floods()?);
    out.extend(bombs()?);
    out.extend(odd_but_ok()?);
    Ok(out)
}

/// A stored (uncompressed) single-entry ZIP archive with a fixed timestamp (1980-01-01).
fn zip_stored(name: &str, data: &[u8]) -> Vec<u8> {
    let crc = pngw::crc32(data).to_le_bytes();
    let size = (data.len() as u32).to_le_bytes();
    let name_len = (name.len() as u16).to_le_bytes();
    // version 2.0, no flags, method 0 (stored), time 00:00, date 1980-01-01
    let common = [
        &[20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0][..],
        &crc,
        &size,
        &size,
        &name_len,
        &[0, 0],
    ]
    .concat();
    let mut out = b"PK\x03\x04".to_vec();
    out.extend_from_slice(&common);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(data);
    let cd_offset = out.len() as u32;
    let mut cd = b"PK\x01\x02".to_vec();
    cd.extend_from_slice(&[20, 0]); // version made by
    cd.extend_from_slice(&common);
    cd.extend_from_slice(&[0; 14]); // comment len, disk, internal + external attrs, offset 0
    cd.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&cd);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0");
    out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

/// A 64-byte ELF64 header (x86-64 executable, no program or section headers): enough for every
/// sniffer, not a runnable program.
fn elf_header() -> Vec<u8> {
    let mut out = b"\x7FELF\x02\x01\x01".to_vec();
    out.resize(16, 0);
    out.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    out.extend_from_slice(&0x3Eu16.to_le_bytes()); // x86-64
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&[0; 24]); // entry, phoff, shoff
    out.extend_from_slice(&0u32.to_le_bytes()); // flags
    out.extend_from_slice(&64u16.to_le_bytes()); // ehsize
    out.extend_from_slice(&[0; 10]); // phentsize, phnum, shentsize, shnum, shstrndx
    out
}

/// A real 2x2 24-bit BMP (bottom-up, rows padded to 4 bytes).
fn bmp_2x2() -> Vec<u8> {
    let pixels: [u8; 16] = [0, 0, 255, 0, 255, 0, 0, 0, 255, 0, 0, 255, 255, 255, 0, 0];
    let mut out = b"BM".to_vec();
    out.extend_from_slice(&(54 + pixels.len() as u32).to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&54u32.to_le_bytes());
    out.extend_from_slice(&40u32.to_le_bytes());
    out.extend_from_slice(&2i32.to_le_bytes());
    out.extend_from_slice(&2i32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&24u16.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(pixels.len() as u32).to_le_bytes());
    out.extend_from_slice(&2835i32.to_le_bytes());
    out.extend_from_slice(&2835i32.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&pixels);
    out
}

/// A real 2x2 RGB baseline TIFF (little-endian, uncompressed, one strip).
fn tiff_2x2() -> Vec<u8> {
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    // Layout: header (8) | IFD: count + 10 entries + next (126) | BitsPerSample (6) | pixels (12)
    let bits_at = 8 + 2 + 10 * 12 + 4;
    let pixels_at = bits_at + 6;
    let entries: [(u16, u16, u32, u32); 10] = [
        (256, SHORT, 1, 2),        // ImageWidth
        (257, SHORT, 1, 2),        // ImageLength
        (258, SHORT, 3, bits_at),  // BitsPerSample -> 8,8,8
        (259, SHORT, 1, 1),        // Compression: none
        (262, SHORT, 1, 2),        // Photometric: RGB
        (273, LONG, 1, pixels_at), // StripOffsets
        (277, SHORT, 1, 3),        // SamplesPerPixel
        (278, SHORT, 1, 2),        // RowsPerStrip
        (279, LONG, 1, 12),        // StripByteCounts
        (284, SHORT, 1, 1),        // PlanarConfiguration: chunky
    ];
    let mut out = b"II\x2A\0".to_vec();
    out.extend_from_slice(&8u32.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, count, value) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        // SHORT values are left-justified in the field; little-endian makes that the low bytes.
        out.extend_from_slice(&value.to_le_bytes());
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    for _ in 0..3 {
        out.extend_from_slice(&8u16.to_le_bytes());
    }
    out.extend_from_slice(&[255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
    out
}

const SVG_BODY: &str = concat!(
    r#"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48" viewBox="0 0 64 48">"#,
    r##"<rect width="64" height="48" fill="#3a7"/><circle cx="32" cy="24" r="12" fill="#fc3"/></svg>"##,
    "\n"
);

/// Files that must be stopped by the format sniffer, before any parser sees them.
fn sniffing() -> Result<Vec<Entry>> {
    use Reject::{FormatMismatch, UnknownFormat, UnsupportedFormat};
    let mut out = vec![
        reject("empty.jpg", UnknownFormat, Vec::new(), "Zero-byte upload with an image extension: nothing to sniff."),
        reject("one-byte.jpg", UnknownFormat, vec![0xFF], "A single 0xFF byte, shorter than any magic number."),
        reject(
            "text-as-jpg.jpg",
            UnknownFormat,
            b"This is a plain text file that was renamed to .jpg; it is not an image.\n".to_vec(),
            "Plain ASCII text renamed to .jpg.",
        ),
        reject(
            "html-as-png.png",
            UnknownFormat,
            concat!(
                "<meta charset=\"utf-8\">\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n",
                "<p>The requested image was not found.</p>\n<script>alert(document.cookie)</script>\n"
            )
            .as_bytes()
            .to_vec(),
            "HTML error page saved as .png, with a script; starts with <meta so no sniffer types it.",
        ),
        reject("svg-plain.svg", UnsupportedFormat, SVG_BODY.as_bytes().to_vec(), "Plain SVG: vector input is not an allowed format."),
        reject(
            "svg-bom-whitespace.svg",
            UnsupportedFormat,
            format!("\u{FEFF}\n  \t{SVG_BODY}").into_bytes(),
            "SVG preceded by a UTF-8 BOM and whitespace, which SVG sniffing must skip.",
        ),
        reject(
            "svg-xxe.svg",
            UnsupportedFormat,
            concat!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
                "<!DOCTYPE svg [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n",
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"48\">",
                "<text x=\"0\" y=\"20\">&xxe;</text></svg>\n"
            )
            .as_bytes()
            .to_vec(),
            "SVG with an XML external entity reading /etc/passwd (XXE); must never reach an XML parser.",
        ),
        reject(
            "svg-billion-laughs.svg",
            UnsupportedFormat,
            billion_laughs().into_bytes(),
            "SVG with nested entity expansion (billion laughs); must never reach an XML parser.",
        ),
        reject(
            "pdf-as-jpg.jpg",
            UnsupportedFormat,
            concat!(
                "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n",
                "2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n",
                "trailer << /Root 1 0 R >>\n%%EOF\n"
            )
            .as_bytes()
            .to_vec(),
            "Minimal PDF renamed to .jpg.",
        ),
        reject(
            "zip-as-png.png",
            UnsupportedFormat,
            zip_stored("readme.txt", b"not an image\n"),
            "ZIP archive renamed to .png.",
        ),
        reject("elf-as-gif.gif", UnsupportedFormat, elf_header(), "ELF executable header renamed to .gif."),
        reject("bmp-2x2.bmp", UnsupportedFormat, bmp_2x2(), "A perfectly valid 2x2 BMP: real image, but not an allowed format."),
        reject(
            "tiff-2x2.tif",
            UnsupportedFormat,
            tiff_2x2(),
            "A valid 2x2 uncompressed TIFF: real image, but not allowed by default.",
        ),
        reject(
            "gif-magic-text.gif",
            FormatMismatch,
            b"GIF is what the extension says, but this is plain text after the first three letters.\n".to_vec(),
            "Text starting with GIF: infer calls it a GIF, image::guess_format (needs GIF87a/GIF89a) does not.",
        ),
    ];
    // A real lossy WebP whose RIFF tag is overwritten: infer only looks at bytes 8..12.
    let mut webp = webpw::lossy(&Picture::photo(32, 32, 60), false, 75.0)?;
    webp[..4].copy_from_slice(b"XXXX");
    out.push(reject(
        "webp-riff-tag-overwritten.webp",
        FormatMismatch,
        webp,
        "Lossy WebP with RIFF replaced by XXXX: infer sees WEBP at 8..12, image::guess_format wants RIFF.",
    ));
    Ok(out)
}

/// Classic entity expansion: 10 levels of 10x, ~3 GB of "lol" if a parser expands it.
fn billion_laughs() -> String {
    let mut s = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE svg [\n  <!ENTITY lol \"lol\">\n");
    for level in 1..=9 {
        let prev = if level == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", level - 1)
        };
        let refs: String = (0..10).map(|_| format!("&{prev};")).collect();
        s.push_str(&format!("  <!ENTITY lol{level} \"{refs}\">\n"));
    }
    s.push_str("]>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><text>&lol9;</text></svg>\n");
    s
}

/// A complete small truecolour PNG built by hand (so chunk offsets are known).
fn small_png(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let p = Picture::photo(width, height, seed);
    let idat = pngw::zlib(&pngw::scanlines(&p.rgb8(), width as usize * 3));
    PngBuilder::new(&pngw::ihdr(width, height, 8, pngw::RGB, 0))
        .chunk(b"IDAT", &idat)
        .finish()
}

/// A valid 1x1 grayscale PNG's IDAT payload (one row: filter byte + one sample).
fn one_pixel_idat() -> Vec<u8> {
    pngw::zlib(&[0, 0x80])
}

/// Truncated files and structural corruption: the container scan or the header parser must
/// fail; none of them decodes to an image.
fn broken() -> Result<Vec<Entry>> {
    use Reject::Malformed;
    let mut out = vec![
        reject(
            "png-signature-only.png",
            Malformed,
            pngw::SIGNATURE.to_vec(),
            "Just the 8-byte PNG signature, no IHDR.",
        ),
        reject(
            "jpeg-soi-only.jpg",
            Malformed,
            vec![0xFF, 0xD8, 0xFF],
            "FF D8 FF: sniffs as JPEG but has no segments, no SOS and no EOI.",
        ),
    ];

    // JPEG cut at 60%: the cut lands inside the entropy-coded data, so there is no EOI.
    let full = jpeg::encode(&Picture::photo(160, 120, 61), Options::default())?;
    let cut = full.len() * 6 / 10;
    let sos = jpeg::find_segment(&full, jpeg::SOS)?;
    if cut <= sos + 20 || full[sos..cut].windows(2).any(|w| w == [0xFF, 0xD9]) {
        return Err(err("JPEG truncation does not cut into the scan data"));
    }
    out.push(reject(
        "jpeg-truncated-60pct.jpg",
        Malformed,
        full[..cut].to_vec(),
        "First 60% of a baseline JPEG: cut inside the scan data, no EOI marker.",
    ));

    // PNG cut in the middle of its only IDAT chunk.
    let full = small_png(96, 64, 62);
    let idat = pngw::chunks(&full)
        .into_iter()
        .find(|(k, _)| k == b"IDAT")
        .ok_or_else(|| err("no IDAT"))?
        .1;
    out.push(reject(
        "png-truncated-idat.png",
        Malformed,
        full[..idat.start + idat.len() / 2].to_vec(),
        "Truecolour PNG cut halfway through its IDAT data: no CRC, no IEND, half the pixels.",
    ));

    let pic = Picture::photo(120, 80, 63);
    let full = gifw::encode(120, 80, &[GifFrame::from_picture(&pic, None)?], false)?;
    // Header + 256-colour table + descriptors are < 800 bytes; 60% is deep in the LZW data.
    let cut = full.len() * 6 / 10;
    if cut < 1200 {
        return Err(err("GIF truncation does not cut into the LZW data"));
    }
    out.push(reject(
        "gif-truncated.gif",
        Malformed,
        full[..cut].to_vec(),
        "First 60% of a GIF: cut inside the LZW sub-blocks, no trailer.",
    ));

    let full = webpw::lossy(&Picture::photo(160, 120, 64), false, 80.0)?;
    out.push(reject(
        "webp-truncated.webp",
        Malformed,
        full[..full.len() * 6 / 10].to_vec(),
        "First 60% of a lossy WebP: RIFF and VP8 sizes promise more data than present.",
    ));

    // IHDR CRC lives right after signature (8) + length (4) + type (4) + data (13).
    let mut bad_crc = small_png(32, 32, 65);
    for b in &mut bad_crc[29..33] {
        *b ^= 0xFF;
    }
    out.push(reject(
        "png-bad-ihdr-crc.png",
        Malformed,
        bad_crc,
        "Otherwise valid 32x32 PNG whose IHDR CRC is inverted.",
    ));

    out.push(reject(
        "png-ihdr-width-0.png",
        Malformed,
        PngBuilder::new(&pngw::ihdr(0, 32, 8, pngw::GRAY, 0))
            .chunk(b"IDAT", &pngw::zlib(&[0; 33]))
            .finish(),
        "PNG whose IHDR declares width 0, which the PNG spec forbids (correct CRCs).",
    ));

    // Right after IHDR, an ancillary chunk whose length claims ~2 GiB, then end of file. It sits
    // before IDAT so that both a chunk walker and the PNG decoder trip over it (after the
    // image data, a decoder would stop reading before reaching it).
    let mut overflow = pngw::SIGNATURE.to_vec();
    pngw::write_chunk(&mut overflow, b"IHDR", &pngw::ihdr(1, 1, 8, pngw::GRAY, 0));
    overflow.extend_from_slice(&0x7FFF_FFF0u32.to_be_bytes());
    overflow.extend_from_slice(b"tEXtComment\0hello");
    out.push(reject(
        "png-chunk-length-overflow.png",
        Malformed,
        overflow,
        "PNG whose tEXt chunk right after IHDR claims a length of 2 GiB, then the file ends.",
    ));

    // Progressive JPEG with its scans repeated: the decoder caps scans at 100.
    let small = jpeg::encode(
        &Picture::photo(16, 16, 66),
        Options {
            color: Color::Gray,
            progressive: true,
            ..Options::default()
        },
    )?;
    let scans = jpeg::scans(&small)?;
    let per_copy = jpeg::count_sos(&small[scans.clone()]);
    let copies = 2100 / per_copy;
    let mut many = small[..scans.start].to_vec();
    for _ in 0..copies {
        many.extend_from_slice(&small[scans.clone()]);
    }
    many.extend_from_slice(&[0xFF, 0xD9]);
    let total = jpeg::count_sos(&many);
    out.push(reject(
        &format!("jpeg-progressive-{total}-scans.jpg"),
        Malformed,
        many,
        "Progressive 16x16 JPEG whose scans are repeated to over 2000 SOS markers (scan-count DoS).",
    ));

    // GIF with a 0x0 logical screen and a 0x0 frame: decoders accept it, there is nothing to show.
    out.push(reject(
        "gif-0x0.gif",
        Reject::EmptyImage,
        gifw::header_only(0, 0),
        "GIF whose logical screen and only frame are 0x0.",
    ));
    Ok(out)
}

/// A header-only PNG: valid IHDR (correct CRC), a token IDAT, IEND. Decoders parse the header
/// happily; the limits must refuse it before any pixel buffer is allocated.
fn png_header_only(width: u32, height: u32, depth: u8, color: u8) -> Vec<u8> {
    PngBuilder::new(&pngw::ihdr(width, height, depth, color, 0))
        .chunk(b"IDAT", &pngw::zlib(&[0]))
        .finish()
}

/// VP8X canvas of `canvas` pixels, animated, with `frames` ANMF frames of 1x1 lossless pixels.
/// Every frame is a well-formed 1x1 image inside the canvas, so the only thing wrong is the
/// quantity the test is about.
fn webp_anim(canvas: (u32, u32), frames: usize) -> Result<Vec<u8>> {
    let one = webpw::lossless(&Picture::photo(1, 1, 67), false)?;
    let vp8l = webpw::chunk(b"VP8L", webpw::find_chunk(&one, b"VP8L")?);
    // VP8X flags: only "animation" (bit 1); no alpha, ICC, EXIF or XMP.
    let vp8x = webpw::vp8x(0x02, canvas.0, canvas.1);
    let mut chunks = vec![
        webpw::chunk(b"VP8X", &vp8x),
        webpw::chunk(b"ANIM", &[0, 0, 0, 0, 0, 0]),
    ];
    let anmf_header = [
        &webpw::u24(0)[..],
        &webpw::u24(0),
        &webpw::u24(0),
        &webpw::u24(0),
        &webpw::u24(100),
        &[0],
    ]
    .concat();
    let anmf = webpw::chunk(b"ANMF", &[&anmf_header[..], &vp8l].concat());
    chunks.extend(std::iter::repeat_n(anmf, frames));
    Ok(webpw::riff(&chunks))
}

/// Dimension floods: tiny files whose headers declare huge images.
fn floods() -> Result<Vec<Entry>> {
    use Reject::{MaxAlloc, MaxHeight, MaxPixels, MaxWidth};
    let mut out = vec![
        reject(
            "png-flood-100000x100000.png",
            MaxWidth,
            png_header_only(100_000, 100_000, 8, pngw::GRAY),
            "Header-only 8-bit gray PNG declaring 100000x100000 (10 G pixels); width is checked first.",
        ),
        reject(
            "png-flood-65535x65535.png",
            MaxWidth,
            png_header_only(65_535, 65_535, 8, pngw::GRAY),
            "Header-only 8-bit gray PNG declaring 65535x65535; width is checked first.",
        ),
        reject(
            "png-flood-1x70000.png",
            MaxHeight,
            png_header_only(1, 70_000, 8, pngw::GRAY),
            "Header-only PNG 1 pixel wide and 70000 tall: only the height limit is exceeded.",
        ),
        reject(
            "png-flood-10000x10000-gray8.png",
            MaxPixels,
            png_header_only(10_000, 10_000, 8, pngw::GRAY),
            "Header-only 8-bit gray PNG of 10000x10000: both sides fine, 100 M pixels too many, 100 MB alloc fine.",
        ),
        reject(
            "png-alloc-7000x7000-rgba16.png",
            MaxAlloc,
            png_header_only(7_000, 7_000, 16, pngw::RGBA),
            "Header-only 16-bit RGBA PNG of 7000x7000: 49 M pixels is allowed but 392 MB decoded is not.",
        ),
        reject(
            "gif-flood-65535x65535.gif",
            MaxWidth,
            gifw::header_only(65_535, 65_535),
            "GIF whose logical screen and frame are 65535x65535 in 40 bytes; width is checked first.",
        ),
        reject(
            "webp-vp8x-flood-8000x8000.webp",
            MaxPixels,
            webp_anim((8_000, 8_000), 1)?,
            "Animated WebP with an 8000x8000 VP8X canvas and one 1x1 frame: 64 M pixels, 192 MB RGB alloc.",
        ),
    ];

    let mut jpeg = jpeg::encode(&Picture::photo(64, 48, 68), Options::default())?;
    let sof = jpeg::find_segment(&jpeg, SOF0)?;
    // SOF0: FF C0, length (2), precision (1), height (2), width (2).
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    out.push(reject(
        "jpeg-flood-65535x65535.jpg",
        MaxWidth,
        jpeg,
        "Baseline 64x48 JPEG whose SOF0 is patched to 65535x65535 (EOI kept); width is checked first.",
    ));
    Ok(out)
}

/// Compression and count bombs: small files that expand, or repeat, far beyond the limits.
fn bombs() -> Result<Vec<Entry>> {
    use Reject::{MaxChunks, MaxFrames, MaxMetadataBytes, MaxPixels};
    let mut out = Vec::new();

    // 16384x16384 gray is 256 MiB of zero scanlines; the limits must refuse it from the header
    // (268 M pixels) without inflating anything. Its alloc (exactly 256 MiB) is not over.
    let side: u32 = 16_384;
    let raw_len = u64::from(side) * (u64::from(side) + 1);
    let idat = pngw::zlib_repeat(0, raw_len)?;
    let mut b = PngBuilder::new(&pngw::ihdr(side, side, 8, pngw::GRAY, 0));
    // Real encoders split IDAT; 64 KiB chunks also keep any single chunk unremarkable.
    for part in idat.chunks(64 * 1024) {
        b = b.chunk(b"IDAT", part);
    }
    out.push(reject(
        "png-zlib-bomb-16384x16384.png",
        MaxPixels,
        b.finish(),
        "Complete 16384x16384 all-black gray PNG, 256 MiB of scanlines deflated; refused from the header.",
    ));

    let bomb = || pngw::zlib_repeat(b' ', 64 * MIB);
    let mut iccp = b"bomb\0\0".to_vec();
    iccp.extend(pngw::zlib_repeat(0, 64 * MIB)?);
    out.push(reject(
        "png-iccp-bomb.png",
        MaxMetadataBytes,
        PngBuilder::new(&pngw::ihdr(1, 1, 8, pngw::GRAY, 0))
            .chunk(b"iCCP", &iccp)
            .chunk(b"IDAT", &one_pixel_idat())
            .finish(),
        "1x1 PNG whose iCCP profile inflates to 64 MiB of zeros.",
    ));
    let mut ztxt = b"Comment\0\0".to_vec();
    ztxt.extend(bomb()?);
    out.push(reject(
        "png-ztxt-bomb.png",
        MaxMetadataBytes,
        PngBuilder::new(&pngw::ihdr(1, 1, 8, pngw::GRAY, 0))
            .chunk(b"zTXt", &ztxt)
            .chunk(b"IDAT", &one_pixel_idat())
            .finish(),
        "1x1 PNG whose zTXt text inflates to 64 MiB of spaces.",
    ));
    // iTXt: keyword NUL, compressed=1, method=0, empty language NUL, empty translation NUL.
    let mut itxt = b"Comment\0\x01\0\0\0".to_vec();
    itxt.extend(bomb()?);
    out.push(reject(
        "png-itxt-bomb.png",
        MaxMetadataBytes,
        PngBuilder::new(&pngw::ihdr(1, 1, 8, pngw::GRAY, 0))
            .chunk(b"iTXt", &itxt)
            .chunk(b"IDAT", &one_pixel_idat())
            .finish(),
        "1x1 PNG whose compressed iTXt text inflates to 64 MiB of spaces.",
    ));

    let mut b = PngBuilder::new(&pngw::ihdr(1, 1, 8, pngw::GRAY, 0));
    for _ in 0..20_000 {
        b = b.chunk(b"tEXt", b"c\0");
    }
    out.push(reject(
        "png-text-chunks-20000.png",
        MaxChunks,
        b.chunk(b"IDAT", &one_pixel_idat()).finish(),
        "1x1 PNG with 20000 tiny tEXt chunks (chunk-count DoS, metadata bytes negligible).",
    ));

    // APNG: acTL claims a million frames; the one frame present is fine.
    let mut actl = 1_000_000u32.to_be_bytes().to_vec();
    actl.extend_from_slice(&0u32.to_be_bytes());
    let mut fctl = 0u32.to_be_bytes().to_vec(); // sequence number
    for v in [1u32, 1, 0, 0] {
        fctl.extend_from_slice(&v.to_be_bytes()); // width, height, x, y
    }
    fctl.extend_from_slice(&[0, 1, 0, 10, 0, 0]); // delay 1/10 s, dispose none, blend source
    out.push(reject(
        "apng-actl-1000000-frames.png",
        MaxFrames,
        PngBuilder::new(&pngw::ihdr(1, 1, 8, pngw::GRAY, 0))
            .chunk(b"acTL", &actl)
            .chunk(b"fcTL", &fctl)
            .chunk(b"IDAT", &one_pixel_idat())
            .finish(),
        "Valid 1x1 APNG whose acTL declares 1,000,000 frames.",
    ));

    let template = GifFrame::from_picture(&Picture::photo(1, 1, 69), None)?;
    let frames: Vec<GifFrame> = (0..2000u32)
        .map(|i| GifFrame {
            indices: vec![(i % 252) as u8],
            delay_cs: 1,
            ..template.clone()
        })
        .collect();
    out.push(reject(
        "gif-frames-2000.gif",
        MaxFrames,
        gifw::encode(1, 1, &frames, true)?,
        "1x1 animated GIF with 2000 frames.",
    ));
    out.push(reject(
        "webp-anmf-2000-frames.webp",
        MaxFrames,
        webp_anim((1, 1), 2000)?,
        "1x1 animated WebP with 2000 ANMF frames.",
    ));
    Ok(out)
}

/// Legal but unusual JPEGs that must be accepted: broken or tricky EXIF never fails an image,
/// and bytes outside the image structure are ignored.
fn odd_but_ok() -> Result<Vec<Entry>> {
    let pic = Picture::photo(96, 64, 70);
    let dims = (pic.width, pic.height);
    let with_app1 = |app1: Vec<u8>| {
        jpeg::encode(
            &pic,
            Options {
                app_segments: vec![(1, app1)],
                ..Options::default()
            },
        )
    };
    let plain = jpeg::encode(&pic, Options::default())?;
    let mut with_zip = plain.clone();
    with_zip.extend(zip_stored("payload.txt", b"appended after EOI\n"));
    Ok(vec![
        accept(
            "jpeg-exif-orientation-0.jpg",
            dims,
            with_app1(exif::orientation_app1(0))?,
            "EXIF orientation 0 (invalid) must be treated as 1: displayed as stored.",
        ),
        accept(
            "jpeg-exif-orientation-9.jpg",
            dims,
            with_app1(exif::orientation_app1(9))?,
            "EXIF orientation 9 (invalid) must be treated as 1: displayed as stored.",
        ),
        accept(
            "jpeg-exif-ifd-loop.jpg",
            dims,
            with_app1(exif::ifd_loop_app1())?,
            "EXIF IFD0 (orientation 1) whose next-IFD offset points back at itself; parsers must not loop.",
        ),
        accept(
            "jpeg-exif-huge-count.jpg",
            dims,
            with_app1(exif::huge_count_app1())?,
            "EXIF entries claiming 0xFFFFFFFF values (size overflow, far out of bounds); orientation resolves to 1.",
        ),
        accept(
            "jpeg-com-script.jpg",
            dims,
            jpeg::insert_after_soi(&plain, COM, b"<script>alert(document.domain)</script>")?,
            "JPEG with an HTML <script> in a COM segment (polyglot); the pixels are fine.",
        ),
        accept(
            "jpeg-zip-appended.jpg",
            dims,
            with_zip,
            "Valid JPEG with a ZIP archive appended after EOI (polyglot); trailing bytes are ignored.",
        ),
    ])
}

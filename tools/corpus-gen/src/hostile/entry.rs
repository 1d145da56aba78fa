//! What every hostile file is recorded as (its manifest row, rejected with a reason or accepted), and
//! the bytes several sets start from: small valid PNGs, headers, archives, animations.

use crate::manifest::{Expect, Format, Reject, Row};
use crate::picture::Picture;
use crate::pngw::{self, PngBuilder};
use crate::webpw;
use crate::{Entry, Result};

/// A mebibyte.
pub(super) const MIB: u64 = 1 << 20;

pub(super) fn reject(name: &str, kind: Reject, bytes: Vec<u8>, note: &str) -> Entry {
    Entry {
        row: Row {
            file: format!("hostile/{name}"),
            expect: Expect::Reject(kind),
            note: note.to_owned(),
        },
        bytes,
    }
}

pub(super) fn accept(name: &str, (width, height): (u32, u32), bytes: Vec<u8>, note: &str) -> Entry {
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

/// A complete small truecolour PNG built by hand (so chunk offsets are known).
pub(super) fn small_png(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let p = Picture::photo(width, height, seed);
    let idat = pngw::zlib(&pngw::scanlines(&p.rgb8(), width as usize * 3));
    PngBuilder::new(&pngw::ihdr(width, height, 8, pngw::RGB, 0))
        .chunk(b"IDAT", &idat)
        .finish()
}

/// A valid 1x1 grayscale PNG's IDAT payload (one row: filter byte + one sample).
pub(super) fn one_pixel_idat() -> Vec<u8> {
    pngw::zlib(&[0, 0x80])
}

/// A stored (uncompressed) single-entry ZIP archive with a fixed timestamp (1980-01-01).
pub(super) fn zip_stored(name: &str, data: &[u8]) -> Vec<u8> {
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
pub(super) fn elf_header() -> Vec<u8> {
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
pub(super) fn bmp_2x2() -> Vec<u8> {
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
pub(super) fn tiff_2x2() -> Vec<u8> {
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

/// Classic entity expansion: 10 levels of 10x, ~3 GB of "lol" if a parser expands it.
pub(super) fn billion_laughs() -> String {
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

/// A header-only PNG: valid IHDR (correct CRC), a token IDAT, IEND. Decoders parse the header
/// happily; the limits must refuse it before any pixel buffer is allocated.
pub(super) fn png_header_only(width: u32, height: u32, depth: u8, color: u8) -> Vec<u8> {
    PngBuilder::new(&pngw::ihdr(width, height, depth, color, 0))
        .chunk(b"IDAT", &pngw::zlib(&[0]))
        .finish()
}

/// VP8X canvas of `canvas` pixels, animated, with `frames` ANMF frames of 1x1 lossless pixels.
/// Every frame is a well-formed 1x1 image inside the canvas, so the only thing wrong is the
/// quantity the test is about.
pub(super) fn webp_anim(canvas: (u32, u32), frames: usize) -> Result<Vec<u8>> {
    let one = webpw::lossless(&Picture::photo(1, 1, 67), false)?;
    let frame = webpw::Anmf::of(&one, (1, 1), 100)?;
    Ok(webpw::animation(canvas, false, 0, &vec![frame; frames]))
}

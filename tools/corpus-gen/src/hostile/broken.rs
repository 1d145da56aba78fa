//! Truncated files and structural corruption.

use super::entry::{reject, small_png};
use crate::gifw::{self, GifFrame};
use crate::jpeg::{self, Color, Options};
use crate::manifest::Reject;
use crate::picture::Picture;
use crate::pngw::{self, PngBuilder};
use crate::webpw;
use crate::{err, Entry, Result};

/// Truncated files and structural corruption: the container scan or the header parser must
/// fail; none of them decodes to an image.
pub(super) fn broken() -> Result<Vec<Entry>> {
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

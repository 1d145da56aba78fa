//! Hand-built EXIF (APP1) payloads and EXIF orientation geometry.
//!
//! Written by hand rather than with an EXIF library so that the hostile variants (IFD loops,
//! absurd counts, out-of-range orientations) can be expressed at all.

use crate::photo::Picture;

/// TIFF field types used here (TIFF 6.0 section 2).
const ASCII: u16 = 2;
const SHORT: u16 = 3;

/// Tags used here.
const TAG_MAKE: u16 = 0x010F;
const TAG_ORIENTATION: u16 = 0x0112;

/// One 12-byte IFD entry. `value` is the raw 4-byte value/offset field (big-endian file).
struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    value: [u8; 4],
}

/// A SHORT stored inline: big-endian, left-justified in the 4-byte field.
fn short_value(v: u16) -> [u8; 4] {
    let b = v.to_be_bytes();
    [b[0], b[1], 0, 0]
}

/// Full APP1 payload: `Exif\0\0`, big-endian TIFF header, IFD0 at offset 8 with `entries`
/// and the given next-IFD offset (0 = no IFD1).
fn app1(entries: &[Entry], next_ifd: u32) -> Vec<u8> {
    let mut out = b"Exif\0\0".to_vec();
    out.extend_from_slice(b"MM\0\x2A");
    out.extend_from_slice(&8u32.to_be_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_be_bytes());
    for e in entries {
        out.extend_from_slice(&e.tag.to_be_bytes());
        out.extend_from_slice(&e.kind.to_be_bytes());
        out.extend_from_slice(&e.count.to_be_bytes());
        out.extend_from_slice(&e.value);
    }
    out.extend_from_slice(&next_ifd.to_be_bytes());
    out
}

/// The TIFF structure alone, as WebP's `EXIF` chunk and PNG's `eXIf` chunk hold it (JPEG's APP1
/// prefixes it with `Exif\0\0`).
pub fn orientation_tiff(orientation: u16) -> Vec<u8> {
    let mut app1 = orientation_app1(orientation);
    app1.drain(..6);
    app1
}

/// IFD0 with just the orientation tag. Values outside 1..=8 are written as-is on purpose.
pub fn orientation_app1(orientation: u16) -> Vec<u8> {
    app1(
        &[Entry {
            tag: TAG_ORIENTATION,
            kind: SHORT,
            count: 1,
            value: short_value(orientation),
        }],
        0,
    )
}

/// IFD0 whose next-IFD pointer is its own offset: a naive walker never terminates.
/// Orientation is 1 so that whatever a parser does, the displayed size equals the stored one.
pub fn ifd_loop_app1() -> Vec<u8> {
    app1(
        &[Entry {
            tag: TAG_ORIENTATION,
            kind: SHORT,
            count: 1,
            value: short_value(1),
        }],
        8,
    )
}

/// IFD0 entries with count 0xFFFFFFFF: `count * size` overflows 32 bits and the implied data
/// (4 GiB / 8 GiB) lies far outside the segment, tempting a parser into a huge allocation or an
/// out-of-bounds read. The orientation entry's inline value is 1, and a parser that rejects it
/// also falls back to 1, so the displayed size equals the stored size either way.
pub fn huge_count_app1() -> Vec<u8> {
    app1(
        &[
            Entry {
                tag: TAG_MAKE,
                kind: ASCII,
                count: u32::MAX,
                value: 0x7FFF_FFF0u32.to_be_bytes(),
            },
            Entry {
                tag: TAG_ORIENTATION,
                kind: SHORT,
                count: u32::MAX,
                value: short_value(1),
            },
        ],
        0,
    )
}

/// Orientations 5..=8 rotate by 90 degrees, so the displayed size is the stored size swapped.
pub fn swaps_axes(orientation: u16) -> bool {
    (5..=8).contains(&orientation)
}

/// Where the stored pixel `(x, y)` lands when a viewer applies `orientation`
/// (stored size `w x h`). Matches the EXIF 2.3 definition of tag 0x0112.
fn displayed_position(orientation: u16, x: u32, y: u32, w: u32, h: u32) -> (u32, u32) {
    match orientation {
        2 => (w - 1 - x, y),         // mirror horizontally
        3 => (w - 1 - x, h - 1 - y), // rotate 180
        4 => (x, h - 1 - y),         // mirror vertically
        5 => (y, x),                 // transpose
        6 => (h - 1 - y, x),         // rotate 90 clockwise
        7 => (h - 1 - y, w - 1 - x), // transverse
        8 => (y, w - 1 - x),         // rotate 90 counter-clockwise
        _ => (x, y),
    }
}

/// The pixels to *store* so that a viewer applying `orientation` shows `upright`: each stored
/// pixel takes the colour of the upright pixel it will be displayed at (the inverse transform).
pub fn stored_for(upright: &Picture, orientation: u16) -> Picture {
    let (w, h) = if swaps_axes(orientation) {
        (upright.height, upright.width)
    } else {
        (upright.width, upright.height)
    };
    Picture::from_fn(w, h, |x, y| {
        let (dx, dy) = displayed_position(orientation, x, y, w, h);
        upright.pixels[(dy * upright.width + dx) as usize]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labelled(w: u32, h: u32) -> Picture {
        Picture::from_fn(w, h, |x, y| [f64::from(x), f64::from(y), 0.0, 1.0])
    }

    #[test]
    fn stored_then_displayed_is_upright() {
        let upright = labelled(5, 3);
        for o in 1..=8 {
            let stored = stored_for(&upright, o);
            for y in 0..stored.height {
                for x in 0..stored.width {
                    let (dx, dy) = displayed_position(o, x, y, stored.width, stored.height);
                    let p = stored.pixels[(y * stored.width + x) as usize];
                    assert_eq!((p[0], p[1]), (f64::from(dx), f64::from(dy)), "orientation {o}");
                }
            }
        }
    }

    #[test]
    fn rotate_90_cw_moves_top_left_to_top_right() {
        // Orientation 6: the stored top-left pixel must appear at the displayed top-right.
        assert_eq!(displayed_position(6, 0, 0, 48, 64), (63, 0));
        // Orientation 8: the stored top-left pixel must appear at the displayed bottom-left.
        assert_eq!(displayed_position(8, 0, 0, 48, 64), (0, 47));
    }

    #[test]
    fn app1_layout() {
        let a = orientation_app1(6);
        assert_eq!(&a[..6], b"Exif\0\0");
        assert_eq!(a.len(), 6 + 8 + 2 + 12 + 4);
        assert_eq!(&a[16..18], &[0x01, 0x12]);
        assert_eq!(&a[24..26], &[0, 6]);
    }
}

//! Outputs are freshly encoded pixels: nothing of an input's metadata (EXIF, XMP, ICC profiles, text
//! chunks, comments, IPTC) ever reaches them. The corpus's `*-all-metadata.*` files carry every kind
//! their format has, each holding the testkit's canary text.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a test failure

use imgkit::{Limits, OutputFormat, Processor, Spec};
use imgkit_testkit::manifest::{self, METADATA_CANARY};

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The marker of every JPEG segment before the first scan.
fn jpeg_segments(jpeg: &[u8]) -> Vec<u8> {
    let mut at = 2;
    let mut markers = Vec::new();
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF {
        let marker = jpeg[at + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        at += 2 + usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
    }
    markers
}

/// The type of every PNG chunk.
fn png_chunks(png: &[u8]) -> Vec<String> {
    let mut at = 8;
    let mut kinds = Vec::new();
    while at + 8 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        kinds.push(String::from_utf8_lossy(&png[at + 4..at + 8]).into_owned());
        at += 12 + len;
    }
    kinds
}

/// The FourCC of every top-level WebP chunk.
fn webp_chunks(webp: &[u8]) -> Vec<String> {
    let mut at = 12;
    let mut kinds = Vec::new();
    while at + 8 <= webp.len() {
        let len = u32::from_le_bytes(webp[at + 4..at + 8].try_into().unwrap()) as usize;
        kinds.push(String::from_utf8_lossy(&webp[at..at + 4]).into_owned());
        at += 8 + len + (len & 1);
    }
    kinds
}

#[test]
fn outputs_carry_none_of_the_inputs_metadata() {
    let carriers: Vec<manifest::Row> = manifest::rows()
        .into_iter()
        .filter(|r| r.file.contains("all-metadata"))
        .collect();
    assert_eq!(
        carriers.len(),
        3,
        "one metadata carrier per format: JPEG, PNG, WebP"
    );
    let mut processor = Processor::new(Limits::default());
    for row in &carriers {
        let input = row.bytes();
        // The input really carries it (else this test could not fail).
        assert!(contains(&input, METADATA_CANARY.as_bytes()), "{}", row.file);
        let info = imgkit::probe(&input, &Limits::default()).unwrap().into_info();
        assert!(info.has_icc_profile, "{}: no ICC profile read", row.file);
        for format in [
            OutputFormat::Same,
            OutputFormat::Jpeg { quality: 80 },
            OutputFormat::Png,
            OutputFormat::WebP { quality: 80 },
        ] {
            let out = processor
                .process(&input, &Spec::new().with_width(40).with_format(format))
                .unwrap();
            let what = format!("{} as {}", row.file, out.format);
            let bytes = &out.bytes;
            for needle in [
                METADATA_CANARY.as_bytes(),
                b"Exif",
                b"ICC_PROFILE",
                b"http://ns.adobe.com",
                b"8BIM",
            ] {
                assert!(
                    !contains(bytes, needle),
                    "{what}: carries {:?}",
                    String::from_utf8_lossy(needle)
                );
            }
            match out.format {
                imgkit::Format::Jpeg => {
                    let markers = jpeg_segments(bytes);
                    let metadata: Vec<u8> = markers
                        .iter()
                        .copied()
                        .filter(|m| (0xE1..=0xEF).contains(m) || *m == 0xFE)
                        .collect();
                    assert!(metadata.is_empty(), "{what}: segments {metadata:02X?}");
                }
                imgkit::Format::Png => {
                    let chunks = png_chunks(bytes);
                    assert!(
                        chunks
                            .iter()
                            .all(|c| ["IHDR", "PLTE", "tRNS", "IDAT", "IEND"].contains(&c.as_str())),
                        "{what}: chunks {chunks:?}"
                    );
                }
                imgkit::Format::WebP => {
                    let chunks = webp_chunks(bytes);
                    assert!(
                        chunks
                            .iter()
                            .all(|c| ["VP8 ", "VP8L", "VP8X", "ALPH"].contains(&c.as_str())),
                        "{what}: chunks {chunks:?}"
                    );
                }
                other => panic!("{what}: unexpected output format {other}"),
            }
        }
    }
}

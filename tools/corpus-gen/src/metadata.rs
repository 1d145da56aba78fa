//! Valid files that carry metadata: EXIF orientations 1-8 in every format that has EXIF (JPEG, WebP,
//! PNG), and one file per format with every kind of metadata it can hold.

use crate::jpeg::{self, Options};
use crate::manifest::Format;
use crate::picture::Picture;
use crate::pngw::{self, PngBuilder};
use crate::valid::{display_p3_icc, ok, size};
use crate::webpw;
use crate::{Entry, Result};
use imgkit_testkit::exif;

/// Every file of this module.
pub(crate) fn entries() -> Result<Vec<Entry>> {
    let mut out = exif_orientations()?;
    out.extend(webp_png_orientations()?);
    out.extend(metadata_carriers()?);
    Ok(out)
}

/// The upright reference picture for the orientation files: white, a pure red block in the
/// top-left region and a pure blue block in the bottom-right corner. Solid colours with a lot
/// of white around them survive JPEG well, so a test can check them by sampling pixels.
fn orientation_target() -> Picture {
    Picture::from_fn(64, 48, |x, y| {
        if x < 16 && y < 12 {
            [1.0, 0.0, 0.0, 1.0]
        } else if x >= 48 && y >= 36 {
            [0.0, 0.0, 1.0, 1.0]
        } else {
            [1.0, 1.0, 1.0, 1.0]
        }
    })
}

fn exif_orientations() -> Result<Vec<Entry>> {
    let upright = orientation_target();
    (1..=8u16)
        .map(|o| {
            let stored = exif::stored_for(&upright, o);
            let opts = Options { quality: 95, app_segments: vec![(1, exif::orientation_app1(o))], ..Options::default() };
            let note = format!(
                "EXIF orientation {o}, pixels stored {}x{} so that applying it shows the picture upright: red top-left, blue bottom-right.",
                stored.width, stored.height
            );
            Ok(ok(&format!("jpeg-exif-orientation-{o}.jpg"), Format::Jpeg, size(&upright), jpeg::encode(&stored, opts)?, &note))
        })
        .collect()
}

/// One file per format with every kind of metadata it can carry (EXIF, XMP, ICC, text chunks, comments,
/// IPTC), each holding the testkit's `METADATA_CANARY`: outputs must carry none of it.
fn metadata_carriers() -> Result<Vec<Entry>> {
    let canary = imgkit_testkit::manifest::METADATA_CANARY;
    let xmp = format!(
        "<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?><x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF \
         xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description dc:title='{canary}' \
         xmlns:dc='http://purl.org/dc/elements/1.1/'/></rdf:RDF></x:xmpmeta><?xpacket end='w'?>"
    );
    let icc = display_p3_icc()?;
    let exif = exif::orientation_app1(1);
    let p = Picture::photo(80, 60, 70);
    let note = |what: &str| format!("{what}, each with the text {canary}: outputs must carry none of it.");

    let mut app1_xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    app1_xmp.extend_from_slice(xmp.as_bytes());
    let mut app13 = b"Photoshop 3.0\08BIM\x04\x04\0\0".to_vec();
    app13.extend_from_slice(&u32::try_from(canary.len())?.to_be_bytes());
    app13.extend_from_slice(canary.as_bytes());
    let opts = Options {
        app_segments: vec![(1, exif.clone()), (1, app1_xmp), (13, app13)],
        icc_profile: Some(icc.clone()),
        ..Options::default()
    };
    let jpeg = jpeg::insert_after_soi(&jpeg::encode(&p, opts)?, jpeg::COM, canary.as_bytes())?;

    let mut itxt_xmp = b"XML:com.adobe.xmp\0\0\0\0\0".to_vec();
    itxt_xmp.extend_from_slice(xmp.as_bytes());
    let mut iccp = b"ICC\0\0".to_vec();
    iccp.extend_from_slice(&pngw::zlib(&icc));
    let mut text = b"Comment\0".to_vec();
    text.extend_from_slice(canary.as_bytes());
    let mut ztxt = b"Author\0\0".to_vec();
    ztxt.extend_from_slice(&pngw::zlib(canary.as_bytes()));
    let png = PngBuilder::new(&pngw::ihdr(p.width, p.height, 8, 2, 0))
        .chunk(b"iCCP", &iccp)
        .chunk(b"eXIf", &exif[6..])
        .chunk(b"iTXt", &itxt_xmp)
        .chunk(b"tEXt", &text)
        .chunk(b"zTXt", &ztxt)
        .chunk(
            b"IDAT",
            &pngw::zlib(&pngw::scanlines(&p.rgb8(), p.width as usize * 3)),
        )
        .finish();

    // VP8X flags: ICC (0x20), EXIF (0x08), XMP (0x04).
    let lossless = webpw::lossless(&p, false)?;
    let webp = webpw::riff(&[
        webpw::chunk(b"VP8X", &webpw::vp8x(0x2C, p.width, p.height)),
        webpw::chunk(b"ICCP", &icc),
        webpw::chunk(b"VP8L", webpw::find_chunk(&lossless, b"VP8L")?),
        webpw::chunk(b"EXIF", &exif[6..]),
        webpw::chunk(b"XMP ", xmp.as_bytes()),
    ]);
    Ok(vec![
        ok(
            "jpeg-all-metadata.jpg",
            Format::Jpeg,
            size(&p),
            jpeg,
            &note("JPEG with EXIF and XMP (APP1), an ICC profile (APP2), IPTC (APP13) and a comment (COM)"),
        ),
        ok(
            "png-all-metadata.png",
            Format::Png,
            size(&p),
            png,
            &note("PNG with iCCP, eXIf, XMP in iTXt, tEXt and zTXt chunks"),
        ),
        ok(
            "webp-all-metadata.webp",
            Format::Webp,
            size(&p),
            webp,
            &note("Lossless WebP (VP8X) with ICCP, EXIF and XMP chunks"),
        ),
    ])
}

/// The same eight orientations in the two other formats that carry EXIF: WebP (an `EXIF` chunk in
/// the VP8X extended format) and PNG (an `eXIf` chunk before the image data), both holding bare TIFF.
/// Plus orientation 6 with JPEG's `Exif\0\0` header kept in the block, as some writers leave it.
fn webp_png_orientations() -> Result<Vec<Entry>> {
    let upright = orientation_target();
    let mut out = Vec::new();
    let variants = (1..=8u16)
        .map(|o| (o, exif::orientation_tiff(o), "exif"))
        .chain([(6, exif::orientation_app1(6), "exif-header")]);
    for (o, block, label) in variants {
        let stored = exif::stored_for(&upright, o);
        let how = if label == "exif" {
            ""
        } else {
            " (keeping JPEG's Exif\\0\\0 header, as some writers do)"
        };
        let note = |format: &str, chunk: &str| {
            format!(
                "{format} with EXIF orientation {o} in its {chunk} chunk{how}, pixels stored {}x{}: displayed upright, red top-left, blue bottom-right.",
                stored.width, stored.height
            )
        };
        // VP8X (flags: EXIF present) + the lossless image + EXIF.
        let lossless = webpw::lossless(&stored, false)?;
        let webp = webpw::riff(&[
            webpw::chunk(b"VP8X", &webpw::vp8x(0x08, stored.width, stored.height)),
            webpw::chunk(b"VP8L", webpw::find_chunk(&lossless, b"VP8L")?),
            webpw::chunk(b"EXIF", &block),
        ]);
        let name = |ext: &str| format!("{ext}-{label}-orientation-{o}.{ext}");
        out.push(ok(
            &name("webp"),
            Format::Webp,
            size(&upright),
            webp,
            &note("Lossless WebP", "EXIF"),
        ));
        let rgb = stored.rgb8();
        let png = PngBuilder::new(&pngw::ihdr(stored.width, stored.height, 8, 2, 0))
            .chunk(b"eXIf", &block)
            .chunk(
                b"IDAT",
                &pngw::zlib(&pngw::scanlines(&rgb, stored.width as usize * 3)),
            )
            .finish();
        out.push(ok(
            &name("png"),
            Format::Png,
            size(&upright),
            png,
            &note("PNG", "eXIf"),
        ));
    }
    Ok(out)
}

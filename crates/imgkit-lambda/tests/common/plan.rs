//! The plan of the end-to-end test (tests/e2e.rs): every upload it puts into the bucket, and how each
//! must end.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// `Limits::default().max_input_bytes`, which the function keeps (the template sets no override).
const MAX_INPUT_BYTES: u64 = 32 * 1024 * 1024;

/// How an upload must end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Every rendition, from these bytes.
    Renditions,
    /// A rejection record with this reason.
    Rejected(String),
    /// Nothing at all (a zero-byte folder marker).
    Nothing,
}

/// One object put into the upload bucket.
pub struct Upload {
    /// Key without the upload prefix.
    pub rel: String,
    pub file: PathBuf,
    pub expect: Expect,
    /// Uploaded before notifications were on: only the backfill can announce it.
    pub before: bool,
}

/// Under an emulator (qemu-user, for the arm64 package) the decoding sandbox cannot work: its child is
/// a native process of the host, and the seccomp filter would judge qemu's own system calls. The
/// function then refuses HEIC and AVIF at their first bytes, and says why at its cold start.
pub fn sandbox_expected() -> bool {
    std::env::var("IMGKIT_E2E_EMULATOR")
        .unwrap_or_default()
        .is_empty()
}

/// How an upload named `rel` whose bytes the manifest expects as `expect` ends here.
pub fn expectation(rel: &str, expect: Expect) -> Expect {
    let heif = [".heic", ".avif"].iter().any(|ext| rel.ends_with(ext));
    if heif && !sandbox_expected() {
        Expect::Rejected("unsupported_format".into())
    } else {
        expect
    }
}

/// Every corpus file, as the manifest expects it.
pub fn corpus_uploads() -> Vec<Upload> {
    imgkit_testkit::manifest::rows()
        .into_iter()
        .map(|row| Upload {
            file: row.path(),
            expect: match row.expect {
                Ok(_) => Expect::Renditions,
                Err(kind) => Expect::Rejected(kind),
            },
            rel: row.file,
            before: false,
        })
        .collect()
}

/// The uploads that break naive thumbnailers: stems that collide, the longest legal key, characters
/// that need encoding, an object over the size limit, formats and names the function must not drop.
pub fn awkward_uploads(prefix: &str, dir: &Path) -> Vec<Upload> {
    let corpus = |f: &str| imgkit_testkit::manifest::corpus_dir().join(f);
    let write = |name: &str, bytes: Vec<u8>| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let mut heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    heic.resize(40_000, 0);
    let mut huge = std::fs::read(corpus("valid/jpeg-320x200.jpg")).unwrap();
    huge.resize(MAX_INPUT_BYTES as usize + 1024 * 1024, 0);
    // The longest legal key: prefix + rel = 1024 bytes, 2-byte characters.
    let fill = (1024 - prefix.len() - "long/".len() - ".jpg".len()) / 2;
    let mut long = format!("long/{}.jpg", "é".repeat(fill));
    if prefix.len() + long.len() < 1024 {
        long.insert(5, 'x');
    }
    let ok = |rel: &str, file: &str| Upload {
        rel: rel.to_string(),
        file: corpus(file),
        expect: Expect::Renditions,
        before: false,
    };
    let rejected = |rel: &str, file: PathBuf, reason: &str| Upload {
        rel: rel.to_string(),
        file,
        expect: Expect::Rejected(reason.to_string()),
        before: false,
    };
    let legacy = |mut u: Upload| {
        u.before = true;
        u
    };
    vec![
        ok("collide/a.jpg", "valid/jpeg-320x200.jpg"),
        ok("collide/a.png", "valid/png-rgb8.png"),
        ok("collide/a.webp", "valid/webp-lossy.webp"),
        ok(&long, "valid/jpeg-baseline-420.jpg"),
        ok("odd/a +b%20c é 写真.jpg", "valid/jpeg-baseline-422.jpg"),
        ok("valid/with space/photo.jpg", "valid/jpeg-baseline-444.jpg"),
        ok("camera/IMG_0001", "valid/jpeg-gray.jpg"),
        // Rendered animated by the WebP rendition, its ThumbHash made from the first frame.
        Upload {
            rel: "anim/wave.gif".into(),
            file: write(
                "wave.gif",
                imgkit_testkit::encode::animated_gif(96, 64, &[100, 0, 250, 70]),
            ),
            expect: Expect::Renditions,
            before: false,
        },
        rejected("big/huge.jpg", write("huge.jpg", huge), "limit:max_input_bytes"),
        // A HEIC `ftyp` and nothing behind it: the container walk finds no image (real HEIC and AVIF
        // files come with the corpus's heif/ folder and end in renditions).
        rejected("phone/photo.heic", write("photo.heic", heic), "malformed"),
        rejected(
            "docs/notes.txt",
            write("notes.txt", b"not an image\n".repeat(500)),
            "unknown_format",
        ),
        Upload {
            rel: "folder/".into(),
            file: write("marker", Vec::new()),
            expect: Expect::Nothing,
            before: false,
        },
        legacy(ok("legacy/old-1.jpg", "valid/jpeg-progressive.jpg")),
        legacy(ok("legacy/old-2.png", "valid/png-palette.png")),
        legacy(rejected(
            "legacy/old-bad.gif",
            corpus("hostile/gif-truncated.gif"),
            imgkit_testkit::manifest::row("hostile/gif-truncated.gif")
                .reason()
                .unwrap(),
        )),
    ]
}

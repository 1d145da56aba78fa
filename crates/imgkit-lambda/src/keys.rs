//! Deterministic output keys and the recursion guard.
//!
//! - rendition: `<output-prefix>/<rendition-name>/<source-key-with-the-output-extension>`
//! - rejection record: `<output-prefix>/rejected/<source-key>.json`
//!
//! (without the leading `<output-prefix>/` when the prefix is empty). The same source key always maps to
//! the same output keys, so at-least-once delivery overwrites rather than duplicates. Two sources that
//! differ only in their extension (`a.png`, `a.jpg`) map to the same rendition key: the later write wins.

use crate::settings::{Settings, REJECTED_FOLDER};

/// S3's longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;

fn join(prefix: &str, folder: &str, rest: &str) -> String {
    if prefix.is_empty() {
        format!("{folder}/{rest}")
    } else {
        format!("{prefix}/{folder}/{rest}")
    }
}

/// The key of one rendition of `source_key`, with extension `ext` (no dot).
pub fn rendition_key(prefix: &str, rendition: &str, source_key: &str, ext: &str) -> String {
    let (dir, file) = match source_key.rsplit_once('/') {
        Some((d, f)) => (Some(d), f),
        None => (None, source_key),
    };
    let stem = match file.rfind('.') {
        Some(dot) if dot > 0 => &file[..dot],
        _ => file,
    };
    let file = format!("{stem}.{ext}");
    let rest = match dir {
        Some(d) => format!("{d}/{file}"),
        None => file,
    };
    join(prefix, rendition, &rest)
}

/// The key of the rejection record of `source_key`.
pub fn rejected_key(prefix: &str, source_key: &str) -> String {
    join(prefix, REJECTED_FOLDER, &format!("{source_key}.json"))
}

/// Why writing the outputs of `bucket`/`key` would feed the function its own output, if it would:
/// the source bucket is the output bucket and the source area (`IMGKIT_SOURCE_PREFIX`) overlaps the
/// output area (`IMGKIT_OUTPUT_PREFIX/`), or the key itself lies in the output area.
pub fn recursion(settings: &Settings, bucket: &str, key: &str) -> Option<String> {
    if bucket != settings.output_bucket {
        return None;
    }
    let out_area = if settings.output_prefix.is_empty() {
        String::new()
    } else {
        format!("{}/", settings.output_prefix)
    };
    let src = &settings.source_prefix;
    if key.starts_with(&out_area) {
        return Some(format!(
            "source s3://{bucket}/{key} lies under the output prefix {out_area:?} of the output bucket"
        ));
    }
    if out_area.starts_with(src.as_str()) || src.starts_with(&out_area) {
        return Some(format!(
            "output area s3://{bucket}/{out_area} overlaps the source area s3://{bucket}/{src}"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn rendition_keys() {
        assert_eq!(
            rendition_key("", "thumb", "a/b/c.JPG", "webp"),
            "thumb/a/b/c.webp"
        );
        assert_eq!(
            rendition_key("out", "thumb", "c.tar.png", "jpg"),
            "out/thumb/c.tar.jpg"
        );
        assert_eq!(rendition_key("out/x", "m", "noext", "png"), "out/x/m/noext.png");
        assert_eq!(
            rendition_key("", "m", "dir.d/.hidden", "png"),
            "m/dir.d/.hidden.png"
        );
        assert_eq!(
            rendition_key("", "m", "red flower.jpg", "png"),
            "m/red flower.png"
        );
        assert_eq!(rejected_key("", "u/x.svg"), "rejected/u/x.svg.json");
        assert_eq!(rejected_key("p", "x"), "p/rejected/x.json");
    }

    fn settings(out_bucket: &str, out_prefix: &str, src_prefix: &str) -> Settings {
        let map: HashMap<&str, &str> = [
            ("IMGKIT_OUTPUT_BUCKET", out_bucket),
            ("IMGKIT_OUTPUT_PREFIX", out_prefix),
            ("IMGKIT_SOURCE_PREFIX", src_prefix),
            ("IMGKIT_RENDITIONS", "t=10"),
        ]
        .into_iter()
        .collect();
        Settings::from_lookup(|k| map.get(k).map(|v| v.to_string())).unwrap()
    }

    #[test]
    fn recursion_guard() {
        // Different buckets: always fine.
        assert!(recursion(&settings("out-b", "", ""), "in-b", "x.jpg").is_none());
        // Same bucket, everything is source: refused.
        assert!(recursion(&settings("same", "thumbs", ""), "same", "x.jpg").is_some());
        assert!(recursion(&settings("same", "", "uploads/"), "same", "uploads/x.jpg").is_some());
        // Same bucket, disjoint areas: fine; a key in the output area: refused.
        let s = settings("same", "thumbs", "uploads/");
        assert!(recursion(&s, "same", "uploads/x.jpg").is_none());
        assert!(recursion(&s, "same", "thumbs/t/x.jpg").is_some());
        // Output area inside the source area: refused.
        assert!(recursion(
            &settings("same", "uploads/thumbs", "uploads/"),
            "same",
            "uploads/x.jpg"
        )
        .is_some());
    }
}

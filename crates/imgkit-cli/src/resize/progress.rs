//! The progress bar on stderr: files done of all, and the rate in files and megapixels per second.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use super::outcome::{FileOutcome, FileReport};

/// The bar, and the pixels of the files processed so far (for the megapixel rate).
pub struct Progress {
    bar: ProgressBar,
    pixels: Arc<AtomicU64>,
}

impl Progress {
    /// A bar of `len` files on stderr; nothing is drawn when `hidden` or stderr is not a terminal.
    pub fn new(len: u64, hidden: bool) -> Progress {
        let pixels = Arc::new(AtomicU64::new(0));
        if hidden || !std::io::stderr().is_terminal() {
            return Progress {
                bar: ProgressBar::hidden(),
                pixels,
            };
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        let done = pixels.clone();
        let style = ProgressStyle::with_template("{bar:30} {pos}/{len} files  {rate}  ETA {eta}  {msg}").map(
            |style| {
                style.with_key(
                    "rate",
                    move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                        let pixels = done.load(Ordering::Relaxed);
                        let _ = w.write_str(&rate(state.pos(), pixels, state.elapsed()));
                    },
                )
            },
        );
        if let Ok(style) = style {
            bar.set_style(style);
        }
        Progress { bar, pixels }
    }

    /// The bar itself, to print above it or set its message.
    pub fn bar(&self) -> &ProgressBar {
        &self.bar
    }

    /// One more file done; a processed one adds its pixels to the megapixel rate.
    pub fn finished(&self, entry: &FileReport) {
        if let (FileOutcome::Processed, Some((w, h))) = (&entry.outcome, entry.source_size) {
            self.pixels
                .fetch_add(u64::from(w) * u64::from(h), Ordering::Relaxed);
        }
        self.bar.inc(1);
    }

    /// Removes the bar from the terminal.
    pub fn finish_and_clear(&self) {
        self.bar.finish_and_clear();
    }
}

/// `134 files/s · 58 MP/s`: `files` finished and `pixels` of processed files over `elapsed`, averaged
/// since the start.
pub fn rate(files: u64, pixels: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    if secs <= 0.0 {
        return "0 files/s · 0 MP/s".to_string();
    }
    let files = files as f64 / secs;
    let megapixels = pixels as f64 / 1e6 / secs;
    format!("{} files/s · {} MP/s", readable(files), readable(megapixels))
}

/// Whole numbers from 10 up; one decimal below (none when it is 0), so slow runs of large images do not
/// read as 0.
fn readable(v: f64) -> String {
    if v >= 9.95 {
        format!("{v:.0}")
    } else {
        let text = format!("{v:.1}");
        text.strip_suffix(".0").map_or(text.clone(), str::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_files_and_megapixels_per_second_without_long_decimals() {
        let second = Duration::from_secs(1);
        assert_eq!(rate(134, 58_400_000, second), "134 files/s · 58 MP/s");
        // 134.6754 files/s is rounded to a whole number.
        assert_eq!(
            rate(1_346_754, 0, Duration::from_secs(10_000)),
            "135 files/s · 0 MP/s"
        );
        // Below 10, one decimal: a run of large photos is not "0 files/s".
        assert_eq!(
            rate(3, 45_000_000, Duration::from_secs(5)),
            "0.6 files/s · 9 MP/s"
        );
        assert_eq!(rate(0, 0, Duration::ZERO), "0 files/s · 0 MP/s");
    }
}

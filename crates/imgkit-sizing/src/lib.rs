//! # imgkit-sizing
//!
//! Right-sizing imgkit on AWS Lambda, without the AWS SDK: the [`capacity`] model the function itself runs
//! by (images in flight per memory size), the price and latency [`model`] over memory sizes, and the
//! [`calibrate`]ion of the real pipeline on this machine that feeds it. `imgkit sizing` is a thin
//! subcommand over [`size`]. Calibration's generated images are the deterministic [`photo`]s (which
//! `imgkit-testkit` re-exports for the tests), and it reads the process's peak [`memory`].
//!
//! Calibration runs `Processor::process_many` with the workload's renditions on generated photo-like
//! images at 1/8, 1/4 and 1/2 of the largest allowed size, each in a fresh child process, so the peak memory
//! is the whole process's high-water mark (`VmHWM`). Time and peak memory are fitted as straight lines in
//! megapixels from the two larger sizes and extrapolated to the largest image, which is then measured
//! itself; the larger figure is used.
//!
//! ```
//! use imgkit_sizing::model::Model;
//! let model = Model {
//!     baseline_mb: 60.0,
//!     peak_mb_per_image: 120.0,
//!     ms_per_image: 300.0,
//!     batch_size: 10,
//!     safety: 1.5,
//!     latency_target_ms: 10_000.0,
//! };
//! // 1,770 MB is a hair over one vCPU: the function runs two images at once, so memory for two.
//! let row = model.row(1770);
//! assert_eq!(row.in_flight, 2);
//! assert!(row.needed_mb >= 60.0 + 2.0 * 120.0 * 1.5);
//! ```

#[cfg(feature = "calibrate")]
pub mod calibrate;
pub mod capacity;
pub mod memory;
pub mod model;
#[cfg(feature = "photo")]
pub mod photo;
#[cfg(feature = "photo")]
mod prng;
#[cfg(feature = "calibrate")]
mod report;
#[cfg(feature = "calibrate")]
mod sizing;
#[cfg(feature = "calibrate")]
mod workload;

#[cfg(feature = "calibrate")]
pub use report::{Estimate, Sizing};
#[cfg(feature = "calibrate")]
pub use sizing::size;
#[cfg(feature = "calibrate")]
pub use workload::{Workload, DEFAULT_RENDITIONS};

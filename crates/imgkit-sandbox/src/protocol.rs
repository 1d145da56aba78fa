//! The bytes on the two pipes: the parent's request (which decoder, what the container promised, the
//! child's rlimits, the compressed bytes) and the child's answer (pixels, a refusal, or "cannot confine").
//! Integers are little-endian; every answer is read against the request, never trusted for a size.

use std::io::{self, Read, Write};

/// Opens every message both ways, so that a program that is not a sandbox child reads as garbage.
const MAGIC: &[u8; 4] = b"IKSB";

/// What the container walk promised about the image, and the most its pixels may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expect {
    /// Width of the decoded image, from the container (`ispe`, grid size), after no transform.
    pub width: u32,
    /// Height, likewise.
    pub height: u32,
    /// Largest pixel buffer the parent accepts, in bytes: `width × height × channels` must fit.
    pub max_alloc: u64,
}

/// Decoded 8-bit pixels, rows top to bottom, no padding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pixels {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// 3 (RGB) or 4 (RGBA, straight alpha).
    pub channels: u8,
    /// `width × height × channels` bytes.
    pub data: Vec<u8>,
}

impl Pixels {
    /// The buffer size these dimensions need, or `None` past `u64`.
    pub(crate) fn len_for(width: u32, height: u32, channels: u8) -> Option<u64> {
        u64::from(width)
            .checked_mul(u64::from(height))?
            .checked_mul(u64::from(channels))
    }
}

/// The child's own bounds, set before it decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rlimits {
    /// RLIMIT_AS, bytes.
    pub address_space: u64,
    /// RLIMIT_CPU, seconds (soft; the hard limit, a kill, is a second later).
    pub cpu_seconds: u64,
}

pub(crate) struct Request {
    pub decoder: String,
    pub expect: Expect,
    pub rlimits: Rlimits,
    pub data: Vec<u8>,
}

/// Statuses of an answer.
const PIXELS: u8 = 0;
const REFUSED: u8 = 1;
const UNCONFINED: u8 = 2;

/// What the child says.
#[derive(Debug)]
pub(crate) enum Answer {
    Pixels(Pixels),
    /// The decoder would not decode the input (the message says why).
    Refused(String),
    /// The child could not confine itself, so it decoded nothing.
    Unconfined(String),
}

pub(crate) fn write_request(
    out: &mut impl Write,
    decoder: &str,
    expect: Expect,
    rlimits: Rlimits,
    data: &[u8],
) -> io::Result<()> {
    let name = decoder.as_bytes();
    let name_len = u8::try_from(name.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "decoder name too long"))?;
    out.write_all(MAGIC)?;
    out.write_all(&[name_len])?;
    out.write_all(name)?;
    out.write_all(&expect.width.to_le_bytes())?;
    out.write_all(&expect.height.to_le_bytes())?;
    out.write_all(&expect.max_alloc.to_le_bytes())?;
    out.write_all(&rlimits.address_space.to_le_bytes())?;
    out.write_all(&rlimits.cpu_seconds.to_le_bytes())?;
    out.write_all(&(data.len() as u64).to_le_bytes())?;
    out.write_all(data)?;
    out.flush()
}

/// Reads a request. The parent is trusted, but its data length is still read in bounded steps.
pub(crate) fn read_request(input: &mut impl Read) -> io::Result<Request> {
    magic(input)?;
    let name_len = usize::from(u8s::<1>(input)?[0]);
    let mut name = vec![0; name_len];
    input.read_exact(&mut name)?;
    let decoder = String::from_utf8(name).map_err(|_| invalid("decoder name is not UTF-8"))?;
    let expect = Expect {
        width: u32::from_le_bytes(u8s(input)?),
        height: u32::from_le_bytes(u8s(input)?),
        max_alloc: u64::from_le_bytes(u8s(input)?),
    };
    let rlimits = Rlimits {
        address_space: u64::from_le_bytes(u8s(input)?),
        cpu_seconds: u64::from_le_bytes(u8s(input)?),
    };
    let len = u64::from_le_bytes(u8s(input)?);
    let mut data = Vec::new();
    input.take(len).read_to_end(&mut data)?;
    if data.len() as u64 != len {
        return Err(invalid("request data cut short"));
    }
    Ok(Request {
        decoder,
        expect,
        rlimits,
        data,
    })
}

pub(crate) fn write_answer(out: &mut impl Write, answer: &Answer) -> io::Result<()> {
    out.write_all(MAGIC)?;
    match answer {
        Answer::Pixels(p) => {
            out.write_all(&[PIXELS])?;
            out.write_all(&p.width.to_le_bytes())?;
            out.write_all(&p.height.to_le_bytes())?;
            out.write_all(&[p.channels])?;
            out.write_all(&p.data)?;
        }
        Answer::Refused(why) | Answer::Unconfined(why) => {
            let status = if matches!(answer, Answer::Refused(_)) {
                REFUSED
            } else {
                UNCONFINED
            };
            // A message is for a log line: cut, never a size the parent must trust.
            let why = &why.as_bytes()[..why.len().min(MAX_MESSAGE)];
            out.write_all(&[status])?;
            out.write_all(&(why.len() as u32).to_le_bytes())?;
            out.write_all(why)?;
        }
    }
    out.flush()
}

const MAX_MESSAGE: usize = 1024;

/// Reads an answer to `expect`, allocating for pixels only once their size is the promised one and
/// within `expect.max_alloc`. An `Err` message says how the answer broke the protocol.
pub(crate) fn read_answer(input: &mut impl Read, expect: Expect) -> Result<Answer, String> {
    let io = |e: io::Error| format!("answer cut short: {e}");
    magic(input).map_err(|_| "answer does not start with the sandbox's magic".to_string())?;
    let status = u8s::<1>(input).map_err(io)?[0];
    let answer = match status {
        PIXELS => {
            let width = u32::from_le_bytes(u8s(input).map_err(io)?);
            let height = u32::from_le_bytes(u8s(input).map_err(io)?);
            let channels = u8s::<1>(input).map_err(io)?[0];
            if (width, height) != (expect.width, expect.height) {
                return Err(format!(
                    "decoded {width}x{height} where the container promised {}x{}",
                    expect.width, expect.height
                ));
            }
            if !matches!(channels, 3 | 4) {
                return Err(format!("{channels} channels (3 or 4 expected)"));
            }
            let len = Pixels::len_for(width, height, channels)
                .filter(|&len| len <= expect.max_alloc)
                .ok_or_else(|| {
                    format!(
                        "{width}x{height}x{channels} pixels pass the {} byte budget",
                        expect.max_alloc
                    )
                })?;
            let mut data = vec![0; len as usize];
            input.read_exact(&mut data).map_err(io)?;
            Answer::Pixels(Pixels {
                width,
                height,
                channels,
                data,
            })
        }
        REFUSED | UNCONFINED => {
            let len = u32::from_le_bytes(u8s(input).map_err(io)?) as usize;
            if len > MAX_MESSAGE {
                return Err(format!("a {len} byte message"));
            }
            let mut why = vec![0; len];
            input.read_exact(&mut why).map_err(io)?;
            let why = String::from_utf8_lossy(&why).into_owned();
            if status == REFUSED {
                Answer::Refused(why)
            } else {
                Answer::Unconfined(why)
            }
        }
        other => return Err(format!("unknown answer status {other}")),
    };
    let mut extra = [0u8; 1];
    match input.read(&mut extra) {
        Ok(0) => Ok(answer),
        Ok(_) => Err("bytes after the answer".into()),
        Err(e) => Err(io(e)),
    }
}

fn magic(input: &mut impl Read) -> io::Result<()> {
    if &u8s::<4>(input)? == MAGIC {
        Ok(())
    } else {
        Err(invalid("not a sandbox message"))
    }
}

fn u8s<const N: usize>(input: &mut impl Read) -> io::Result<[u8; N]> {
    let mut b = [0; N];
    input.read_exact(&mut b)?;
    Ok(b)
}

fn invalid(why: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const EXPECT: Expect = Expect {
        width: 3,
        height: 2,
        max_alloc: 64,
    };

    fn round_trip(answer: &Answer) -> Result<Answer, String> {
        let mut bytes = Vec::new();
        write_answer(&mut bytes, answer).unwrap();
        read_answer(&mut bytes.as_slice(), EXPECT)
    }

    #[test]
    fn a_request_reads_back_as_written() {
        let rl = Rlimits {
            address_space: 1 << 30,
            cpu_seconds: 7,
        };
        let mut bytes = Vec::new();
        write_request(&mut bytes, "heif", EXPECT, rl, b"payload").unwrap();
        let req = read_request(&mut bytes.as_slice()).unwrap();
        assert_eq!(
            (req.decoder.as_str(), req.expect, req.rlimits),
            ("heif", EXPECT, rl)
        );
        assert_eq!(req.data, b"payload");
        assert!(read_request(&mut &bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn pixels_of_the_promised_size_read_back() {
        let p = Pixels {
            width: 3,
            height: 2,
            channels: 4,
            data: (0..24).collect(),
        };
        match round_trip(&Answer::Pixels(p.clone())).unwrap() {
            Answer::Pixels(back) => assert_eq!(back, p),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn answers_that_break_the_promise_are_garbage() {
        let wrong_size = Pixels {
            width: 4,
            height: 2,
            channels: 3,
            data: vec![0; 24],
        };
        let err = round_trip(&Answer::Pixels(wrong_size)).unwrap_err();
        assert!(err.contains("promised 3x2"), "{err}");

        let mut big = Vec::new();
        write_answer(
            &mut big,
            &Answer::Pixels(Pixels {
                width: 3,
                height: 2,
                channels: 4,
                data: vec![0; 24],
            }),
        )
        .unwrap();
        let small_budget = Expect {
            max_alloc: 23,
            ..EXPECT
        };
        assert!(read_answer(&mut big.as_slice(), small_budget)
            .unwrap_err()
            .contains("budget"));
        // Cut short, trailing bytes, no magic, unknown status.
        assert!(read_answer(&mut &big[..big.len() - 1], EXPECT).is_err());
        let mut trailing = big.clone();
        trailing.push(0);
        assert!(read_answer(&mut trailing.as_slice(), EXPECT)
            .unwrap_err()
            .contains("after"));
        assert!(read_answer(&mut &b"garbage!"[..], EXPECT).is_err());
        assert!(read_answer(&mut &b"IKSB\x09"[..], EXPECT)
            .unwrap_err()
            .contains("status 9"));
    }

    #[test]
    fn refusals_carry_their_reason_cut_to_a_log_line() {
        match round_trip(&Answer::Refused("bad tile".into())).unwrap() {
            Answer::Refused(why) => assert_eq!(why, "bad tile"),
            other => panic!("{other:?}"),
        }
        match round_trip(&Answer::Unconfined("x".repeat(5000))).unwrap() {
            Answer::Unconfined(why) => assert_eq!(why.len(), MAX_MESSAGE),
            other => panic!("{other:?}"),
        }
    }
}

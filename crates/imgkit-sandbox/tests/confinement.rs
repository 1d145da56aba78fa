//! The sandbox against decoders that misbehave on purpose: each is a decoder the child may run, and
//! each test checks what the parent reports. This program is its own sandbox child.

use std::time::{Duration, Instant};

use imgkit_sandbox::{serve_if_child, Decoder, Expect, Pixels, Sandbox, SandboxError};
use libtest_mimic::{Arguments, Failed, Trial};

fn grey(_: &[u8], e: Expect) -> Result<Pixels, String> {
    let len = e.width as usize * e.height as usize * 3;
    Ok(Pixels {
        width: e.width,
        height: e.height,
        channels: 3,
        data: vec![128; len],
    })
}

/// The input bytes as RGB pixels: what goes in must come back.
fn echo(data: &[u8], e: Expect) -> Result<Pixels, String> {
    Ok(Pixels {
        width: e.width,
        height: e.height,
        channels: 3,
        data: data.to_vec(),
    })
}

/// Work spread over threads, as libheif and dav1d do.
fn threads(data: &[u8], e: Expect) -> Result<Pixels, String> {
    let sums: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = data
            .chunks(data.len().div_ceil(4).max(1))
            .map(|chunk| s.spawn(move || chunk.iter().map(|&b| u64::from(b)).sum::<u64>()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).collect()
    });
    let total: u64 = sums.iter().sum();
    let len = e.width as usize * e.height as usize * 3;
    Ok(Pixels {
        width: e.width,
        height: e.height,
        channels: 3,
        data: vec![(total % 251) as u8; len],
    })
}

fn refuse(_: &[u8], _: Expect) -> Result<Pixels, String> {
    Err("not a picture".into())
}

fn open_file(_: &[u8], _: Expect) -> Result<Pixels, String> {
    let text = std::fs::read_to_string("/etc/hostname").map_err(|e| e.to_string())?;
    Err(format!("read a file: {text}"))
}

fn open_socket(_: &[u8], _: Expect) -> Result<Pixels, String> {
    let connected = std::net::TcpStream::connect(("127.0.0.1", 9)).is_ok();
    Err(format!("made a socket (connected: {connected})"))
}

fn run_program(_: &[u8], _: Expect) -> Result<Pixels, String> {
    let ran = std::process::Command::new("/bin/true").status();
    Err(format!("started a program: {ran:?}"))
}

fn allocate(_: &[u8], _: Expect) -> Result<Pixels, String> {
    let big = vec![1u8; 8 << 30];
    Err(format!("allocated {} bytes", big.len()))
}

fn spin(data: &[u8], _: Expect) -> Result<Pixels, String> {
    let mut x = data.len() as u64;
    loop {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
}

fn sleep(_: &[u8], _: Expect) -> Result<Pixels, String> {
    std::thread::sleep(Duration::from_secs(600));
    Err("woke up".into())
}

fn wrong_size(_: &[u8], e: Expect) -> Result<Pixels, String> {
    let (width, height) = (e.width + 1, e.height);
    Ok(Pixels {
        width,
        height,
        channels: 3,
        data: vec![0; width as usize * height as usize * 3],
    })
}

fn scribble(_: &[u8], _: Expect) -> Result<Pixels, String> {
    use std::io::Write;
    let _ = std::io::stdout().write_all(b"\x89PNG not an answer");
    let _ = std::io::stdout().flush();
    std::process::exit(0)
}

fn panic(_: &[u8], _: Expect) -> Result<Pixels, String> {
    panic!("decoder bug on purpose")
}

/// What the child's environment holds, as its refusal.
fn environment(_: &[u8], _: Expect) -> Result<Pixels, String> {
    Err(std::env::vars().map(|(k, _)| k).collect::<Vec<_>>().join(","))
}

const DECODERS: &[(&str, Decoder)] = &[
    ("grey", grey),
    ("echo", echo),
    ("threads", threads),
    ("refuse", refuse),
    ("open-file", open_file),
    ("open-socket", open_socket),
    ("run-program", run_program),
    ("allocate", allocate),
    ("spin", spin),
    ("sleep", sleep),
    ("wrong-size", wrong_size),
    ("scribble", scribble),
    ("panic", panic),
    ("environment", environment),
];

const EXPECT: Expect = Expect {
    width: 4,
    height: 3,
    max_alloc: 1 << 20,
};

fn sandbox() -> Result<Sandbox, Failed> {
    Ok(Sandbox::current().map_err(|e| e.to_string())?.with_cpu_seconds(1))
}

fn decode(name: &str, data: &[u8]) -> Result<Result<Pixels, SandboxError>, Failed> {
    Ok(sandbox()?.decode(name, data, EXPECT))
}

fn expect_err(name: &str, check: impl Fn(&SandboxError) -> bool) -> Result<(), Failed> {
    match decode(name, b"input")? {
        Err(e) if check(&e) => Ok(()),
        other => Err(format!("{name}: {other:?}").into()),
    }
}

fn died_by(signal: &'static str) -> impl Fn(&SandboxError) -> bool {
    move |e| matches!(e, SandboxError::Died { how, .. } if how.contains(signal))
}

fn main() {
    serve_if_child(DECODERS);
    std::env::set_var("IMGKIT_TEST_SECRET", "parent only");
    let args = Arguments::from_args();
    let trials = vec![
        Trial::test("pixels_come_back_as_the_decoder_made_them", || {
            let data: Vec<u8> = (0..36).collect();
            let pixels = decode("echo", &data)?.map_err(|e| e.to_string())?;
            if pixels.data != data || (pixels.width, pixels.height, pixels.channels) != (4, 3, 3) {
                return Err(format!("{pixels:?}").into());
            }
            Ok(())
        }),
        Trial::test("a_12_mp_photo_comes_back_whole", || {
            // 36 MB through the pipe; the time is the sandbox's cost for a photo beside its decode.
            let expect = Expect {
                width: 4032,
                height: 3024,
                max_alloc: 64 << 20,
            };
            let started = Instant::now();
            let pixels = sandbox()?
                .decode("grey", b"", expect)
                .map_err(|e| e.to_string())?;
            eprintln!("12 MP of RGB from the child in {:?}", started.elapsed());
            if pixels.data.len() != 4032 * 3024 * 3 || pixels.data.iter().any(|&b| b != 128) {
                return Err("the pixels changed on the way".into());
            }
            Ok(())
        }),
        Trial::test("a_decoder_may_use_threads", || {
            decode("threads", &[7; 4096])?
                .map(|_| ())
                .map_err(|e| e.to_string().into())
        }),
        Trial::test("a_refusal_is_reported_with_its_reason", || {
            expect_err(
                "refuse",
                |e| matches!(e, SandboxError::Refused(why) if why == "not a picture"),
            )
        }),
        Trial::test("an_unknown_decoder_is_refused", || {
            expect_err(
                "no-such",
                |e| matches!(e, SandboxError::Refused(why) if why.contains("no-such")),
            )
        }),
        Trial::test("opening_a_file_kills_the_decoder", || {
            expect_err("open-file", died_by("SIGSYS"))
        }),
        Trial::test("opening_a_socket_kills_the_decoder", || {
            expect_err("open-socket", died_by("SIGSYS"))
        }),
        Trial::test("starting_a_program_kills_the_decoder", || {
            expect_err("run-program", died_by("SIGSYS"))
        }),
        Trial::test("allocating_past_the_limit_kills_the_decoder", || {
            expect_err("allocate", |e| {
                died_by("SIGABRT")(e)
                    && matches!(e, SandboxError::Died { detail, .. } if detail.contains("allocation"))
            })
        }),
        Trial::test("spinning_past_the_cpu_limit_kills_the_decoder", || {
            let started = Instant::now();
            expect_err("spin", died_by("CPU"))?;
            check_took(started, Duration::from_secs(3))
        }),
        Trial::test("a_decoder_that_waits_is_killed_at_the_wall_clock_limit", || {
            let started = Instant::now();
            expect_err("sleep", |e| matches!(e, SandboxError::TimedOut(_)))?;
            check_took(started, Duration::from_secs(5))
        }),
        Trial::test("pixels_of_another_size_are_garbage", || {
            expect_err(
                "wrong-size",
                |e| matches!(e, SandboxError::Garbage(why) if why.contains("promised 4x3")),
            )
        }),
        Trial::test("bytes_that_are_not_an_answer_are_garbage", || {
            expect_err("scribble", |e| matches!(e, SandboxError::Garbage(_)))
        }),
        Trial::test("a_panic_is_reported_with_its_message", || {
            expect_err(
                "panic",
                |e| matches!(e, SandboxError::Died { detail, .. } if detail.contains("on purpose")),
            )
        }),
        Trial::test("the_child_sees_none_of_the_parents_environment", || {
            expect_err(
                "environment",
                |e| matches!(e, SandboxError::Refused(vars) if vars == "IMGKIT_SANDBOX_CHILD"),
            )
        }),
    ];
    libtest_mimic::run(&args, trials).exit();
}

fn check_took(started: Instant, at_most: Duration) -> Result<(), Failed> {
    let took = started.elapsed();
    if took > at_most {
        return Err(format!("took {took:?}, more than {at_most:?}").into());
    }
    Ok(())
}

//! A server whose clock is off from Redis's: the `redis-writer` binary (app/src/bin/) run under
//! `faketime`, which shifts the clock it reads by a fixed offset, and driven line by line.
//! Without `faketime` on PATH a test says so loudly and is skipped, except under `CI=true`, where
//! it fails (`.ci/run` installs Debian's `faketime`). Redis itself cannot run under `faketime`
//! (its allocator and libfaketime call each other at start), so the offset is put on the
//! server's side: what matters is the difference between the two clocks.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A `redis-writer` process with its clock `offset` off; killed when dropped.
pub(crate) struct SkewedWriter {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl SkewedWriter {
    /// Starts a writer whose clock reads `offset` (libfaketime's format: `+2` is two seconds
    /// ahead, `-2` behind) on the Redis at `urls` (several: a cluster's nodes), with `timeout`;
    /// `None` (after saying why) when `faketime` is not installed and this is not CI. Checks
    /// that the writer's clock is indeed off by about `offset`.
    pub(crate) fn start(offset: &str, urls: &[String], timeout: Duration) -> Option<Self> {
        let Some(faketime) = super::redis::find("faketime") else {
            let message = "SKIPPED: faketime is not on PATH (Debian: apt-get install faketime)";
            if std::env::var_os("CI").is_some_and(|v| v == "true") {
                panic!("{message}; CI must run the clock-skew tests");
            }
            eprintln!("\n*** {message} ***\n");
            return None;
        };
        // libfaketime, preloaded into the writer, can take the process down as it starts (as it
        // does Redis: above); that is not what is under test, so a writer that dies before it
        // answers is started again, and how it ended is said.
        let mut ended = Vec::new();
        let (writer, theirs) = loop {
            let mut child = Command::new(&faketime)
                .args(["-f", offset, env!("CARGO_BIN_EXE_redis-writer")])
                .arg(timeout.as_millis().to_string())
                .args(urls)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("faketime runs redis-writer");
            let input = child.stdin.take().expect("piped");
            let output = BufReader::new(child.stdout.take().expect("piped"));
            let mut writer = Self {
                child,
                input,
                output,
            };
            let clock = writer.try_ask("clock");
            let theirs = clock
                .strip_prefix("ok ")
                .and_then(|ms| ms.parse::<i128>().ok());
            if let Some(theirs) = theirs {
                break (writer, theirs);
            }
            let status = writer.child.wait();
            eprintln!("redis-writer under faketime answered {clock:?} and ended: {status:?}");
            ended.push(status);
            assert!(
                ended.len() < 3,
                "the writer never told its clock: {ended:?}"
            );
        };
        let ours = i128::try_from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap();
        let wanted: i128 = offset.parse::<i128>().expect("whole seconds") * 1000;
        assert!(
            (theirs - ours - wanted).abs() < 500,
            "faketime {offset}: the writer's clock is {} ms off",
            theirs - ours
        );
        Some(writer)
    }

    /// Sends one command and waits for its answer line.
    pub(crate) fn ask(&mut self, command: &str) -> String {
        writeln!(self.input, "{command}").expect("the writer reads its input");
        self.input.flush().unwrap();
        let mut answer = String::new();
        self.output
            .read_line(&mut answer)
            .expect("the writer answers");
        answer.trim_end().to_owned()
    }

    /// As [`ask`](Self::ask), but an empty answer if the writer is gone.
    fn try_ask(&mut self, command: &str) -> String {
        let mut answer = String::new();
        if writeln!(self.input, "{command}").is_ok() && self.input.flush().is_ok() {
            let _ = self.output.read_line(&mut answer);
        }
        answer.trim_end().to_owned()
    }
}

impl Drop for SkewedWriter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

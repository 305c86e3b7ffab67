//! Helpers for the tests that run `tiergate serve`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub struct Server {
    pub child: Child,
    pub url: String,
    pub admin: Option<String>,
}

impl Server {
    pub fn start(db: &str) -> Server {
        Server::start_with(db, &[], &[])
    }

    /// `tiergate serve` with further arguments and environment variables.
    pub fn start_with(db: &str, args: &[&str], vars: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tiergate"))
            .args(["--db", db, "serve", "--bind", "127.0.0.1:0"])
            .args(args)
            .envs(vars.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let v: Value = serde_json::from_str(&first).unwrap_or_else(|e| panic!("not JSON ({e}): {first}"));
        Server {
            child,
            url: v["listening"].as_str().unwrap().to_owned(),
            admin: v["admin_token"].as_str().map(str::to_owned),
        }
    }

    /// SIGTERM, then the exit status.
    pub fn stop(mut self) -> Option<i32> {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        self.child.wait().unwrap().code()
    }
}

/// A test that panics before `stop` must not leave its server running.
impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `tiergate [--db DB] ARGS` with `input` on standard input; its output and exit status.
pub fn tiergate_stdin(db: Option<&str>, args: &[&str], input: &str) -> std::process::Output {
    use std::io::Write;
    let mut command = Command::new(env!("CARGO_BIN_EXE_tiergate"));
    if let Some(db) = db {
        command.arg("--db").arg(db);
    }
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tiergate runs");
    // Written from a thread: the child answers while it reads, and both pipes would fill.
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

/// Standard output as JSON Lines.
pub fn lines(out: &std::process::Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

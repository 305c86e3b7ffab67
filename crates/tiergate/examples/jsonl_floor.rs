//! The benchmark floor for `tiergate determine`: read JSON Lines, parse each line into a JSON value, write it
#![allow(clippy::expect_used, clippy::unwrap_used)]
//! back, with the same buffering as `tiergate determine`. Anything the engine does costs time above this.
//!
//!     cargo run --release --example jsonl_floor < requests.jsonl > /dev/null

use std::io::{self, BufRead, BufReader, Write};

fn main() -> io::Result<()> {
    let mut reader = BufReader::with_capacity(1 << 16, io::stdin().lock());
    let mut out = io::stdout().lock();
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 17);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        match serde_json::from_slice::<serde_json::Value>(&line) {
            Ok(v) => serde_json::to_writer(&mut buf, &v).map_err(io::Error::other)?,
            Err(e) => write!(buf, "{{\"error\":{:?}}}", e.to_string())?,
        }
        buf.push(b'\n');
        if buf.len() >= 1 << 16 {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    out.flush()
}

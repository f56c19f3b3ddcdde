//! Standard output for every command, with every write checked.
//!
//! Why not `println!`: it panics when the write fails, so `braid timeline | head -1` died with
//! "failed printing to stdout: Broken pipe" (exit 101) and `> /dev/full` the same. Here a
//! failed write is an [`OutputError`]; `main` ends quietly when the reader went away (as Unix
//! tools do: the reader has all it wanted) and reports anything else, such as a full disk, as
//! one line with exit code 1.

use std::fmt;
use std::io::{self, BufWriter, Write};

/// A write to standard output failed.
#[derive(Debug, thiserror::Error)]
#[error("could not write the output: {0}")]
pub struct OutputError(pub io::Error);

impl OutputError {
    /// The reader closed the pipe (`| head -1`): not an error worth a message.
    pub fn is_broken_pipe(&self) -> bool {
        self.0.kind() == io::ErrorKind::BrokenPipe
    }
}

/// Buffered standard output. Call [`Out::finish`] at the end: errors only surface on flush.
pub struct Out {
    w: BufWriter<io::Stdout>,
}

impl Out {
    pub fn stdout() -> Out {
        Out {
            w: BufWriter::new(io::stdout()),
        }
    }

    /// Lets `writeln!(out, …)` work, returning our error.
    pub fn write_fmt(&mut self, args: fmt::Arguments<'_>) -> Result<(), OutputError> {
        self.w.write_fmt(args).map_err(OutputError)
    }

    /// Writes what is buffered now (a line someone waits for, like `braid run`'s address).
    pub fn flush(&mut self) -> Result<(), OutputError> {
        self.w.flush().map_err(OutputError)
    }

    /// Flushes; the last chance to see a write error.
    pub fn finish(mut self) -> Result<(), OutputError> {
        self.flush()
    }

    /// Writes `value` as pretty JSON and a newline.
    pub fn json<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> anyhow::Result<()> {
        serde_json::to_writer_pretty(&mut self.w, value).map_err(json_error)?;
        writeln!(self)?;
        Ok(())
    }
}

/// A JSON array written one element at a time, so a long listing never sits in memory whole.
/// The bytes are the same as `serde_json::to_string_pretty` of the whole array.
pub struct JsonArray {
    count: usize,
}

impl JsonArray {
    pub fn start(out: &mut Out) -> Result<JsonArray, OutputError> {
        write!(out, "[")?;
        Ok(JsonArray { count: 0 })
    }

    pub fn push<T: serde::Serialize>(&mut self, out: &mut Out, value: &T) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(value)?;
        let sep = if self.count == 0 { "" } else { "," };
        // Raw newlines only appear between tokens (JSON escapes them inside strings), so
        // indenting after each one nests the element exactly as the whole-array form does.
        write!(out, "{sep}\n  {}", text.replace('\n', "\n  "))?;
        self.count += 1;
        Ok(())
    }

    pub fn end(self, out: &mut Out) -> Result<(), OutputError> {
        if self.count == 0 {
            writeln!(out, "]")
        } else {
            writeln!(out, "\n]")
        }
    }
}

fn json_error(e: serde_json::Error) -> anyhow::Error {
    if e.is_io() {
        OutputError(io::Error::from(e)).into()
    } else {
        e.into()
    }
}

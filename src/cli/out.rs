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
        write!(out, "{}", element(self.count, value)?)?;
        self.count += 1;
        Ok(())
    }

    pub fn end(self, out: &mut Out) -> Result<(), OutputError> {
        writeln!(out, "{}", closing(self.count))
    }
}

/// The text of the `index`th element, with its separator.
fn element<T: serde::Serialize>(index: usize, value: &T) -> serde_json::Result<String> {
    let text = serde_json::to_string_pretty(value)?;
    let sep = if index == 0 { "" } else { "," };
    // Raw newlines only appear between tokens (JSON escapes them inside strings), so indenting
    // after each one nests the element exactly as the whole-array form does.
    Ok(format!("{sep}\n  {}", text.replace('\n', "\n  ")))
}

fn closing(count: usize) -> &'static str {
    if count == 0 {
        "]"
    } else {
        "\n]"
    }
}

fn json_error(e: serde_json::Error) -> anyhow::Error {
    if e.is_io() {
        OutputError(io::Error::from(e)).into()
    } else {
        e.into()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The streamed array is byte for byte what `--json` printed before it streamed.
    #[test]
    fn streamed_array_matches_the_whole_array() {
        let items = [
            serde_json::json!({"title": "a\nb", "tags": ["x", "y"], "n": {"deep": []}}),
            serde_json::json!({"title": "c", "tags": []}),
        ];
        for items in [&items[..0], &items[..1], &items[..]] {
            let mut text = String::from("[");
            for (i, item) in items.iter().enumerate() {
                text.push_str(&element(i, item).unwrap());
            }
            text.push_str(closing(items.len()));
            assert_eq!(text, serde_json::to_string_pretty(items).unwrap());
        }
    }
}

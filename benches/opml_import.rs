//! Memory and time of `braid opml import` on a large OPML file, measured on the real binary
//! with `/usr/bin/time -v` (its "Maximum resident set size").
//!
//! Generates the file (default 50 MB, about 486,000 feed outlines; `BRAID_BENCH_OPML_MB=N` to
//! change) in a temporary directory — nothing large is committed — and imports it:
//! 1. with the default `[opml]` limits: refused before parsing;
//! 2. with `max_file_bytes` and `max_outlines` raised so the whole file is accepted (like for
//!    like with a binary that had no limits);
//! 3. `BRAID_BENCH_BEFORE=/path/to/old/braid` also runs an older binary (no config file) on the
//!    same file, for a before/after figure.
//!
//! `cargo bench --bench opml_import`; `cargo bench --no-run` only compiles it.

use std::path::Path;
use std::process::Command;

fn main() {
    let mb: usize = std::env::var("BRAID_BENCH_OPML_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => return println!("opml_import: no temporary directory: {e}"),
    };
    let file = dir.path().join("big.opml");
    let outlines = match write_opml(&file, mb * 1024 * 1024) {
        Ok(n) => n,
        Err(e) => return println!("opml_import: could not write the OPML file: {e}"),
    };
    println!("opml_import: {mb} MB file, {outlines} feed outlines");
    if Command::new("/usr/bin/time").arg("true").output().is_err() {
        return println!("opml_import: /usr/bin/time is missing (apt-get install time)");
    }
    let braid = env!("CARGO_BIN_EXE_braid");
    let raised = format!(
        "[opml]\nmax_file_bytes = {}\nmax_outlines = 1000000\n",
        mb * 1024 * 1024 + 1024 * 1024
    );
    let runs: Vec<(&str, String, Option<String>)> = [
        ("default limits", braid.to_owned(), Some(String::new())),
        ("limits raised to accept it", braid.to_owned(), Some(raised)),
    ]
    .into_iter()
    .chain(
        std::env::var("BRAID_BENCH_BEFORE")
            .ok()
            .map(|old| ("BRAID_BENCH_BEFORE binary", old, None)),
    )
    .collect();
    for (i, (label, binary, config)) in runs.into_iter().enumerate() {
        let run_dir = dir.path().join(format!("run{i}"));
        if let Err(e) = std::fs::create_dir(&run_dir) {
            return println!("opml_import: {e}");
        }
        let mut cmd = Command::new("/usr/bin/time");
        cmd.current_dir(&run_dir)
            .env("BRAID_LOG", "warn")
            .arg("-v")
            .arg(&binary);
        if let Some(config) = config {
            let path = run_dir.join("braid.toml");
            if let Err(e) = std::fs::write(&path, config) {
                return println!("opml_import: {e}");
            }
            cmd.arg("--config").arg(&path);
        }
        cmd.args(["--db", "bench.db", "opml", "import"]).arg(&file);
        let out = match cmd.output() {
            Ok(o) => o,
            Err(e) => return println!("opml_import: could not run {binary}: {e}"),
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        let field = |name: &str| {
            stderr
                .lines()
                .find_map(|l| {
                    l.trim()
                        .strip_prefix(name)
                        .map(str::trim)
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| "?".into())
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        let result = stdout
            .lines()
            .last()
            .or_else(|| stderr.lines().next())
            .unwrap_or_default();
        println!(
            "  {label:<28} max RSS {:>9} KB  wall {:>8}  exit {}  {result}",
            field("Maximum resident set size (kbytes):"),
            field("Elapsed (wall clock) time (h:mm:ss or m:ss):"),
            field("Exit status:"),
        );
    }
}

/// Writes an OPML document of about `bytes` bytes; returns the number of feed outlines.
fn write_opml(path: &Path, bytes: usize) -> std::io::Result<usize> {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        w,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\"><head><title>big</title></head><body>"
    )?;
    let (mut n, mut written) = (0usize, 0usize);
    while written < bytes {
        let line = format!(
            "<outline text=\"Feed {n:07}\" title=\"Feed {n:07}\" type=\"rss\" xmlUrl=\"https://feeds{}.example/{n:07}.xml\"/>\n",
            n % 97
        );
        w.write_all(line.as_bytes())?;
        written += line.len();
        n += 1;
    }
    writeln!(w, "</body></opml>")?;
    w.flush()?;
    Ok(n)
}

//! `braid run` as a child process: the real binary with its scheduler, outbox and web server on
//! 127.0.0.1:0, over a database in a test's directory, and the one-time setup link it prints.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running `braid run`; killed when dropped.
pub struct Daemon {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base: String,
    /// The one-time setup link it printed (`…/setup?token=…`).
    pub setup: String,
    /// Its log (stderr), for a failing test to show.
    pub log: PathBuf,
    child: Child,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    /// Starts `braid run --listen 127.0.0.1:0` in `dir` on `dir/braid.db`, with `config` as its
    /// `braid.toml` (private addresses allowed on top, for the local peers). The database must
    /// have no owner yet: returns once it has printed its address and the setup link.
    pub fn start(dir: &Path, config: &str) -> Daemon {
        let toml = dir.join("braid.toml");
        std::fs::write(&toml, config).expect("write braid.toml");
        let log = dir.join("braid-run.log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_braid"))
            .current_dir(dir)
            .env("BRAID_ALLOW_PRIVATE_NETWORKS", "1")
            .env("BRAID_LOG", "info")
            .env_remove("NO_COLOR")
            .args(["--config", "braid.toml", "--db", "braid.db"])
            .args(["run", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start braid run");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut next = || {
            lines.next().and_then(Result::ok).unwrap_or_else(|| {
                let log = std::fs::read_to_string(dir.join("braid-run.log")).unwrap_or_default();
                panic!("braid run stopped before printing its address:\n{log}")
            })
        };
        let serving = next();
        let addr = serving
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("no address in {serving:?}"))
            .to_owned();
        let no_owner = next();
        assert!(no_owner.contains("no owner yet"), "{no_owner:?}");
        let setup = next().trim().to_owned();
        assert!(setup.contains("/setup?token="), "{setup:?}");
        // Whatever else it prints is read and dropped, so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Daemon {
            base: format!("http://{addr}"),
            setup,
            log,
            child,
        }
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

//! Secrets on disk: the database holds access tokens, so it and its WAL companions are the
//! owner's alone, and a database open to others is reported at start.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::support::temp_dir;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn a_new_database_and_its_wal_files_are_owner_only() {
    let dir = temp_dir();
    let db = dir.path().join("braid.db");
    let store = braid::store::Store::open(&db).unwrap();
    // A write, so the WAL exists beside the shared-memory file.
    store
        .add_source(braid::store::NewSource {
            name: "x".into(),
            kind: "feed".into(),
            url: "https://x.example/feed".into(),
            schedule: None,
            category: None,
            settings: serde_json::json!({}),
            account: None,
        })
        .await
        .unwrap();
    assert_eq!(mode(&db), 0o600, "braid.db");
    assert_eq!(
        mode(&dir.path().join("braid.db-wal")),
        0o600,
        "braid.db-wal"
    );
    assert_eq!(
        mode(&dir.path().join("braid.db-shm")),
        0o600,
        "braid.db-shm"
    );
}

#[test]
fn a_database_readable_by_others_is_reported_at_start() {
    let dir = temp_dir();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_braid"))
            .current_dir(dir.path())
            .env_remove("BRAID_DB")
            .env("BRAID_LOG", "warn")
            .args(["source", "list"])
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success());
    let db = dir.path().join("braid.db");
    assert_eq!(mode(&db), 0o600);
    assert!(
        !String::from_utf8_lossy(&first.stderr).contains("readable by other users"),
        "a private database was reported"
    );

    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let second = run();
    assert!(second.status.success());
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("readable by other users"), "{err}");
    assert!(err.contains("chmod 600"), "{err}");
}

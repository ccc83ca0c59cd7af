//! Storage: session ids are stored hashed, and a new SQLite file is private.

use reqwest::header::SET_COOKIE;
use sha2::{Digest, Sha256};

use super::*;

#[tokio::test]
async fn the_sessions_table_holds_only_hashes_of_session_ids() {
    let app = spawn_app().await;
    let response = register_as(&app.client(), "alice", PASSWORD).await;
    let cookie = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.split(';').next()?.strip_prefix("hearth_session="))
        .expect("a session cookie")
        .to_owned();

    let stored = text_column(&app.database_url, "SELECT id FROM sessions").await;

    let hashed: String = Sha256::digest(cookie.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!stored.contains(&cookie), "the raw id is not stored");
    assert_eq!(stored, vec![hashed], "its SHA-256 is");
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_sqlite_database_is_readable_by_its_owner_alone() {
    use std::os::unix::fs::PermissionsExt;
    if std::env::var("HEARTH_TEST_DATABASE_URL").is_ok() {
        return; // this run is on PostgreSQL
    }
    let app = spawn_app().await;
    app.user("alice").await; // something written, so the WAL exists too
    let path = app
        .database_url
        .strip_prefix("sqlite:")
        .expect("a SQLite URL")
        .to_owned();
    for file in [path.clone(), format!("{path}-wal")] {
        let mode = std::fs::metadata(&file)
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file} is {:o}", mode & 0o777);
    }
}

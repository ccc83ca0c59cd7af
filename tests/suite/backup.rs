//! `hearth backup DIR` under write load: the copy holds every message acknowledged
//! before it started, and a server started on it serves them and their files. (On
//! PostgreSQL it says to use pg_dump.)

use std::sync::{Arc, Mutex};

use hearth::{Config, files::Backend};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{spawn_app_with, start_node};

#[tokio::test]
async fn a_backup_taken_while_people_write_holds_every_acknowledged_message() {
    let app = spawn_app_with(|c| {
        c.message_rate = 100_000.0;
        c.message_burst = 100_000.0;
    })
    .await;
    let ann = app.user("ann").await;
    assert_eq!(
        ann.create_room("ledger").await.status(),
        StatusCode::CREATED
    );
    let response = ann
        .upload("ledger", "receipt.bin", b"kept bytes".to_vec(), None)
        .await;
    let kept: Value = response.json().await.unwrap();

    // Four writers keep writing throughout.
    let acknowledged = Arc::new(Mutex::new(Vec::<i64>::new()));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (ann, acknowledged) = (ann.via(&app), Arc::clone(&acknowledged));
            tokio::spawn(async move {
                for n in 0.. {
                    let id = ann.say("ledger", &format!("entry {w}.{n}")).await;
                    acknowledged.lock().unwrap().push(id);
                }
            })
        })
        .collect();
    while acknowledged.lock().unwrap().len() < 200 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let before: Vec<i64> = acknowledged.lock().unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("backup");
    let mut config = Config::for_tests(app.database_url.clone());
    if let Backend::Directory(files) = &app.files.backend {
        config.files_dir = Some(files.clone());
    }
    let result = hearth::ops::backup(&config, &target).await;
    let during = acknowledged.lock().unwrap().len();
    for writer in writers {
        writer.abort();
    }

    if !app.database_url.starts_with("sqlite:") {
        let err = result.expect_err("PostgreSQL is backed up with pg_dump");
        assert!(format!("{err:#}").contains("pg_dump"), "{err:#}");
        return;
    }
    let backup = result.expect("the backup is taken");
    assert!(during >= before.len());
    // Password hashes and messages: the copy is its owner's only, as the database is.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup.database)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }

    // Restore: a server on the copy.
    let mut restored = Config::for_tests(format!("sqlite:{}", backup.database.display()));
    restored.files_dir = backup.files.clone();
    let copy = start_node(restored).await;
    let ann = copy.client().log_in("ann").await;
    let mut ids = Vec::new();
    let mut after = 0;
    loop {
        let page: Vec<Value> = ann
            .get(&format!(
                "/api/v1/rooms/ledger/messages?after={after}&limit=200"
            ))
            .await
            .json()
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = last["id"].as_i64().unwrap();
        ids.extend(page.iter().map(|m| m["id"].as_i64().unwrap()));
    }
    for id in &before {
        assert!(
            ids.contains(id),
            "message {id} was acknowledged before the backup"
        );
    }
    // One consistent moment: every message acknowledged up to the newest the copy
    // holds is in it (messages commit in id order), whenever the writers ran.
    let newest = ids.iter().copied().max().unwrap_or(0);
    let acknowledged = acknowledged.lock().unwrap().clone();
    for id in acknowledged.iter().filter(|id| **id <= newest) {
        assert!(
            ids.contains(id),
            "message {id} is missing from the copy's moment"
        );
    }
    if backup.files.is_some() {
        let got = ann.get(kept["attachment"]["url"].as_str().unwrap()).await;
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(got.bytes().await.unwrap(), b"kept bytes".as_slice());
    }
    // It refuses to overwrite.
    let again = hearth::ops::backup(&config, &target).await;
    assert!(format!("{:#}", again.unwrap_err()).contains("not empty"));
}

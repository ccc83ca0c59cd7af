//! Operations from the command line: `hearth backup DIR` takes a consistent copy of a
//! live SQLite database (SQLite's `VACUUM INTO`, which reads one snapshot while Hearth
//! keeps writing) and of the files directory beside it. Restoring is stopping Hearth,
//! copying both back, and starting it. `hearth admin promote|demote USER` sets a role,
//! `hearth admin registration open|invite|closed` who may register, and
//! `hearth admin reset-link USER` prints a one-time link to set a new password.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::{
    auth,
    config::Config,
    files::Backend,
    store::{self, Db},
};

/// Sets who may register (`open`, `invite`, `closed`), for every node.
pub async fn set_registration(config: &Config, mode: &str) -> anyhow::Result<()> {
    let Some(mode) = auth::Registration::parse(mode) else {
        bail!("registration is open, invite or closed, not {mode}");
    };
    let db = config.open_database().await?;
    let set = auth::set_registration(&db, &auth::Admin::operator(), mode).await;
    db.close().await;
    set.map_err(|err| anyhow::anyhow!("setting the registration mode: {err}"))
}

/// Sets `username`'s role (`admin` or `member`), by the same rules as the admin page
/// (a bot stays a bot; the last active admin stays one).
pub async fn set_role(config: &Config, username: &str, role: &str) -> anyhow::Result<()> {
    let db = config.open_database().await?;
    let set = auth::set_role(&db, &auth::Admin::operator(), username, role).await;
    db.close().await;
    set.map(drop).map_err(|err| {
        let why = crate::i18n::error_text(crate::i18n::Lang::En, &err);
        anyhow::anyhow!("{username} is still what they were: {why}")
    })
}

/// A one-time link for `username` to set a new password: the full URL when
/// `--public-url` is set, else the path.
pub async fn reset_link(config: &Config, username: &str) -> anyhow::Result<String> {
    let db = config.open_database().await?;
    let made = auth::reset_link(&db, &auth::Admin::operator(), username).await;
    db.close().await;
    let (token, _) = made.map_err(|err| anyhow::anyhow!("no reset link for {username}: {err}"))?;
    let base = config
        .public_url
        .as_deref()
        .unwrap_or("")
        .trim_end_matches('/');
    Ok(format!("{base}/reset/{token}"))
}

/// What a backup holds.
#[derive(Debug)]
pub struct Backup {
    pub database: PathBuf,
    /// The copied files directory, when files are kept on disk.
    pub files: Option<PathBuf>,
    pub files_copied: u64,
}

/// Copies the database (and files kept on disk) into `dir`, which must be new or empty.
pub async fn backup(config: &Config, dir: &Path) -> anyhow::Result<Backup> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!(
            "{} is not empty: back up into a new directory",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let db = config.open_database().await?;
    if matches!(db, Db::Postgres(_)) {
        db.close().await;
        bail!(
            "the database is PostgreSQL: back it up with pg_dump (for example \
             `pg_dump --format=custom --file=hearth.dump $DATABASE_URL`), and restore with pg_restore"
        );
    }
    let database = dir.join("hearth.db");
    store::copy_sqlite_into(&db, &database)
        .await
        .context("copying the database")?;
    db.close().await;
    let (files, files_copied) = match config.files().backend {
        Backend::Directory(source) if source.exists() => {
            let target = dir.join("hearth-files");
            let copied = copy_tree(&source, &target)
                .with_context(|| format!("copying the files in {}", source.display()))?;
            (Some(target), copied)
        }
        Backend::Directory(_) => (None, 0),
        Backend::S3 { url, bucket } => {
            tracing::warn!(
                %url, %bucket,
                "files are in an S3-compatible store: back the bucket up with the store's own tools"
            );
            (None, 0)
        }
    };
    Ok(Backup {
        database,
        files,
        files_copied,
    })
}

/// Copies every file under `from` to `to`, but uploads still in progress. Stored files
/// never change once written; one deleted while this runs is simply not copied.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<u64> {
    std::fs::create_dir_all(to)?;
    let mut copied = 0;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == ".uploads" {
            continue;
        }
        let (source, target) = (entry.path(), to.join(&name));
        if entry.file_type()?.is_dir() {
            copied += copy_tree(&source, &target)?;
        } else {
            match std::fs::copy(&source, &target) {
                Ok(_) => copied += 1,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => return Err(err),
            }
        }
    }
    Ok(copied)
}

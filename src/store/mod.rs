//! Every SQL statement Hearth runs, and nothing else. SQLite is the default; PostgreSQL
//! is for several nodes. Both take the same statements (`$1` placeholders, `RETURNING`,
//! times as Unix milliseconds), so each query is written once and `on_pool!` runs it on
//! whichever pool this process has (`on_writer!` when it writes: see `Sqlite`).

pub mod bots;
pub mod events;
pub mod files;
pub mod invites;
pub mod logins;
pub mod mentions;
pub mod messages;
pub mod push;
pub mod reactions;
pub mod resets;
pub mod rooms;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod sidebars;
pub mod users;

use std::{str::FromStr, time::Duration};

use sqlx::{
    Connection, PgPool, SqlitePool,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

/// A connection pool to the one database this process uses.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(Sqlite),
    Postgres(PgPool),
}

/// A SQLite database: readers share a pool, and every write goes through one
/// connection of its own. SQLite lets one writer in at a time anyway; with one
/// connection, writers wait their turn in Hearth, first come first served (sqlx hands
/// out connections fairly), instead of meeting SQLite's lock and sleeping in its busy
/// handler 1, 2, 5, 10… ms at a time (a burst of joins took 50 ms each that way, some
/// 0.7 s). PostgreSQL locks rows, so it keeps one pool for both.
#[derive(Clone, Debug)]
pub struct Sqlite {
    pub readers: SqlitePool,
    pub writer: SqlitePool,
    /// Who may post where, as last read (`rooms::Members`): a SQLite file has one
    /// server, so every change to it goes through this process and is seen.
    pub members: std::sync::Arc<rooms::Members>,
    /// Each person's joined rooms, as their sidebar last read them (`sidebars`), on the
    /// same grounds.
    pub sidebars: std::sync::Arc<sidebars::Sidebars>,
}

/// Runs the same code against whichever pool `db` holds, for reading. Each arm is
/// compiled for its own backend, so the body must be valid for both (it always is for
/// our queries).
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        $crate::store::on_sqlite_pool!($db, readers, |$pool| $body)
    };
}
pub(crate) use on_pool;

/// As `on_pool!`, for code that writes: on SQLite, the one writing connection.
macro_rules! on_writer {
    ($db:expr, |$pool:ident| $body:expr) => {
        $crate::store::on_sqlite_pool!($db, writer, |$pool| $body)
    };
}
pub(crate) use on_writer;

/// What `on_pool!` and `on_writer!` share: SQLite's pool named `$which`, or PostgreSQL's.
macro_rules! on_sqlite_pool {
    ($db:expr, $which:ident, |$pool:ident| $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite(sqlite) => {
                let $pool = &sqlite.$which;
                $body
            }
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_sqlite_pool;

/// Starts a transaction that will write. SQLite's is `BEGIN IMMEDIATE`: it takes the
/// write lock first, so a busy database (a checkpoint truncating the WAL, say) is
/// waited for (the busy timeout) rather than failing the transaction at its first
/// write after a read (`SQLITE_BUSY_SNAPSHOT`, "database is locked" at once).
pub(crate) trait BeginWrite {
    type Database: sqlx::Database;

    fn begin_write(
        &self,
    ) -> impl std::future::Future<
        Output = Result<sqlx::Transaction<'static, Self::Database>, sqlx::Error>,
    > + Send;
}

impl BeginWrite for SqlitePool {
    type Database = sqlx::Sqlite;

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Database = sqlx::Postgres;

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// Lets a type stored as JSON text (with a `parse(Option<&str>) -> Self` that reads
/// anything unreadable as empty) be read straight from a column, on either backend.
macro_rules! json_column {
    ($type:ident) => {
        impl<DB: sqlx::Database> sqlx::Type<DB> for $type
        where
            String: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $type
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&str as sqlx::Decode<DB>>::decode(value)?;
                Ok($type::parse(Some(text)))
            }
        }
    };
}
pub(crate) use json_column;

/// A storage failure. Unique violations are told apart because callers turn them
/// into a clean 409 instead of a 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a row with that key already exists")]
    Duplicate,
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Maps a unique-constraint violation to `StoreError::Duplicate`.
pub(crate) fn unique_is_duplicate(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate,
        _ => StoreError::Sqlx(err),
    }
}

/// How long a PostgreSQL connection may sit idle in the pool before it is pinged
/// again on its way out.
const PING_IDLE: Duration = Duration::from_secs(1);

impl Db {
    /// Opens the database named by `url` (`sqlite:…` or `postgres://…`) and brings its
    /// schema up to date. A SQLite file is created if missing and put in WAL mode.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let db = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // Every statement is prepared once per connection and then planned once:
            // by default PostgreSQL plans a statement afresh for each run's values
            // while that looks cheaper than its one generic plan, and for reading a
            // room's messages around a marker it always does (0.7 ms of planning for
            // 0.3 ms of work, at a million messages). Search, which does need plans
            // made for its terms, asks for them itself (`store::search`).
            let options = PgConnectOptions::from_str(url)?
                .options([("plan_cache_mode", "force_generic_plan")]);
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                // A pool pings each connection before handing it out, by default: a
                // round trip before every statement. Only a connection that has sat
                // idle for a while is pinged here (one dropped by a restarted server
                // is then replaced unseen); a busy one has just proved itself.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= PING_IDLE {
                            conn.ping().await?;
                        }
                        Ok(true)
                    })
                })
                .connect_with(options)
                .await?;
            Db::Postgres(pool)
        } else {
            let options = SqliteConnectOptions::from_str(url)?;
            create_private_file(options.get_filename())?;
            let options = options
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // NORMAL in WAL mode: a commit survives a crash of Hearth itself; only a
                // power loss or kernel crash can lose the last few commits. See README.
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                // Checkpoints copy the WAL back into the database and sync it: on the
                // committing connection they stall the message writer for tens of
                // milliseconds. `checkpoint_in_background` runs them off that path.
                .pragma("wal_autocheckpoint", "0")
                // `REGEXP`, for search: each candidate the trigram index finds is
                // checked for the term itself, ignoring case in every script.
                .with_regexp()
                .foreign_keys(true);
            // A pool pings each connection before handing it out, by default: for a
            // SQLite connection that is a round trip to its thread (sqlx runs each on
            // one), as dear as the statement itself, and a file cannot hang up.
            let readers = SqlitePoolOptions::new()
                .max_connections(8)
                .min_connections(1)
                .test_before_acquire(false)
                .connect_with(options.clone())
                .await?;
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .test_before_acquire(false)
                .connect_with(options)
                .await?;
            Db::Sqlite(Sqlite {
                readers,
                writer,
                members: std::sync::Arc::default(),
                sidebars: std::sync::Arc::default(),
            })
        };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> StoreResult<()> {
        match self {
            Db::Sqlite(sqlite) => {
                sqlx::migrate!("migrations/sqlite")
                    .run(&sqlite.writer)
                    .await?;
            }
            Db::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// With SQLite, checkpoints the WAL every second from a connection of its own
    /// (PASSIVE: it never blocks the writer), so commits never wait for one.
    pub fn checkpoint_in_background(&self) -> Option<tokio::task::JoinHandle<()>> {
        let Db::Sqlite(sqlite) = self else {
            return None;
        };
        let pool = sqlite.readers.clone();
        Some(tokio::spawn(async move {
            let mut every_second = tokio::time::interval(Duration::from_secs(1));
            loop {
                every_second.tick().await;
                if let Err(err) = checkpoint(&pool).await {
                    tracing::warn!(%err, "WAL checkpoint failed");
                }
            }
        }))
    }

    /// A cheap round trip, for `/healthz`.
    pub async fn ping(&self) -> StoreResult<()> {
        on_pool!(self, |pool| sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    pub async fn close(&self) {
        if let Db::Sqlite(sqlite) = self {
            sqlite.writer.close().await;
        }
        on_pool!(self, |pool| pool.close().await)
    }
}

/// Creates a new SQLite file readable and writable by its owner alone (0600): it holds
/// password hashes and messages. SQLite gives its `-wal` and `-shm` files the same
/// mode. An existing file is left as it is, with a warning if others may read it.
fn create_private_file(path: &std::path::Path) -> StoreResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" {
            return Ok(());
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                if let Ok(meta) = std::fs::metadata(path)
                    && meta.permissions().mode() & 0o077 != 0
                {
                    tracing::warn!(
                        path = %path.display(),
                        mode = format!("{:o}", meta.permissions().mode() & 0o777),
                        "the database file is readable by others; consider chmod 600"
                    );
                }
            }
            Err(err) => return Err(StoreError::Sqlx(sqlx::Error::Io(err))),
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The WAL may grow to this many pages (64 MiB at 4 KiB) before a checkpoint makes
/// writers wait for it to be copied back and truncated.
const WAL_LIMIT_PAGES: i64 = 16 * 1024;

/// One checkpoint: PASSIVE (never blocks anyone), and when that could not keep up with
/// a burst of writes (readers kept old pages in use, so the WAL only grew), TRUNCATE,
/// which waits for readers, copies everything back and empties the WAL file: its size
/// is bounded whatever the load.
async fn checkpoint(pool: &SqlitePool) -> StoreResult<()> {
    let (_busy, wal_pages, _copied): (i64, i64, i64) =
        sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(pool)
            .await?;
    if wal_pages > WAL_LIMIT_PAGES {
        tracing::info!(wal_pages, "the WAL outgrew its limit; truncating it");
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// Checkpoints a SQLite database now, emptying its WAL (for tools that write a lot
/// without the server's background checkpoints).
pub async fn checkpoint_now(db: &Db) -> StoreResult<()> {
    if let Db::Sqlite(sqlite) = db {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&sqlite.readers)
            .await?;
    }
    Ok(())
}

/// Writes a consistent copy of a live SQLite database to `target` (`VACUUM INTO`: one
/// read snapshot, while other connections keep writing), readable by its owner only,
/// as the database itself is: the file is made empty with that mode first (SQLite
/// copies into an empty file).
pub async fn copy_sqlite_into(db: &Db, target: &std::path::Path) -> StoreResult<()> {
    if let Db::Sqlite(sqlite) = db {
        create_private_file(target)?;
        sqlx::query("VACUUM INTO $1")
            .bind(target.to_string_lossy().into_owned())
            .execute(&sqlite.readers)
            .await?;
    }
    Ok(())
}

/// Now, as the Unix milliseconds every table stores.
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use sqlx::Connection;

    /// A database made before unread counters gets them from its history: each room's
    /// count, each message's place, and each member's place at their marker.
    #[tokio::test]
    async fn unread_counts_survive_the_migration_to_counters() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let url = format!("sqlite:{}?mode=rwc", path.display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::migrate!("migrations/sqlite")
            .run_to(12, &mut conn)
            .await
            .unwrap();
        let setup = "INSERT INTO users (id, username, username_key, password_hash, created_at)
                VALUES (1, 'ann', 'ann', 'x', 0), (2, 'bob', 'bob', 'x', 0);
            INSERT INTO rooms (id, name, name_key, created_by, created_at, last_seq, member_count)
                VALUES (1, 'quiet', 'quiet', 1, 0, 4, 2), (2, 'busy', 'busy', 1, 0, 150, 2);
            -- In `quiet`, four messages with a reaction's seq among them; ann read the first.
            INSERT INTO messages (id, room_id, seq, sender_id, text, sent_at)
                VALUES (1, 1, 1, 2, 'a', 0), (3, 1, 3, 2, 'b', 0), (4, 1, 4, 2, 'c', 0);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150)
            INSERT INTO messages (id, room_id, seq, sender_id, text, sent_at)
                SELECT 100 + i, 2, i, 2, 'x', 0 FROM n;
            INSERT INTO memberships (room_id, user_id, joined_at, last_read_id)
                VALUES (1, 1, 0, 1), (1, 2, 0, 4), (2, 1, 0, 0), (2, 2, 0, 250);";
        sqlx::raw_sql(setup).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();

        let db = super::Db::connect(&url).await.unwrap();
        let unread = |user| {
            let db = db.clone();
            async move {
                let rooms = super::rooms::list(&db, user, super::rooms::Scope::Joined)
                    .await
                    .unwrap();
                rooms
                    .iter()
                    .map(|r| (r.name.clone(), r.unread))
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            unread(1).await,
            [("busy".to_owned(), 100), ("quiet".to_owned(), 2)]
        );
        assert_eq!(
            unread(2).await,
            [("busy".to_owned(), 0), ("quiet".to_owned(), 0)]
        );
        // Reading up to the second message of `quiet` leaves one.
        assert!(super::rooms::mark_read(&db, 1, 1, 3).await.unwrap());
        assert_eq!(unread(1).await[1], ("quiet".to_owned(), 1));
    }

    /// `.cargo/config.toml` compiles the bundled SQLite with its query planner
    /// stability guarantee; without it, every statement with `LIMIT $n` is parsed and
    /// planned again each time it runs (history pages, catch-up, search). And without
    /// memory statistics, whose mutex every allocation of every connection took.
    #[tokio::test]
    async fn the_bundled_sqlite_never_plans_again_for_a_new_limit_nor_counts_memory() {
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        for option in ["ENABLE_QPSG", "DEFAULT_MEMSTATUS=0"] {
            assert!(
                options.iter().any(|o| o == option),
                "built without LIBSQLITE3_FLAGS from .cargo/config.toml: {options:?}"
            );
        }
    }
}

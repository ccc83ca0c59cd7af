//! seed: fills a database (a SQLite file or a PostgreSQL URL; no server running on it)
//! with N users, R rooms and M messages in English and Chinese, quickly, straight
//! through Hearth's own store (its migrations, its schema): the history a growing
//! community would have, for measuring how cost grows.
//!
//! One user, `seed_viewer`, belongs to `--viewer-rooms` rooms that each get
//! `--viewer-unread` messages from others, none of them read: the worst case for
//! unread counts. Every seeded user's password is `seed-password-1`. Messages carry
//! words the `search` scenario looks for: a common English word (`the`), a rare one
//! (`quokka`, about 1 in 20,000), a 4-character Chinese word (`数据迁移`, about 1 in
//! 1,000) and a 2-character one (`用户`, in most Chinese lines).

use std::time::Instant;

use anyhow::Context;
use clap::Args;
use hearth::{auth::Passwords, domain::Password, store::Db};
use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::report;

pub const SEED_PASSWORD: &str = "seed-password-1";
pub const VIEWER: &str = "seed_viewer";

#[derive(Debug, Args)]
pub struct Options {
    /// `sqlite:<file>` or `postgres://…`: created and migrated if new.
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 10_000)]
    users: usize,
    #[arg(long, default_value_t = 1_000)]
    rooms: usize,
    #[arg(long, default_value_t = 1_000_000)]
    messages: usize,
    /// Members of each room (besides the viewer).
    #[arg(long, default_value_t = 20)]
    members_per_room: usize,
    /// Rooms the viewer belongs to.
    #[arg(long, default_value_t = 50)]
    viewer_rooms: usize,
    /// Unread messages in each of the viewer's rooms (as far as `--messages` allows).
    #[arg(long, default_value_t = 10_000)]
    viewer_unread: usize,
    /// Share of messages in Chinese.
    #[arg(long, default_value_t = 0.5)]
    chinese: f64,
}

#[derive(Serialize)]
struct Figures {
    scenario: &'static str,
    users: usize,
    rooms: usize,
    messages: usize,
    seconds: f64,
    messages_per_second: f64,
    text_bytes: i64,
    /// The search index's own size (SQLite: the FTS5 table's blocks; PostgreSQL: the
    /// trigram index), and as a share of the text it covers.
    index_bytes: i64,
    index_to_text: f64,
    /// The whole database (SQLite: the file; PostgreSQL: pg_database_size).
    database_bytes: i64,
}

/// A small, fast, deterministic generator (xorshift64*): the same seed, the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

const ENGLISH: &[&str] = &[
    "the",
    "a",
    "we",
    "should",
    "deploy",
    "build",
    "release",
    "tonight",
    "meeting",
    "review",
    "notes",
    "please",
    "check",
    "server",
    "database",
    "migration",
    "is",
    "done",
    "and",
    "then",
    "lunch",
    "coffee",
    "tomorrow",
    "morning",
    "ticket",
    "bug",
    "fixed",
    "tests",
    "green",
    "red",
    "dashboard",
    "latency",
    "looks",
    "fine",
    "to",
    "me",
    "ship",
    "it",
    "after",
    "standup",
    "new",
    "office",
    "plants",
    "weekend",
    "plans",
    "anyone",
    "seen",
    "the",
    "logs",
    "for",
    "that",
    "error",
    "yesterday",
    "customer",
    "called",
    "about",
    "invoice",
    "design",
    "draft",
    "ready",
];
const CHINESE: &[&str] = &[
    "我们",
    "今天",
    "讨论",
    "数据库",
    "用户",
    "注册",
    "问题",
    "已经",
    "修复",
    "明天",
    "上线",
    "会议",
    "记录",
    "请",
    "看看",
    "服务器",
    "日志",
    "测试",
    "通过",
    "版本",
    "发布",
    "下午",
    "大家",
    "辛苦",
    "了",
    "需要",
    "确认",
    "一下",
    "这个",
    "功能",
    "设计",
    "稿",
    "客户",
    "反馈",
];

fn english(rng: &mut Rng) -> String {
    let words = 6 + rng.below(9);
    let mut line: Vec<&str> = (0..words)
        .map(|_| ENGLISH[rng.below(ENGLISH.len())])
        .collect();
    if rng.chance(1.0 / 20_000.0) {
        line.insert(rng.below(line.len()), "quokka");
    }
    let mut text = line.join(" ");
    if let Some(first) = text.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    text.push('.');
    text
}

fn chinese(rng: &mut Rng) -> String {
    let words = 5 + rng.below(8);
    let mut line: Vec<&str> = (0..words)
        .map(|_| CHINESE[rng.below(CHINESE.len())])
        .collect();
    if rng.chance(1.0 / 500.0) {
        line.insert(rng.below(line.len()), "数据迁移");
    }
    let mut text = line.concat();
    text.push('。');
    text
}

/// Rows are written this many to a statement.
const CHUNK: usize = 500;

pub async fn run(o: Options) -> anyhow::Result<bool> {
    let started = Instant::now();
    let db = Db::connect(&o.database_url)
        .await
        .with_context(|| format!("opening {}", o.database_url))?;
    let password = Password::parse(SEED_PASSWORD).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let hash = Passwords::new(1)
        .hash(password)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let now = hearth::store::now_ms();
    let users = o.users.max(2);
    let rooms = o.rooms.max(1);

    eprintln!("seed: {users} users…");
    let mut names = vec![VIEWER.to_owned()];
    names.extend((1..users).map(|n| format!("seed_user_{n}")));
    let mut user_ids = Vec::with_capacity(users);
    for chunk in names.chunks(CHUNK) {
        let mut sql = String::from(
            "INSERT INTO users (username, username_key, password_hash, created_at) VALUES ",
        );
        let mut binds = Vec::new();
        for (i, name) in chunk.iter().enumerate() {
            let b = i * 4;
            sql.push_str(&format!(
                "{}(${}, ${}, ${}, ${})",
                if i > 0 { ", " } else { "" },
                b + 1,
                b + 2,
                b + 3,
                b + 4
            ));
            binds.push(Bind::Text(name.clone()));
            binds.push(Bind::Text(name.to_lowercase()));
            binds.push(Bind::Text(hash.clone()));
            binds.push(Bind::Int(now));
        }
        sql.push_str(" RETURNING id");
        user_ids.extend(fetch_ids(&db, sql, binds).await?);
    }
    let viewer = user_ids[0];

    eprintln!("seed: {rooms} rooms and their members…");
    let mut room_ids = Vec::with_capacity(rooms);
    for chunk in (0..rooms).collect::<Vec<_>>().chunks(CHUNK) {
        let mut sql =
            String::from("INSERT INTO rooms (name, name_key, created_by, created_at) VALUES ");
        let mut binds = Vec::new();
        for (i, n) in chunk.iter().enumerate() {
            let b = i * 4;
            sql.push_str(&format!(
                "{}(${}, ${}, ${}, ${})",
                if i > 0 { ", " } else { "" },
                b + 1,
                b + 2,
                b + 3,
                b + 4
            ));
            let name = format!("seed room {n}");
            binds.push(Bind::Text(name.clone()));
            binds.push(Bind::Text(name));
            binds.push(Bind::Int(user_ids[1 + n % (users - 1)]));
            binds.push(Bind::Int(now));
        }
        sql.push_str(" RETURNING id");
        room_ids.extend(fetch_ids(&db, sql, binds).await?);
    }
    // Members: the viewer in the first rooms, and others drawn at random.
    let mut members: Vec<Vec<i64>> = Vec::with_capacity(rooms);
    let mut rows = Vec::new();
    for (r, room) in room_ids.iter().enumerate() {
        let mut these: Vec<i64> = Vec::new();
        while these.len() < o.members_per_room.min(users - 1) {
            let user = user_ids[1 + rng.below(users - 1)];
            if !these.contains(&user) {
                these.push(user);
            }
        }
        for user in &these {
            rows.push((*room, *user));
        }
        if r < o.viewer_rooms {
            rows.push((*room, viewer));
        }
        members.push(these);
    }
    for chunk in rows.chunks(CHUNK) {
        let mut sql = String::from("INSERT INTO memberships (room_id, user_id, joined_at) VALUES ");
        let mut binds = Vec::new();
        for (i, (room, user)) in chunk.iter().enumerate() {
            let b = i * 3;
            sql.push_str(&format!(
                "{}(${}, ${}, ${})",
                if i > 0 { ", " } else { "" },
                b + 1,
                b + 2,
                b + 3
            ));
            binds.push(Bind::Int(*room));
            binds.push(Bind::Int(*user));
            binds.push(Bind::Int(now));
        }
        execute(&db, sql, binds).await?;
    }

    // Messages, in time order over the last 90 days: the viewer's rooms first get
    // their share, the rest spread over every room.
    let viewer_rooms = o.viewer_rooms.min(rooms);
    let per_viewer_room = (o.viewer_unread).min(o.messages / viewer_rooms.max(1) / 2);
    let mut plan: Vec<usize> = Vec::with_capacity(o.messages);
    for room in 0..viewer_rooms {
        plan.extend(std::iter::repeat_n(room, per_viewer_room));
    }
    while plan.len() < o.messages {
        plan.push(rng.below(rooms));
    }
    // Shuffle so that rooms interleave in time.
    for i in (1..plan.len()).rev() {
        plan.swap(i, rng.below(i + 1));
    }
    eprintln!(
        "seed: {} messages ({per_viewer_room} unread in each of the viewer's {viewer_rooms} rooms)…",
        o.messages
    );
    let span_ms = 90 * 24 * 3600 * 1000_i64;
    let first_ms = now - span_ms;
    let mut seqs = vec![0_i64; rooms];
    let mut text_bytes = 0_i64;
    for (c, chunk) in plan.chunks(CHUNK).enumerate() {
        let mut sql = String::from(
            "INSERT INTO messages (room_id, seq, ord, sender_id, text, sent_at) VALUES ",
        );
        let mut binds = Vec::with_capacity(chunk.len() * 6);
        for (i, &room) in chunk.iter().enumerate() {
            let n = c * CHUNK + i;
            seqs[room] += 1;
            let text = if rng.chance(o.chinese) {
                chinese(&mut rng)
            } else {
                english(&mut rng)
            };
            text_bytes += text.len() as i64;
            let b = i * 6;
            sql.push_str(&format!(
                "{}(${}, ${}, ${}, ${}, ${}, ${})",
                if i > 0 { ", " } else { "" },
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6
            ));
            let senders = &members[room];
            binds.push(Bind::Int(room_ids[room]));
            binds.push(Bind::Int(seqs[room]));
            // Every event here creates a message: its place among them is its seq.
            binds.push(Bind::Int(seqs[room]));
            binds.push(Bind::Int(senders[rng.below(senders.len())]));
            binds.push(Bind::Text(text));
            binds.push(Bind::Int(
                first_ms + span_ms * n as i64 / o.messages.max(1) as i64,
            ));
        }
        execute(&db, sql, binds).await?;
        if c % 200 == 199 {
            eprintln!("seed: {} messages…", (c + 1) * CHUNK);
            // No server runs its checkpoints here: keep the WAL small ourselves.
            hearth::store::checkpoint_now(&db).await?;
        }
    }
    for (r, room) in room_ids.iter().enumerate() {
        if seqs[r] > 0 {
            execute(
                &db,
                "UPDATE rooms SET last_seq = $1, message_count = $1 WHERE id = $2".to_owned(),
                vec![Bind::Int(seqs[r]), Bind::Int(*room)],
            )
            .await?;
        }
    }
    if let Db::Postgres(pool) = &db {
        // A database that has lived a while has its statistics (autovacuum analyzes
        // it); without them the planner guesses, and a search may scan the wrong way.
        sqlx::query("ANALYZE").execute(pool).await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let (index_bytes, database_bytes) = sizes(&db, &o.database_url).await?;
    db.close().await;
    let figures = Figures {
        scenario: "seed",
        users,
        rooms,
        messages: o.messages,
        seconds,
        messages_per_second: report::per_second(o.messages as u64, seconds),
        text_bytes,
        index_bytes,
        index_to_text: index_bytes as f64 / text_bytes.max(1) as f64,
        database_bytes,
    };
    let lines = vec![
        format!(
            "seed: {users} users, {rooms} rooms, {} messages in {seconds:.1} s ({:.0}/s)",
            o.messages, figures.messages_per_second
        ),
        format!(
            "text {:.1} MB, search index {:.1} MB ({:.2}× the text), database {:.1} MB",
            text_bytes as f64 / 1e6,
            index_bytes as f64 / 1e6,
            figures.index_to_text,
            database_bytes as f64 / 1e6
        ),
        format!("log in as {VIEWER} / {SEED_PASSWORD}"),
    ];
    report::emit(&lines, &figures)?;
    Ok(true)
}

/// One bound value.
enum Bind {
    Int(i64),
    Text(String),
}

macro_rules! bound {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for bind in $binds {
            query = match bind {
                Bind::Int(v) => query.bind(v),
                Bind::Text(v) => query.bind(v),
            };
        }
        query
    }};
}

async fn execute(db: &Db, sql: String, binds: Vec<Bind>) -> anyhow::Result<()> {
    match db {
        Db::Sqlite(sqlite) => {
            bound!(sqlx::query(AssertSqlSafe(sql)), binds)
                .execute(&sqlite.writer)
                .await?;
        }
        Db::Postgres(pool) => {
            bound!(sqlx::query(AssertSqlSafe(sql)), binds)
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}

async fn fetch_ids(db: &Db, sql: String, binds: Vec<Bind>) -> anyhow::Result<Vec<i64>> {
    Ok(match db {
        Db::Sqlite(sqlite) => {
            bound!(sqlx::query_scalar(AssertSqlSafe(sql)), binds)
                .fetch_all(&sqlite.writer)
                .await?
        }
        Db::Postgres(pool) => {
            bound!(sqlx::query_scalar(AssertSqlSafe(sql)), binds)
                .fetch_all(pool)
                .await?
        }
    })
}

/// The search index's size and the whole database's.
async fn sizes(db: &Db, url: &str) -> anyhow::Result<(i64, i64)> {
    Ok(match db {
        Db::Sqlite(sqlite) => {
            let pool = &sqlite.readers;
            let index: Option<i64> =
                sqlx::query_scalar("SELECT SUM(length(block)) FROM messages_fts_data")
                    .fetch_one(pool)
                    .await?;
            hearth::store::checkpoint_now(db).await?;
            let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
            let file = std::fs::metadata(path).map(|m| m.len() as i64).unwrap_or(0);
            (index.unwrap_or(0), file)
        }
        Db::Postgres(pool) => {
            let index: i64 = sqlx::query_scalar("SELECT pg_relation_size('messages_text_trgm')")
                .fetch_one(pool)
                .await?;
            let database: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
                .fetch_one(pool)
                .await?;
            (index, database)
        }
    })
}

-- Times are Unix milliseconds (UTC) in both backends, so one set of queries serves both.
-- `*_key` columns hold the Unicode-lowercased name: SQLite's NOCASE only folds ASCII,
-- and names like "Ärger" or "ΣΟΦΊΑ" must collide with their lowercase forms too.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL,
    username_key  TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    id         TEXT    PRIMARY KEY,
    data       TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE login_failures (
    username_key TEXT    NOT NULL,
    failed_at    INTEGER NOT NULL
);
CREATE INDEX login_failures_by_user ON login_failures (username_key, failed_at);

CREATE TABLE rooms (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    name_key   TEXT    NOT NULL UNIQUE,
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    -- The seq of the newest message. Incrementing it takes the room's row lock, which
    -- serialises inserts per room: commit order then equals seq (and id) order.
    last_seq   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE memberships (
    room_id      INTEGER NOT NULL REFERENCES rooms (id),
    user_id      INTEGER NOT NULL REFERENCES users (id),
    joined_at    INTEGER NOT NULL,
    -- The newest message id this member has seen: unread = messages after it.
    last_read_id INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

-- AUTOINCREMENT: ids must only ever increase, even if the newest row were deleted.
CREATE TABLE messages (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id   INTEGER NOT NULL REFERENCES rooms (id),
    seq       INTEGER NOT NULL,
    sender_id INTEGER NOT NULL REFERENCES users (id),
    text      TEXT    NOT NULL,
    client_id TEXT,
    sent_at   INTEGER NOT NULL
);
CREATE INDEX messages_by_room ON messages (room_id, id);
CREATE UNIQUE INDEX messages_by_room_seq ON messages (room_id, seq);
CREATE INDEX messages_by_client_id ON messages (sender_id, client_id) WHERE client_id IS NOT NULL;

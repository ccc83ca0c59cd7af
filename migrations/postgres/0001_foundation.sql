-- Times are Unix milliseconds (UTC) in both backends, so one set of queries serves both.
-- `*_key` columns hold the Unicode-lowercased name, computed in Rust for both backends.

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT   NOT NULL,
    username_key  TEXT   NOT NULL UNIQUE,
    password_hash TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    id         TEXT   PRIMARY KEY,
    data       TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE login_failures (
    username_key TEXT   NOT NULL,
    failed_at    BIGINT NOT NULL
);
CREATE INDEX login_failures_by_user ON login_failures (username_key, failed_at);

CREATE TABLE rooms (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT   NOT NULL,
    name_key   TEXT   NOT NULL UNIQUE,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    -- The seq of the newest message. Incrementing it takes the room's row lock, which
    -- serialises inserts per room: commit order then equals seq (and id) order.
    last_seq   BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE memberships (
    room_id      BIGINT NOT NULL REFERENCES rooms (id),
    user_id      BIGINT NOT NULL REFERENCES users (id),
    joined_at    BIGINT NOT NULL,
    last_read_id BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE messages (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    room_id   BIGINT NOT NULL REFERENCES rooms (id),
    seq       BIGINT NOT NULL,
    sender_id BIGINT NOT NULL REFERENCES users (id),
    text      TEXT   NOT NULL,
    client_id TEXT,
    sent_at   BIGINT NOT NULL
);
CREATE INDEX messages_by_room ON messages (room_id, id);
CREATE UNIQUE INDEX messages_by_room_seq ON messages (room_id, seq);
CREATE INDEX messages_by_client_id ON messages (sender_id, client_id) WHERE client_id IS NOT NULL;

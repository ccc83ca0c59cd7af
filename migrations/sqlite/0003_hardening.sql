-- Login attempts replace login failures. Each attempt is recorded *before* its password
-- is checked (and deleted again if the password was right), under its username's row in
-- `login_throttles`, so parallel guesses cannot slip past the limit. `client` is the
-- address the attempt came from: while a username is locked, a client with no failed
-- attempt of its own may still log in.
DROP TABLE login_failures;

CREATE TABLE login_attempts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    username_key TEXT    NOT NULL,
    client       TEXT    NOT NULL,
    attempted_at INTEGER NOT NULL
);
CREATE INDEX login_attempts_by_user ON login_attempts (username_key, attempted_at);
CREATE INDEX login_attempts_by_time ON login_attempts (attempted_at);

-- One row per username being tried. Writing it first takes a lock (SQLite's write lock;
-- the row's lock in PostgreSQL), so counting and recording attempts for one username
-- happen one at a time.
CREATE TABLE login_throttles (
    username_key TEXT    PRIMARY KEY,
    touched_at   INTEGER NOT NULL
);

-- Session ids are stored as the SHA-256 (hex) of the cookie's value from now on, so a
-- copy of the database holds no live session. Rows keyed by raw ids cannot be kept:
-- everyone logs in again.
DELETE FROM sessions;

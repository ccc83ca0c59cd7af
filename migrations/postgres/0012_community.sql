-- Running a community: accounts that can be deactivated or deleted, sessions a person
-- can see and end, invitations, password reset links, and bots.

-- A deactivated account cannot log in (its sessions are gone). A deleted one keeps its
-- row, so its messages stay (by "deleted user"), but not its name, password or picture.
ALTER TABLE users ADD COLUMN deactivated_at BIGINT;
ALTER TABLE users ADD COLUMN deleted_at BIGINT;

-- Whose each session is, the browser that made it, and when it was made and last used
-- (to the nearest few minutes), for the account page.
ALTER TABLE sessions ADD COLUMN user_id BIGINT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN created_at BIGINT;
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT;
-- An ended session (logged out, or ended by a password change, a deactivation, a
-- deletion) stays a day as a tombstone, so a request still running on it cannot
-- write it back.
ALTER TABLE sessions ADD COLUMN ended_at BIGINT;
CREATE INDEX sessions_by_user ON sessions (user_id);
-- Sessions open before this migration know their user from their JSON.
UPDATE sessions SET user_id = (data::jsonb ->> 'user_id')::bigint
 WHERE user_id IS NULL AND data LIKE '{%';

-- A group room an admin deleted: its members and its name go (its key can match no
-- room name), its history stays in the database.
ALTER TABLE rooms ADD COLUMN deleted_at BIGINT;

-- Invitation codes, stored as their SHA-256 only (the link is shown once).
CREATE TABLE invites (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code_hash  TEXT    NOT NULL UNIQUE,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    max_uses   BIGINT NOT NULL,
    uses       BIGINT NOT NULL DEFAULT 0,
    revoked_at BIGINT
);

-- One-time password reset links an admin made, stored as their SHA-256 only.
CREATE TABLE password_resets (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX password_resets_by_user ON password_resets (user_id);

-- Bots: accounts with the `bot` role. A token is `<token_id>.<secret>`; only the
-- secret's SHA-256 is kept (none: revoked). The outgoing webhook's secret signs its
-- calls, so it is kept as it is.
CREATE TABLE bots (
    user_id              BIGINT NOT NULL PRIMARY KEY REFERENCES users (id),
    token_id             TEXT UNIQUE,
    token_hash           TEXT,
    webhook_url          TEXT,
    webhook_secret       TEXT,
    last_delivery_at     BIGINT,
    last_delivery_status TEXT,
    created_by           BIGINT REFERENCES users (id),
    created_at           BIGINT NOT NULL
);

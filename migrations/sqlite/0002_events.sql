-- A room is a stream of events, numbered by one `seq` per room (rooms.last_seq): a
-- message created (its row in `messages` keeps that seq), edited, deleted, or its
-- reactions changed (a row in `message_changes`). Every event takes the room's next
-- seq under the room's row lock, so commit order is seq order.

ALTER TABLE messages ADD COLUMN edited_at INTEGER;
-- A deleted message stays as a tombstone: id, seq, room and sender kept, text erased.
ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
-- The message's reactions, [{"emoji","users","ids"}] in the order each emoji was first
-- used: rebuilt from `reactions` whenever they change, so reading a message needs no join.
ALTER TABLE messages ADD COLUMN reactions TEXT NOT NULL DEFAULT '[]';

-- Every earlier version of an edited message, with when it was replaced.
CREATE TABLE message_edits (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL REFERENCES messages (id),
    text       TEXT    NOT NULL,
    edited_at  INTEGER NOT NULL
);
CREATE INDEX message_edits_by_message ON message_edits (message_id, id);

-- One row per person per emoji per message; `id` orders them by when they were added.
CREATE TABLE reactions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL REFERENCES messages (id),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    emoji      TEXT    NOT NULL,
    UNIQUE (message_id, emoji, user_id)
);

-- Events other than a message's creation. `body` is the new text of an edit and the
-- reactions JSON of a reaction change; a delete erases the bodies of its message's
-- earlier events along with its text.
CREATE TABLE message_changes (
    room_id    INTEGER NOT NULL REFERENCES rooms (id),
    seq        INTEGER NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('edit', 'delete', 'reactions')),
    message_id INTEGER NOT NULL REFERENCES messages (id),
    body       TEXT,
    at         INTEGER NOT NULL,
    PRIMARY KEY (room_id, seq)
);
CREATE INDEX message_changes_by_message ON message_changes (message_id);

-- The login a session belongs to (also inside `data`), so an open socket can ask
-- whether its login still has a session.
ALTER TABLE sessions ADD COLUMN login TEXT;
CREATE INDEX sessions_by_login ON sessions (login);

-- Full-text search in every script: FTS5's trigram tokenizer indexes every three
-- characters of every message, so any substring of 3 or more characters is found,
-- in Chinese as in English, ignoring case. Shorter terms are matched by scanning the
-- candidates (see store::search). External content: the text lives once, in
-- `messages`; these triggers keep the index in step with every insert, edit and
-- delete (a deleted message's text is erased, so it leaves the index).
CREATE VIRTUAL TABLE messages_fts USING fts5(
    text,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'trigram'
);
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;

-- Searches may filter by sender.
CREATE INDEX messages_by_sender ON messages (sender_id, id);

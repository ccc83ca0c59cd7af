-- Full-text search in every script: FTS5's trigram tokenizer indexes every three
-- characters of every message (folding case), so the messages holding all of a
-- term's trigrams are found in Chinese as in English; each candidate is then checked
-- for the term itself (see store::search). `detail=none` keeps only which messages
-- hold a trigram, not where: the index is then smaller than the text it covers
-- (positions would make it about twice its size). Shorter terms are matched by
-- scanning the candidates. External content: the text lives once, in `messages`;
-- these triggers keep the index in step with every insert, edit and delete (a
-- deleted message's text is erased, so it leaves the index).
CREATE VIRTUAL TABLE messages_fts USING fts5(
    text,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'trigram',
    detail = 'none'
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

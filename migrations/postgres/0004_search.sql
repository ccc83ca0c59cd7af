-- Full-text search in every script: pg_trgm's GIN index over every message's text
-- answers `ILIKE '%term%'` for any term of 3 or more characters, ignoring case, in
-- Chinese as in English. (It needs a UTF-8 LC_CTYPE: under 'C', pg_trgm extracts no
-- trigrams from Chinese and the index cannot help. See the README.) pg_trgm is a
-- trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX messages_text_trgm ON messages USING gin (text gin_trgm_ops);

-- Searches may filter by sender.
CREATE INDEX messages_by_sender ON messages (sender_id, id);

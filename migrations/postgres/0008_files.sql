-- Files: a message may carry one attachment. `file_id` finds the message (and so its
-- room, for the membership check) when the file is asked for; `attachment` is what
-- readers show (JSON: id, name, size, content type, dimensions, whether it has a
-- thumbnail), '' for none. A delete erases both.
ALTER TABLE messages ADD COLUMN file_id TEXT;
ALTER TABLE messages ADD COLUMN attachment TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX messages_by_file ON messages (file_id) WHERE file_id IS NOT NULL;
-- The key of a person's avatar in the file store, NULL for none (initials instead).
ALTER TABLE users ADD COLUMN avatar TEXT;

-- Unread counts (the sidebar's, at every page view) check each unread message's
-- sender: with the sender in the index they read only the index, never the rows.
-- This index also serves everything `messages_by_room` did.
CREATE INDEX messages_by_room_sender ON messages (room_id, id, sender_id);
DROP INDEX messages_by_room;

-- Unread counts from counters, O(1) a room however much is unread: each room counts
-- its messages, each message keeps its place in that count (`ord`, rising with `id`
-- within a room, as `seq` does), and each member keeps the place of their read marker.
-- A room's unread count is then `message_count - read_ord`, with no messages read.
ALTER TABLE rooms ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN ord INTEGER NOT NULL DEFAULT 0;
ALTER TABLE memberships ADD COLUMN read_ord INTEGER NOT NULL DEFAULT 0;

UPDATE messages SET ord = numbered.n
  FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY room_id ORDER BY id) AS n FROM messages) numbered
 WHERE messages.id = numbered.id;
-- Each place is the `ord` of one row, found by the `(room_id, id)` index newest first
-- (`MAX(ord)` would read every message of the room, for every member).
UPDATE rooms SET message_count = COALESCE(
    (SELECT ord FROM messages WHERE messages.room_id = rooms.id
      ORDER BY messages.id DESC LIMIT 1), 0);
UPDATE memberships SET read_ord = COALESCE(
    (SELECT ord FROM messages
      WHERE messages.room_id = memberships.room_id AND messages.id <= memberships.last_read_id
      ORDER BY messages.id DESC LIMIT 1), 0);

-- Direct rooms: a room of a fixed set of people, named "@" and their usernames (a
-- character group room names may not contain), never listed for joining.
ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT 'room' CHECK (kind IN ('room', 'direct'));
-- For a direct room, its people's ids in ascending order, joined by commas: one direct
-- room per set of people, however many ask for it at once.
ALTER TABLE rooms ADD COLUMN direct_key TEXT;
CREATE UNIQUE INDEX rooms_by_direct_key ON rooms (direct_key);
-- How many members a room has, kept as people join and leave: lists show it for free.
ALTER TABLE rooms ADD COLUMN member_count BIGINT NOT NULL DEFAULT 0;
UPDATE rooms SET member_count = (SELECT COUNT(*) FROM memberships m WHERE m.room_id = rooms.id);

-- A member's notification level: all, mentions or none. NULL is the room's default:
-- all in direct rooms, mentions in group rooms.
ALTER TABLE memberships ADD COLUMN notify TEXT CHECK (notify IN ('all', 'mentions', 'none'));

-- A message's Markdown rendered to HTML when it was stored (or edited), and whom it
-- mentions ([{"id","name"}]). Rows from before this keep '' and are rendered when read.
ALTER TABLE messages ADD COLUMN html TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '[]';

-- Who is mentioned where: "messages that mention me", and the "@" badge per room.
CREATE TABLE mentions (
    user_id    BIGINT NOT NULL REFERENCES users (id),
    message_id BIGINT NOT NULL REFERENCES messages (id),
    room_id    BIGINT NOT NULL REFERENCES rooms (id),
    PRIMARY KEY (user_id, message_id)
);
CREATE INDEX mentions_by_room ON mentions (room_id, user_id, message_id);

-- Whether others see "… is typing" when this person types.
ALTER TABLE users ADD COLUMN shares_typing BOOLEAN NOT NULL DEFAULT TRUE;

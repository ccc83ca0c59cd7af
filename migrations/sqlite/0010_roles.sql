-- Roles: `admin`, `member` or `bot`. The first account ever created is an admin (on an
-- existing install too: the oldest account becomes one).
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'member'
    CHECK (role IN ('admin', 'member', 'bot'));
UPDATE users SET role = 'admin' WHERE id = (SELECT MIN(id) FROM users);

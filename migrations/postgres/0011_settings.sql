-- Settings every node must agree on, by name: `registration` (`open`, `invite` or
-- `closed`; no row means `open`).
CREATE TABLE settings (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

-- Web Push. The VAPID key pair every node signs with: made by the first node to start,
-- kept here so all nodes agree (one row).
CREATE TABLE push_keys (
    id          INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    private_key TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Each browser a person subscribed, by its push service endpoint.
CREATE TABLE push_subscriptions (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint   TEXT NOT NULL UNIQUE,
    p256dh     TEXT NOT NULL,
    auth       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_by_user ON push_subscriptions (user_id);

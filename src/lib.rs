//! Hearth: a self-hosted group chat. A guided tour, in the order a message travels:
//!
//! - [`config`]: flags and environment variables.
//! - [`server`]: connection limits and timeouts, the request body limit.
//! - [`peer`]: who a request comes from (the peer, or the client a trusted proxy names).
//! - [`limit`]: per-key rate limits (per client address, per user).
//! - [`domain`]: validated values (`Username`, `RoomName`, `MessageText`, …), one rule each.
//! - [`store`]: every SQL statement, for SQLite and PostgreSQL alike.
//! - [`auth`]: passwords (argon2id), sessions in the database, login throttling, CSRF.
//! - [`rooms`]: creating, joining and listing rooms; the membership rule.
//! - [`messages`]: the send path — parse, rate-limit, then the single writer task that
//!   commits in batches and publishes each committed message once.
//! - [`live`]: the fan-out task that delivers each committed message once, in commit
//!   order (with Redis between nodes), the hub that hands it to every open socket,
//!   and what all sockets share (pings, limits, catch-up).
//! - [`web`]: HTML pages and htmx fragments, the page WebSocket, static assets.
//! - [`api`]: the JSON API (OpenAPI at `/api/v1/openapi.json`) and the JSON WebSocket.
//! - [`error`]: what can go wrong, rendered as a page or as problem+json.
//! - [`metrics`]: Prometheus counters at `/metrics`.
//! - [`app`]: wiring it all together, serving, shutting down.

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod limit;
pub mod live;
pub mod messages;
pub mod metrics;
pub mod peer;
pub mod render;
pub mod rooms;
pub mod server;
pub mod store;
pub mod web;

pub use app::{App, AppState};
pub use config::Config;

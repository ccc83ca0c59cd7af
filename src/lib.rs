//! Hearth: a self-hosted group chat. A guided tour, in the order an event travels from
//! a socket (or a form, or the API) to the database and back out to every screen:
//!
//! - [`config`]: flags and environment variables.
//! - [`server`]: connection limits and timeouts, the request body limit.
//! - [`peer`]: who a request comes from (the peer, or the client a trusted proxy names).
//! - [`limit`]: per-key rate limits (per client address, per user).
//! - [`error`]: what can go wrong, as a status and a [`error::Code`]; never words.
//! - [`domain`]: validated values (`Username`, `RoomName`, `MessageText`, `Emoji`, …),
//!   one rule each.
//! - [`store`]: every SQL statement, for SQLite and PostgreSQL alike. A room is a stream
//!   of events (`store::events`): a message created, edited or deleted, or its reactions
//!   changed, each numbered by the room's next `seq` under the room's row lock. On
//!   SQLite, reads share a pool and every write queues for one connection of its own
//!   (`on_writer!`). Two things are kept in memory there: who may post where
//!   (`store::rooms::Members`, forgotten by every write that ends a membership), and
//!   each person's sidebar (`store::sidebars`: served while each of its rooms is at the
//!   seq it was read at, and nothing was joined, left, renamed or read since).
//! - [`auth`]: passwords (argon2id, on threads in the idle scheduling class), sessions in the database (kept in memory too; a
//!   node that ends one tells the others through `auth::Peers`, which the Redis bridge
//!   implements), login throttling, CSRF; one's
//!   account (password, sessions, deletion) and what admins do to accounts (roles,
//!   deactivation, reset links, invitations: each takes an `auth::Admin`, the proof
//!   that an admin acts); bots, whose `Authorization: Bearer`
//!   token stands in for a session. Logins that end close their sockets through
//!   `auth::Revoke`, which the live hub implements.
//! - [`rooms`]: creating, joining, leaving and listing rooms (and, for admins, renaming
//!   and deleting them and removing members), direct rooms of a fixed
//!   set of people, notification levels; the membership rule (`rooms::open_as_member`
//!   for reading, `rooms::open_to_post` for sending). What a person's other
//!   pages must hear (a room joined, read or left) goes out through `rooms::RoomNews`,
//!   which the live hub implements.
//! - [`people`]: finding people by name, the messages that mention you, typing.
//! - [`files`]: uploads streamed to a spool file while counted, typed by their first
//!   bytes, given a thumbnail, then kept in a directory or an S3-compatible store
//!   (`object_store`); a message carries its file (`store::files::Attachment`), and
//!   deleting the message deletes the file.
//! - [`messages`]: the write path — check a message or a change (who may, the value,
//!   the sender's rate), then the single writer task that commits writes in batches
//!   and hands each committed event to the fan-out, once, in commit order. Reading:
//!   each room's newest page is kept (`messages::Recent`) by the `seq` it was read at,
//!   so an event from any node makes the next view read it again.
//! - [`render`]: how a message or event looks, once for every surface: its Markdown,
//!   rendered to safe HTML when it is stored (`render::markdown`, which also finds
//!   its `@mentions`), the JSON object (API and JSON socket) and the HTML fragment
//!   (pages and page socket).
//! - [`live`]: the fan-out task that delivers each committed event once, in seq order
//!   (filling gaps from the database, and, through a relay that only `app` connects
//!   to Redis, to and from other nodes); the hub that hands it to every open socket
//!   of the room (and "typing", which is never stored), and to one person's sockets
//!   for what concerns them alone (`live::UserEvent`: a logout, a room joined, read or
//!   left elsewhere, a notification level, typing shared or not); and what all sockets
//!   share (catch-up by seq, pings, limits,
//!   session re-checks).
//! - [`webhooks`]: bots' outgoing webhooks, offered each new message the same way as
//!   Web Push below (never awaited, a bounded queue), signed, and whose answer is
//!   posted back as the bot's reply through the writer.
//! - [`push`]: Web Push to members who have no socket open anywhere: each new message
//!   this node commits is offered (never awaited) to a bounded queue; one task finds
//!   whom it should reach (notification levels, mentions), and a few workers send it,
//!   encrypted and VAPID-signed, to each browser's push service.
//! - [`i18n`]: English and Simplified Chinese: the pages' words and every error code's.
//! - [`web`]: HTML pages and htmx fragments, the page WebSocket, static assets.
//! - [`api`]: the JSON API (OpenAPI at `/api/v1/openapi.json`) and the JSON WebSocket.
//! - [`metrics`]: Prometheus metrics at `/metrics` (the `metrics` crate): requests by
//!   route, sockets, deliveries and their lag, queues, cache hits.
//! - [`ops`]: `hearth backup DIR`, a consistent copy of a live SQLite database and its
//!   files; `hearth admin …` (roles, registration, reset links).
//! - [`app`]: wiring it all together (errors become problem+json or pages in one
//!   place), serving, shutting down.

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod domain;
pub mod error;
pub mod files;
pub mod i18n;
pub mod limit;
pub mod live;
pub mod messages;
pub mod metrics;
pub mod ops;
pub mod peer;
pub mod people;
pub mod push;
pub mod render;
pub mod rooms;
pub mod server;
pub mod store;
pub mod web;
pub mod webhooks;

pub use app::{App, AppState};
pub use config::Config;

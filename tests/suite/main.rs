//! Hearth's integration tests: one binary, each test against a real server on a free
//! port with its own SQLite file (or, with `HEARTH_TEST_DATABASE_URL`, PostgreSQL),
//! driven by a real HTTP client and real WebSocket clients.

// Shared with tests/cluster, which uses a different part of it.
#[allow(dead_code)]
mod helpers;

mod accounts;
mod admin;
mod api_auth;
mod api_events;
mod api_messages;
mod api_rooms;
mod backup;
mod bots;
mod caches;
mod files;
mod hardening;
mod live_api;
mod live_pages;
mod pages;
mod people;
mod persistence;
mod push;
mod push_receiver;
mod roles;
mod search;

//! What stands between the network and the routes: how many connections are held and
//! for how long (`acceptor`), and how large a request body may be (`body`).

mod acceptor;
mod body;
mod deadlines;

pub use acceptor::{ConnectionLimits, GuardedAcceptor, default_max_connections};
pub use body::{BodyLimit, MAX_BODY_BYTES, is_multipart};

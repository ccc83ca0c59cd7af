//! Live delivery. An event committed by `messages::writer` goes to this node's
//! `fanout` task (and, with several nodes, through the relay to theirs), which renders
//! it once into a `Delivery` (JSON frame and page fragment) and publishes it once to
//! the `hub`, in each room's seq order; every socket open on the room reads it from
//! the room's bounded channel (`socket` holds what all sockets share). Events for one
//! person (a logout, a room joined or read elsewhere) go through their own channel in
//! the hub (`user_event`). `relay` is how the hub and fan-out tell other nodes, and
//! `redis_bridge` carries it; only `app` wires the two together.

pub mod delivery;
pub mod fanout;
pub mod flood;
pub mod hub;
pub mod redis_bridge;
pub mod relay;
pub mod socket;
pub mod user_event;

pub use delivery::Delivery;
pub use fanout::{Fanout, Inbound};
pub use flood::FloodJudge;
pub use hub::{Control, Hub, RoomEvent};
pub use relay::Relay;
pub use user_event::UserEvent;

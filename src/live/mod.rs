//! Live delivery. A message committed by `messages::writer` goes to this node's
//! `fanout` task (and, with several nodes, through `redis` to theirs), which renders it
//! once into a `Delivery` (HTML fragment and JSON frame) and publishes it once to the
//! `hub`, in each room's commit order; every socket open on the room reads it from the
//! room's bounded channel (`socket` holds what all sockets share).

pub mod fanout;
pub mod frames;
pub mod hub;
pub mod redis;
pub mod socket;

pub use fanout::{Fanout, Inbound};
pub use frames::Delivery;
pub use hub::{Control, Hub, RoomEvent};

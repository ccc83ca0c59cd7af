//! Live delivery. A message is committed by `messages::writer`, rendered once into a
//! `Delivery` (HTML fragment and JSON frame), and published once to the `Hub`; every
//! socket open on the room reads it from the room's bounded channel.

pub mod frames;
pub mod hub;
pub mod socket;

pub use frames::Delivery;
pub use hub::{Control, Hub, RoomEvent};

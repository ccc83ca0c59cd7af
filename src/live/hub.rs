//! The hub: one broadcast channel per room with open sockets, presence counts, and a
//! control channel for logouts and shutdown. Publishing is O(1) whatever the number of
//! listeners: each socket reads the shared event from the room's ring buffer at its
//! own pace, and one that falls a whole ring behind is told so (`Lagged`) and closed.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicBool, Ordering},
    },
};

use tokio::sync::broadcast;

use super::frames::{Delivery, Presence};

/// How many events a socket may fall behind its room before it is closed (1013).
pub const ROOM_BUFFER: usize = 1024;

/// What a room's sockets hear.
#[derive(Clone, Debug)]
pub enum RoomEvent {
    Message(Arc<Delivery>),
    Presence(Arc<Presence>),
}

/// What every socket hears, whatever its room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Control {
    /// This login ended: its sockets close with 1008.
    Revoke(String),
    /// The server is stopping: sockets close with 1012 so clients reconnect elsewhere.
    Shutdown,
}

struct Room {
    events: broadcast::Sender<RoomEvent>,
    /// Open sockets per user, for "N online".
    online: HashMap<i64, usize>,
}

pub struct Hub {
    rooms: Mutex<HashMap<i64, Room>>,
    control: broadcast::Sender<Control>,
    shutting_down: AtomicBool,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Self {
        Self {
            rooms: Mutex::new(HashMap::new()),
            control: broadcast::channel(64).0,
            shutting_down: AtomicBool::new(false),
        }
    }

    fn rooms(&self) -> MutexGuard<'_, HashMap<i64, Room>> {
        // A panic while holding this lock cannot leave the map half-updated.
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Hands a committed message to every socket open on its room.
    pub fn publish(&self, delivery: Arc<Delivery>) {
        let room_id = delivery.message.room_id;
        let mut rooms = self.rooms();
        if let Some(room) = rooms.get(&room_id) {
            // Rooms are forgotten lazily: here, once nobody listens any more.
            if room.events.send(RoomEvent::Message(delivery)).is_err() && room.online.is_empty() {
                rooms.remove(&room_id);
            }
        }
    }

    /// Starts listening to a room. Subscribe before reading history, then skip ids
    /// already seen: that leaves no gap between the two.
    pub fn subscribe(&self, room_id: i64) -> broadcast::Receiver<RoomEvent> {
        let mut rooms = self.rooms();
        let room = rooms.entry(room_id).or_insert_with(|| Room {
            events: broadcast::channel(ROOM_BUFFER).0,
            online: HashMap::new(),
        });
        room.events.subscribe()
    }

    /// Counts `user_id` as online in the room until the guard is dropped.
    pub fn enter(self: &Arc<Self>, room_id: i64, user_id: i64) -> PresenceGuard {
        self.change_presence(room_id, user_id, true);
        PresenceGuard {
            room_id,
            user_id,
            hub: Arc::clone(self),
        }
    }

    /// How many distinct users have a socket open on the room.
    pub fn online(&self, room_id: i64) -> usize {
        self.rooms().get(&room_id).map_or(0, |r| r.online.len())
    }

    fn change_presence(&self, room_id: i64, user_id: i64, arrived: bool) {
        let mut rooms = self.rooms();
        let Some(room) = rooms.get_mut(&room_id) else {
            return;
        };
        let before = room.online.len();
        if arrived {
            *room.online.entry(user_id).or_default() += 1;
        } else if let Some(count) = room.online.get_mut(&user_id) {
            *count -= 1;
            if *count == 0 {
                room.online.remove(&user_id);
            }
        }
        if room.online.len() != before {
            let presence = Presence::new(room_id, room.online.len());
            let _ = room.events.send(RoomEvent::Presence(Arc::new(presence)));
        }
        if room.online.is_empty() && room.events.receiver_count() == 0 {
            rooms.remove(&room_id);
        }
    }

    pub fn control(&self) -> broadcast::Receiver<Control> {
        self.control.subscribe()
    }

    /// Closes every socket of `login` (on logout).
    pub fn revoke(&self, login: String) {
        let _ = self.control.send(Control::Revoke(login));
    }

    /// Refuses new sockets from now on and asks open ones to close with 1012.
    pub fn shut_down(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        let _ = self.control.send(Control::Shutdown);
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }
}

/// Keeps a user counted as online in a room while it lives.
pub struct PresenceGuard {
    room_id: i64,
    user_id: i64,
    hub: Arc<Hub>,
}

impl Drop for PresenceGuard {
    fn drop(&mut self) {
        self.hub.change_presence(self.room_id, self.user_id, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::messages::MessageRow;

    fn delivery(room_id: i64, id: i64) -> Arc<Delivery> {
        Arc::new(Delivery::new(MessageRow {
            id,
            room_id,
            room: "r".into(),
            sender_id: 1,
            sender: "ann".into(),
            text: format!("m{id}"),
            client_id: None,
            sent_at: 0,
        }))
    }

    fn next_message(sub: &mut broadcast::Receiver<RoomEvent>) -> Option<i64> {
        loop {
            match sub.try_recv() {
                Ok(RoomEvent::Message(d)) => return Some(d.message.id),
                Ok(RoomEvent::Presence(_)) => continue,
                Err(_) => return None,
            }
        }
    }

    #[test]
    fn a_published_message_reaches_only_its_rooms_subscribers() {
        let hub = Arc::new(Hub::new());
        let mut a = hub.subscribe(1);
        let mut b = hub.subscribe(1);
        let mut other = hub.subscribe(2);
        hub.publish(delivery(1, 7));
        assert_eq!(next_message(&mut a), Some(7));
        assert_eq!(next_message(&mut b), Some(7));
        assert_eq!(next_message(&mut other), None);
    }

    #[test]
    fn presence_counts_users_not_sockets() {
        let hub = Arc::new(Hub::new());
        let _sub = hub.subscribe(1);
        let first = hub.enter(1, 10);
        let second_tab = hub.enter(1, 10);
        let other = hub.enter(1, 11);
        assert_eq!(hub.online(1), 2);
        drop(second_tab);
        assert_eq!(hub.online(1), 2);
        drop(first);
        drop(other);
        assert_eq!(hub.online(1), 0);
    }

    #[test]
    fn a_reader_that_falls_a_whole_buffer_behind_is_told_it_lagged() {
        let hub = Arc::new(Hub::new());
        let mut slow = hub.subscribe(1);
        for id in 0..(ROOM_BUFFER as i64 + 5) {
            hub.publish(delivery(1, id));
        }
        assert!(matches!(
            slow.try_recv(),
            Err(broadcast::error::TryRecvError::Lagged(_))
        ));
    }

    #[test]
    fn a_room_nobody_listens_to_is_forgotten() {
        let hub = Arc::new(Hub::new());
        let a = hub.subscribe(1);
        let b = hub.subscribe(1);
        drop(a);
        hub.publish(delivery(1, 1));
        assert!(hub.rooms().contains_key(&1));
        drop(b);
        hub.publish(delivery(1, 2));
        assert!(!hub.rooms().contains_key(&1));
    }
}

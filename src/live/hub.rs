//! The hub: one broadcast channel per room with open sockets on this node, who is
//! online, and a control channel for logouts and shutdown. Publishing is O(1) whatever
//! the number of listeners: each socket reads the shared event from the room's ring
//! buffer at its own pace, and one that falls a whole ring behind is told so
//! (`Lagged`) and closed. The hub also remembers, per room, the newest `seq` it has
//! delivered, so `live::fanout` can drop duplicates and notice gaps.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex, MutexGuard, OnceLock,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::sync::{broadcast, mpsc};

use super::{
    frames::{Delivery, Presence},
    redis::Outbound,
};

/// How many events a socket may fall behind its room before it is closed (1013).
pub const ROOM_BUFFER: usize = 1024;

/// Another node's report of who is online is trusted this long without a refresh.
pub const REMOTE_PRESENCE_TTL: Duration = Duration::from_secs(30);

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
    /// A user joined (or created) a room: their open pages start counting its unread.
    Joined {
        user_id: i64,
        room_id: i64,
        last_seq: i64,
    },
}

/// Whether a committed message with a given seq should be delivered now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Nobody on this node listens to the room.
    Unwatched,
    /// Already delivered (Redis and the local writer both brought it).
    Duplicate,
    /// The next one: deliver it.
    Next,
    /// Messages after `after` are missing: fetch them first.
    Gap { after: i64 },
}

struct Room {
    events: broadcast::Sender<RoomEvent>,
    /// The newest seq delivered to this room's sockets.
    last_seq: i64,
    /// This node's open sockets per user.
    online: HashMap<i64, usize>,
    /// Other nodes' online users, with when they last said so.
    remote_online: HashMap<String, (HashSet<i64>, Instant)>,
}

impl Room {
    fn online_count(&self) -> usize {
        let mut users: HashSet<i64> = self.online.keys().copied().collect();
        for (remote, at) in self.remote_online.values() {
            if at.elapsed() < REMOTE_PRESENCE_TTL {
                users.extend(remote);
            }
        }
        users.len()
    }

    fn is_idle(&self) -> bool {
        self.online.is_empty() && self.events.receiver_count() == 0
    }
}

pub struct Hub {
    rooms: Mutex<HashMap<i64, Room>>,
    control: broadcast::Sender<Control>,
    shutting_down: AtomicBool,
    /// With several nodes: where to tell the others about presence and logouts.
    relay: OnceLock<mpsc::UnboundedSender<Outbound>>,
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
            relay: OnceLock::new(),
        }
    }

    fn rooms(&self) -> MutexGuard<'_, HashMap<i64, Room>> {
        // A panic while holding this lock cannot leave the map half-updated.
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts listening to a room. `last_seq` is the room's newest seq as read from the
    /// database *before* this call: the hub will not skip anything committed after it.
    /// Subscribe before reading history, then skip ids already seen: no gap, no repeat.
    pub fn subscribe(&self, room_id: i64, last_seq: i64) -> broadcast::Receiver<RoomEvent> {
        let mut rooms = self.rooms();
        let room = rooms.entry(room_id).or_insert_with(|| Room {
            events: broadcast::channel(ROOM_BUFFER).0,
            last_seq,
            online: HashMap::new(),
            remote_online: HashMap::new(),
        });
        room.events.subscribe()
    }

    /// Where a committed message with `seq` stands against what was delivered.
    pub fn admit(&self, room_id: i64, seq: i64) -> Admit {
        let mut rooms = self.rooms();
        let Some(room) = rooms.get(&room_id) else {
            return Admit::Unwatched;
        };
        if room.is_idle() {
            // Rooms are forgotten lazily: here, once nobody listens any more.
            rooms.remove(&room_id);
            return Admit::Unwatched;
        }
        match seq - room.last_seq {
            ..=0 => Admit::Duplicate,
            1 => Admit::Next,
            _ => Admit::Gap {
                after: room.last_seq,
            },
        }
    }

    /// Hands a committed message to every socket open on its room on this node.
    pub fn publish(&self, delivery: Arc<Delivery>) {
        let (room_id, seq) = (delivery.message.room_id, delivery.message.seq);
        if let Some(room) = self.rooms().get_mut(&room_id) {
            room.last_seq = room.last_seq.max(seq);
            // An error only means nobody is listening right now.
            let _ = room.events.send(RoomEvent::Message(delivery));
        }
    }

    /// Rooms with listeners here, and the newest seq each has seen.
    pub fn watched_rooms(&self) -> Vec<(i64, i64)> {
        self.rooms()
            .iter()
            .map(|(id, r)| (*id, r.last_seq))
            .collect()
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

    /// How many distinct users have a socket open on the room, on any node.
    pub fn online(&self, room_id: i64) -> usize {
        self.rooms().get(&room_id).map_or(0, Room::online_count)
    }

    fn change_presence(&self, room_id: i64, user_id: i64, arrived: bool) {
        let mut rooms = self.rooms();
        let Some(room) = rooms.get_mut(&room_id) else {
            return;
        };
        let users_before = room.online.len();
        if arrived {
            *room.online.entry(user_id).or_default() += 1;
        } else if let Some(count) = room.online.get_mut(&user_id) {
            *count -= 1;
            if *count == 0 {
                room.online.remove(&user_id);
            }
        }
        if room.online.len() != users_before {
            let local: Vec<i64> = room.online.keys().copied().collect();
            Self::announce_presence(room);
            self.tell_other_nodes(Outbound::Presence {
                room_id,
                users: local,
            });
        }
        if room.is_idle() && room.remote_online.is_empty() {
            rooms.remove(&room_id);
        }
    }

    fn announce_presence(room: &Room) {
        let presence = Presence::new(room.online_count());
        let _ = room.events.send(RoomEvent::Presence(Arc::new(presence)));
    }

    /// Another node says who is online in a room there.
    pub fn remote_presence(&self, node: &str, room_id: i64, users: Vec<i64>) {
        let mut rooms = self.rooms();
        let Some(room) = rooms.get_mut(&room_id) else {
            return;
        };
        let before = room.online_count();
        room.remote_online.insert(
            node.to_owned(),
            (users.into_iter().collect(), Instant::now()),
        );
        room.remote_online
            .retain(|_, (_, at)| at.elapsed() < REMOTE_PRESENCE_TTL);
        if room.online_count() != before {
            Self::announce_presence(room);
        }
    }

    /// This node's online users per room, for other nodes.
    pub fn local_presence(&self) -> Vec<(i64, Vec<i64>)> {
        self.rooms()
            .iter()
            .map(|(id, r)| (*id, r.online.keys().copied().collect()))
            .collect()
    }

    /// Relays presence changes and logouts to other nodes (the Redis bridge).
    pub fn relay_to(&self, relay: mpsc::UnboundedSender<Outbound>) {
        let _ = self.relay.set(relay);
    }

    fn tell_other_nodes(&self, event: Outbound) {
        if let Some(relay) = self.relay.get() {
            let _ = relay.send(event);
        }
    }

    pub fn control(&self) -> broadcast::Receiver<Control> {
        self.control.subscribe()
    }

    /// Closes every socket of `login` (on logout), on every node.
    pub fn revoke(&self, login: String) {
        self.tell_other_nodes(Outbound::Revoke(login.clone()));
        self.revoke_here(login);
    }

    /// Closes this node's sockets of `login` (another node saw the logout).
    pub fn revoke_here(&self, login: String) {
        let _ = self.control.send(Control::Revoke(login));
    }

    /// Tells `user_id`'s open pages, on every node, about a room they just joined.
    pub fn joined(&self, user_id: i64, room_id: i64, last_seq: i64) {
        self.tell_other_nodes(Outbound::Joined {
            user_id,
            room_id,
            last_seq,
        });
        self.joined_here(user_id, room_id, last_seq);
    }

    /// Tells this node's pages of `user_id` about a room they joined.
    pub fn joined_here(&self, user_id: i64, room_id: i64, last_seq: i64) {
        let _ = self.control.send(Control::Joined {
            user_id,
            room_id,
            last_seq,
        });
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
        // seq follows id in these tests.
        Arc::new(Delivery::new(MessageRow {
            id,
            room_id,
            seq: id,
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
        let mut a = hub.subscribe(1, 0);
        let mut b = hub.subscribe(1, 0);
        let mut other = hub.subscribe(2, 0);
        hub.publish(delivery(1, 7));
        assert_eq!(next_message(&mut a), Some(7));
        assert_eq!(next_message(&mut b), Some(7));
        assert_eq!(next_message(&mut other), None);
    }

    #[test]
    fn presence_counts_users_not_sockets() {
        let hub = Arc::new(Hub::new());
        let _sub = hub.subscribe(1, 0);
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
        let mut slow = hub.subscribe(1, 0);
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
        let a = hub.subscribe(1, 0);
        let b = hub.subscribe(1, 0);
        drop(a);
        assert_eq!(hub.admit(1, 1), Admit::Next);
        drop(b);
        assert_eq!(hub.admit(1, 1), Admit::Unwatched);
        assert!(!hub.rooms().contains_key(&1));
    }

    #[test]
    fn admission_drops_repeats_and_reports_gaps() {
        let hub = Arc::new(Hub::new());
        let _sub = hub.subscribe(1, 10);
        assert_eq!(hub.admit(1, 10), Admit::Duplicate);
        assert_eq!(hub.admit(1, 11), Admit::Next);
        assert_eq!(hub.admit(1, 14), Admit::Gap { after: 10 });
        hub.publish(delivery(1, 11));
        assert_eq!(hub.admit(1, 11), Admit::Duplicate);
        assert_eq!(hub.admit(1, 12), Admit::Next);
    }

    #[test]
    fn users_online_on_other_nodes_count_once() {
        let hub = Arc::new(Hub::new());
        let _sub = hub.subscribe(1, 0);
        let _here = hub.enter(1, 10);
        hub.remote_presence("node-b", 1, vec![10, 11]);
        assert_eq!(hub.online(1), 2, "user 10 is on both nodes but counts once");
        hub.remote_presence("node-b", 1, vec![]);
        assert_eq!(hub.online(1), 1);
    }
}

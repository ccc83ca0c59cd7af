//! The hub: one broadcast channel per room with open sockets on this node, one per
//! signed-in user with open sockets here, who is online, and a node-wide control
//! channel for shutdown. Publishing is O(1) whatever the number of listeners: each
//! socket reads the shared event from the channel's ring buffer at its own pace, and
//! one that falls a whole ring behind is told so (`Lagged`) and closed. The hub also
//! remembers, per room, the newest `seq` it has delivered, so `live::fanout` can drop
//! duplicates and notice gaps. It does not know how other nodes are reached: it tells
//! them through a `Relay`, when it has one.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::sync::broadcast::{self, error::RecvError};

use super::user_event::UserEvent;
use super::{
    delivery::Delivery,
    relay::{Outbound, Relay},
};
use crate::{
    domain::Notify,
    render::html::{Presence, Typing},
    rooms::{self, RoomNews},
};

/// How many events a socket may fall behind its room before it is closed (1013).
pub const ROOM_BUFFER: usize = 1024;
/// How many events one person's sockets may fall behind their own channel.
const USER_BUFFER: usize = 64;

/// Another node's report of who is online is trusted this long without a refresh.
pub const REMOTE_PRESENCE_TTL: Duration = Duration::from_secs(30);

/// What a room's sockets hear.
#[derive(Clone, Debug)]
pub enum RoomEvent {
    /// A committed event, rendered.
    Delivery(Arc<Delivery>),
    Presence(Arc<Presence>),
    /// Someone is typing: never stored, no seq.
    Typing(Arc<Typing>),
}

/// What every socket on this node hears.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Control {
    /// The server is stopping: sockets close with 1012 so clients reconnect elsewhere.
    Shutdown,
    /// Logouts may have been missed (the Redis link was down): every socket checks
    /// that its session still exists.
    RecheckSessions,
}

/// Whether a committed event with a given seq should be delivered now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Nobody on this node listens to the room.
    Unwatched,
    /// Already delivered (Redis and the local writer both brought it).
    Duplicate,
    /// The next one: deliver it.
    Next,
    /// Events after `after` are missing: fetch them first.
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

/// Users another node reported online, and when.
type Reported = (HashSet<i64>, Instant);

pub struct Hub {
    rooms: Mutex<HashMap<i64, Room>>,
    users: Mutex<HashMap<i64, broadcast::Sender<UserEvent>>>,
    /// Who other nodes last said has a socket open there, by node (a node not heard
    /// from in `REMOTE_PRESENCE_TTL` is forgotten).
    elsewhere: Mutex<HashMap<String, Reported>>,
    control: broadcast::Sender<Control>,
    shutting_down: AtomicBool,
    /// With several nodes: where to tell the others about presence and users' events.
    relay: Option<Relay>,
}

/// A panic while holding one of the hub's locks cannot leave its map half-updated.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Hub {
    /// A hub that tells other nodes through `relay`, if there are any.
    pub fn new(relay: Option<Relay>) -> Self {
        Self {
            rooms: Mutex::new(HashMap::new()),
            users: Mutex::new(HashMap::new()),
            elsewhere: Mutex::new(HashMap::new()),
            control: broadcast::channel(16).0,
            shutting_down: AtomicBool::new(false),
            relay,
        }
    }

    fn rooms(&self) -> MutexGuard<'_, HashMap<i64, Room>> {
        lock(&self.rooms)
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

    /// Where a committed event with `seq` stands against what was delivered.
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

    /// Hands a committed event to every socket open on its room on this node.
    pub fn publish(&self, delivery: Arc<Delivery>) {
        let (room_id, seq) = (delivery.event.room_id, delivery.seq());
        if let Some(room) = self.rooms().get_mut(&room_id) {
            room.last_seq = room.last_seq.max(seq);
            // An error only means nobody is listening right now.
            let _ = room.events.send(RoomEvent::Delivery(delivery));
        }
    }

    /// Tells a room's sockets, on every node, that someone is typing.
    pub fn typing(&self, room_id: i64, room: &str, user_id: i64, user: &str) {
        self.tell_other_nodes(Outbound::Typing {
            room_id,
            room: room.to_owned(),
            user_id,
            user: user.to_owned(),
        });
        self.typing_here(room_id, room, user_id, user);
    }

    /// Tells this node's sockets on a room that someone is typing.
    pub fn typing_here(&self, room_id: i64, room: &str, user_id: i64, user: &str) {
        if let Some(r) = self.rooms().get(&room_id) {
            let typing = Typing::new(room, user_id, user);
            // An error only means nobody is listening right now.
            let _ = r.events.send(RoomEvent::Typing(Arc::new(typing)));
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
            let users: Vec<i64> = room.online.keys().copied().collect();
            Self::announce_presence(room);
            self.tell_other_nodes(Outbound::Presence { room_id, users });
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

    /// Whether `user_id` has Hearth open: any socket on this node (each holds its user's
    /// channel), or on another node by what that node said (at once when it changes,
    /// and every few seconds in full).
    pub fn is_connected(&self, user_id: i64) -> bool {
        if lock(&self.users)
            .get(&user_id)
            .is_some_and(|channel| channel.receiver_count() > 0)
        {
            return true;
        }
        lock(&self.elsewhere)
            .values()
            .any(|(users, at)| at.elapsed() < REMOTE_PRESENCE_TTL && users.contains(&user_id))
    }

    /// Everyone with a socket on this node, for other nodes.
    pub fn local_connections(&self) -> Vec<i64> {
        lock(&self.users)
            .iter()
            .filter(|(_, channel)| channel.receiver_count() > 0)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Another node says who has a socket open there (all of them).
    pub fn remote_connections(&self, node: &str, users: Vec<i64>) {
        let mut elsewhere = lock(&self.elsewhere);
        elsewhere.retain(|_, (_, at)| at.elapsed() < REMOTE_PRESENCE_TTL);
        elsewhere.insert(
            node.to_owned(),
            (users.into_iter().collect(), Instant::now()),
        );
    }

    /// Another node says someone opened their first socket there, or closed their last.
    pub fn remote_connection(&self, node: &str, user_id: i64, connected: bool) {
        let mut elsewhere = lock(&self.elsewhere);
        let (users, _) = elsewhere
            .entry(node.to_owned())
            .or_insert_with(|| (HashSet::new(), Instant::now()));
        if connected {
            users.insert(user_id);
        } else {
            users.remove(&user_id);
        }
    }

    /// This node's online users per room, for other nodes.
    pub fn local_presence(&self) -> Vec<(i64, Vec<i64>)> {
        self.rooms()
            .iter()
            .map(|(id, r)| (*id, r.online.keys().copied().collect()))
            .collect()
    }

    fn tell_other_nodes(&self, item: Outbound) {
        if let Some(relay) = &self.relay {
            relay.try_send(item);
        }
    }

    pub fn control(&self) -> broadcast::Receiver<Control> {
        self.control.subscribe()
    }

    /// Listens to what concerns `user_id` until the channel is dropped, with no limit.
    #[cfg(test)]
    fn user(self: &Arc<Self>, user_id: i64) -> UserChannel {
        self.user_socket(user_id, usize::MAX)
            .expect("no limit to reach")
    }

    /// A socket's subscription to its user's channel, unless the user already has
    /// `limit` sockets open on this node: every socket holds exactly one, so the
    /// channel's receivers are the count, checked and taken under one lock.
    pub fn user_socket(self: &Arc<Self>, user_id: i64, limit: usize) -> Option<UserChannel> {
        let mut users = lock(&self.users);
        let channel = users
            .entry(user_id)
            .or_insert_with(|| broadcast::channel(USER_BUFFER).0);
        if channel.receiver_count() >= limit {
            return None;
        }
        if channel.receiver_count() == 0 {
            self.tell_other_nodes(Outbound::Connected {
                user_id,
                connected: true,
            });
        }
        Some(UserChannel {
            events: channel.subscribe(),
            user_id,
            hub: Arc::clone(self),
        })
    }

    /// Tells `user_id`'s sockets, on every node.
    pub fn tell_user(&self, user_id: i64, event: UserEvent) {
        self.tell_other_nodes(Outbound::User {
            user_id,
            event: event.clone(),
        });
        self.tell_user_here(user_id, event);
    }

    /// Tells `user_id`'s sockets on this node (another node said so).
    pub fn tell_user_here(&self, user_id: i64, event: UserEvent) {
        if let Some(channel) = lock(&self.users).get(&user_id) {
            // An error only means the last socket just closed.
            let _ = channel.send(event);
        }
    }

    /// Closes every socket of one login (on logout), on every node.
    pub fn revoke(&self, user_id: i64, login: String) {
        self.tell_user(user_id, UserEvent::Revoke { login });
    }

    /// Closes every socket of a person, on every node.
    pub fn revoke_all(&self, user_id: i64) {
        self.tell_user(user_id, UserEvent::RevokeAll);
    }

    /// Asks every socket on this node to check that its session still exists.
    pub fn recheck_sessions(&self) {
        let _ = self.control.send(Control::RecheckSessions);
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

impl crate::auth::Revoke for Hub {
    fn revoke(&self, user_id: i64, login: String) {
        Hub::revoke(self, user_id, login);
    }

    fn revoke_all(&self, user_id: i64) {
        Hub::revoke_all(self, user_id);
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

impl RoomNews for Hub {
    fn joined(&self, user_id: i64, room: &rooms::Room) {
        let event = UserEvent::Joined {
            room_id: room.id,
            last_seq: room.last_seq,
            name: room.name.clone(),
            direct: room.direct,
        };
        self.tell_user(user_id, event);
    }

    fn read(&self, user_id: i64, room_id: i64) {
        self.tell_user(user_id, UserEvent::Read { room_id });
    }

    fn left(&self, user_id: i64, room_id: i64) {
        self.tell_user(user_id, UserEvent::Left { room_id });
    }

    fn notify_changed(&self, user_id: i64, room_id: i64, notify: Notify) {
        let notify = notify.as_str().to_owned();
        self.tell_user(user_id, UserEvent::Notify { room_id, notify });
    }

    fn renamed(&self, user_id: i64, room: &rooms::Room) {
        let name = room.name.clone();
        self.tell_user(
            user_id,
            UserEvent::Renamed {
                room_id: room.id,
                name,
            },
        );
    }
}

/// One socket's subscription to its user's channel; the channel goes when the
/// user's last socket on this node does.
pub struct UserChannel {
    events: broadcast::Receiver<UserEvent>,
    user_id: i64,
    hub: Arc<Hub>,
}

impl UserChannel {
    /// The next event for this user. `Lagged` means some were missed: close the socket.
    pub async fn recv(&mut self) -> Result<UserEvent, RecvError> {
        self.events.recv().await
    }
}

impl Drop for UserChannel {
    fn drop(&mut self) {
        let mut users = lock(&self.hub.users);
        // This receiver still counts until the end of `drop`.
        if users
            .get(&self.user_id)
            .is_some_and(|channel| channel.receiver_count() <= 1)
        {
            users.remove(&self.user_id);
            self.hub.tell_other_nodes(Outbound::Connected {
                user_id: self.user_id,
                connected: false,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{
        events::{Event, EventKind},
        messages::MessageRow,
        reactions::Reactions,
    };

    fn delivery(room_id: i64, id: i64) -> Arc<Delivery> {
        // seq follows id in these tests.
        let message = MessageRow {
            id,
            room_id,
            seq: id,
            room: "r".into(),
            sender_id: 1,
            sender: "ann".into(),
            text: format!("m{id}"),
            client_id: None,
            sent_at: 0,
            edited_at: None,
            deleted: false,
            reactions: Reactions::default(),
            html: String::new(),
            mentions: Default::default(),
            attachment: Default::default(),
            avatar: None,
        };
        Arc::new(Delivery::new(Event {
            room_id,
            room: "r".into(),
            seq: id,
            kind: EventKind::Message(message),
        }))
    }

    fn next_message(sub: &mut broadcast::Receiver<RoomEvent>) -> Option<i64> {
        loop {
            match sub.try_recv() {
                Ok(RoomEvent::Delivery(d)) => return Some(d.event.message_id()),
                Ok(RoomEvent::Presence(_) | RoomEvent::Typing(_)) => continue,
                Err(_) => return None,
            }
        }
    }

    #[test]
    fn a_published_message_reaches_only_its_rooms_subscribers() {
        let hub = Arc::new(Hub::new(None));
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
        let hub = Arc::new(Hub::new(None));
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
        let hub = Arc::new(Hub::new(None));
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
        let hub = Arc::new(Hub::new(None));
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
        let hub = Arc::new(Hub::new(None));
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
        let hub = Arc::new(Hub::new(None));
        let _sub = hub.subscribe(1, 0);
        let _here = hub.enter(1, 10);
        hub.remote_presence("node-b", 1, vec![10, 11]);
        assert_eq!(hub.online(1), 2, "user 10 is on both nodes but counts once");
        hub.remote_presence("node-b", 1, vec![]);
        assert_eq!(hub.online(1), 1);
    }

    #[test]
    fn someone_with_a_page_open_anywhere_is_connected() {
        let hub = Arc::new(Hub::new(None));
        assert!(!hub.is_connected(7));
        let socket = hub.user_socket(7, 10).unwrap();
        assert!(hub.is_connected(7), "a socket here");
        drop(socket);
        assert!(!hub.is_connected(7));
        // Another node: its change at once, then its full list.
        hub.remote_connection("node-b", 7, true);
        assert!(hub.is_connected(7), "a socket on another node");
        hub.remote_connection("node-b", 7, false);
        assert!(!hub.is_connected(7));
        hub.remote_connections("node-b", vec![7, 8]);
        assert!(hub.is_connected(7) && hub.is_connected(8));
        hub.remote_connections("node-b", vec![8]);
        assert!(!hub.is_connected(7));
    }
}

#[cfg(test)]
mod user_tests {
    use super::*;

    #[tokio::test]
    async fn a_users_event_reaches_only_that_users_sockets() {
        let hub = Arc::new(Hub::new(None));
        let mut ann = hub.user(1);
        let mut ann_again = hub.user(1);
        let mut bob = hub.user(2);
        hub.tell_user(1, UserEvent::Read { room_id: 9 });
        assert_eq!(ann.recv().await.unwrap(), UserEvent::Read { room_id: 9 });
        assert_eq!(
            ann_again.recv().await.unwrap(),
            UserEvent::Read { room_id: 9 }
        );
        assert!(bob.events.try_recv().is_err(), "bob hears nothing");
    }

    #[tokio::test]
    async fn a_user_may_hold_only_so_many_sockets() {
        let hub = Arc::new(Hub::new(None));
        let first = hub.user_socket(1, 2).expect("one");
        let _second = hub.user_socket(1, 2).expect("two");
        assert!(hub.user_socket(1, 2).is_none(), "a third is refused");
        assert!(hub.user_socket(2, 2).is_some(), "others are not limited");
        drop(first);
        assert!(
            hub.user_socket(1, 2).is_some(),
            "a closed one frees its place"
        );
    }

    #[tokio::test]
    async fn a_users_channel_goes_with_their_last_socket() {
        let hub = Arc::new(Hub::new(None));
        let first = hub.user(1);
        let second = hub.user(1);
        drop(first);
        assert!(lock(&hub.users).contains_key(&1));
        drop(second);
        assert!(!lock(&hub.users).contains_key(&1));
    }

    #[tokio::test]
    async fn a_user_channel_that_overflows_reports_lagged() {
        let hub = Arc::new(Hub::new(None));
        let mut slow = hub.user(1);
        for room_id in 0..(USER_BUFFER as i64 + 1) {
            hub.tell_user(1, UserEvent::Read { room_id });
        }
        assert!(matches!(slow.recv().await, Err(RecvError::Lagged(_))));
    }
}

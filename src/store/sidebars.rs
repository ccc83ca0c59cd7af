//! Each person's rooms as their sidebar last read them (`rooms::list`'s joined rooms,
//! with what is unread), kept in memory on SQLite so that a page view needs no trip to
//! the database's threads for them. A SQLite file has one server, so every write to it
//! goes through this process and is seen here; PostgreSQL may have other nodes
//! writing, so there the list is always read.
//!
//! A kept list is served only while nothing in it can have changed:
//! - each of its rooms is still at the seq it was read at. Every committed event moves
//!   its room's seq (`advanced`), and an event is the only way a room's message count,
//!   its writer's read marker and its mentions change;
//! - nothing changed for this person since the read began (`changed_for`: their read
//!   marker or notification level, or a room made with them in it);
//! - nothing changed for everyone since (`changed_for_all`: someone joined or left a
//!   room, or a room was renamed or deleted).
//!
//! A change is stamped after it commits, and a read takes its stamp before it starts:
//! a read that raced a change is older than the change, and is never served.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use super::rooms::RoomSummary;

/// Past this many people, rooms or stamps, what is kept starts again empty (the next
/// views read their lists once more), so memory stays bounded.
const MAX_KEPT: usize = 50_000;

#[derive(Debug, Default)]
pub struct Sidebars(Mutex<Kept>);

#[derive(Debug, Default)]
struct Kept {
    /// Counts changes: the stamp of the newest one.
    clock: u64,
    /// The stamp of the newest change to everyone's lists.
    all_changed: u64,
    /// By person: the stamp of the newest change to their list alone.
    changed: HashMap<i64, u64>,
    /// By room: the newest seq committed in it (for every room in a kept list, and
    /// every room with an event since).
    seqs: HashMap<i64, i64>,
    /// By person: their list, and the stamp taken before it was read.
    lists: HashMap<i64, (u64, Arc<[RoomSummary]>)>,
}

impl Sidebars {
    /// `user_id`'s kept list, if nothing in it can have changed since it was read.
    pub(super) fn get(&self, user_id: i64) -> Option<Arc<[RoomSummary]>> {
        let kept = self.lock();
        let (read_at, rooms) = kept.lists.get(&user_id)?;
        let current = kept.is_current(user_id, *read_at)
            && rooms.iter().all(|r| {
                kept.seqs
                    .get(&r.id)
                    .is_some_and(|&newest| r.last_seq >= newest)
            });
        current.then(|| rooms.clone())
    }

    /// The stamp a read takes before it starts, for `keep`.
    pub(super) fn stamp(&self) -> u64 {
        self.lock().clock
    }

    /// Keeps `rooms`, read for `user_id` after `stamp`, unless something changed since.
    pub(super) fn keep(&self, user_id: i64, stamp: u64, rooms: &Arc<[RoomSummary]>) {
        let mut kept = self.lock();
        if !kept.is_current(user_id, stamp) {
            return;
        }
        if kept.lists.len() >= MAX_KEPT {
            kept.lists.clear();
        }
        for room in rooms.iter() {
            // An event committed since the read has already put its newer seq here.
            kept.seqs.entry(room.id).or_insert(room.last_seq);
        }
        kept.lists.insert(user_id, (stamp, Arc::clone(rooms)));
        if kept.seqs.len() > MAX_KEPT {
            kept.start_again();
        }
    }

    /// Events committed, each `(room_id, seq)`: a batch's, under one lock.
    pub(super) fn advanced(&self, events: impl IntoIterator<Item = (i64, i64)>) {
        let mut kept = self.lock();
        for (room_id, seq) in events {
            let newest = kept.seqs.entry(room_id).or_insert(seq);
            *newest = (*newest).max(seq);
        }
        if kept.seqs.len() > MAX_KEPT {
            kept.start_again();
        }
    }

    /// Something only `user_id`'s list shows changed, and has committed.
    pub(super) fn changed_for(&self, user_id: i64) {
        let mut kept = self.lock();
        kept.clock += 1;
        let now = kept.clock;
        kept.changed.insert(user_id, now);
        kept.lists.remove(&user_id);
        if kept.changed.len() > MAX_KEPT {
            kept.start_again();
        }
    }

    /// Something anyone's list may show changed, and has committed.
    pub(super) fn changed_for_all(&self) {
        self.lock().start_again();
    }

    fn lock(&self) -> MutexGuard<'_, Kept> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Kept {
    /// Whether a list read for `user_id` after `stamp` is newer than every change to it.
    fn is_current(&self, user_id: i64, stamp: u64) -> bool {
        stamp >= self.all_changed && self.changed.get(&user_id).is_none_or(|&at| stamp >= at)
    }

    /// Forgets everything: every read begun before now is refused, so nothing dropped
    /// here (a room's newer seq, say) can come back stale.
    fn start_again(&mut self) {
        self.clock += 1;
        self.all_changed = self.clock;
        self.changed.clear();
        self.seqs.clear();
        self.lists.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(id: i64, last_seq: i64, unread: i64) -> RoomSummary {
        RoomSummary {
            id,
            name: format!("room{id}"),
            name_key: format!("room{id}"),
            kind: "room".to_owned(),
            created_at: 0,
            last_seq,
            members: 2,
            unread,
            mentioned: 0,
            last_read_id: 0,
            notify: None,
        }
    }

    fn list<const N: usize>(rooms: [RoomSummary; N]) -> Arc<[RoomSummary]> {
        Arc::new(rooms)
    }

    fn unread(list: Option<Arc<[RoomSummary]>>) -> Option<Vec<i64>> {
        list.map(|rooms| rooms.iter().map(|r| r.unread).collect())
    }

    #[test]
    fn a_kept_list_is_served_until_an_event_moves_one_of_its_rooms() {
        let sidebars = Sidebars::default();
        let stamp = sidebars.stamp();
        sidebars.keep(1, stamp, &list([room(10, 5, 0), room(11, 7, 3)]));
        assert_eq!(unread(sidebars.get(1)), Some(vec![0, 3]));
        // An event elsewhere changes nothing here.
        sidebars.advanced([(12, 40)]);
        assert_eq!(unread(sidebars.get(1)), Some(vec![0, 3]));
        sidebars.advanced([(11, 8)]);
        assert_eq!(sidebars.get(1).map(|l| l.len()), None);
    }

    #[test]
    fn a_read_that_began_before_an_event_is_not_served_after_it() {
        let sidebars = Sidebars::default();
        let stamp = sidebars.stamp();
        // The read saw seq 5; the event at 6 committed before the list was kept.
        sidebars.advanced([(10, 6)]);
        sidebars.keep(1, stamp, &list([room(10, 5, 0)]));
        assert!(sidebars.get(1).is_none());
        // Read again, after it: served.
        let stamp = sidebars.stamp();
        sidebars.keep(1, stamp, &list([room(10, 6, 1)]));
        assert_eq!(unread(sidebars.get(1)), Some(vec![1]));
    }

    #[test]
    fn a_change_for_one_person_drops_theirs_and_refuses_reads_begun_before_it() {
        let sidebars = Sidebars::default();
        let stamp = sidebars.stamp();
        sidebars.keep(1, stamp, &list([room(10, 5, 4)]));
        sidebars.keep(2, stamp, &list([room(10, 5, 4)]));
        let racing = sidebars.stamp();
        // Person 1 read the room: their marker moved.
        sidebars.changed_for(1);
        assert!(sidebars.get(1).is_none());
        assert_eq!(unread(sidebars.get(2)), Some(vec![4]));
        // A read of person 1's list that began before the change is not kept.
        sidebars.keep(1, racing, &list([room(10, 5, 4)]));
        assert!(sidebars.get(1).is_none());
        let stamp = sidebars.stamp();
        sidebars.keep(1, stamp, &list([room(10, 5, 0)]));
        assert_eq!(unread(sidebars.get(1)), Some(vec![0]));
    }

    #[test]
    fn a_change_for_all_drops_every_list_and_every_read_begun_before_it() {
        let sidebars = Sidebars::default();
        let stamp = sidebars.stamp();
        sidebars.keep(1, stamp, &list([room(10, 5, 0)]));
        sidebars.changed_for_all();
        assert!(sidebars.get(1).is_none());
        sidebars.keep(2, stamp, &list([room(10, 5, 0)]));
        assert!(sidebars.get(2).is_none());
    }

    #[test]
    fn starting_again_forgets_a_newer_seq_without_serving_an_older_one() {
        let sidebars = Sidebars::default();
        let stamp = sidebars.stamp();
        sidebars.advanced([(10, 6)]);
        // Enough rooms with events to start again: room 10's seq 6 is forgotten.
        for id in 0..=MAX_KEPT as i64 {
            sidebars.advanced([(1000 + id, 1)]);
        }
        // A read from before all that, which saw seq 5, must not be kept as current.
        sidebars.keep(1, stamp, &list([room(10, 5, 0)]));
        assert!(sidebars.get(1).is_none());
    }
}

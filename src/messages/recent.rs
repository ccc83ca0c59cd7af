//! The newest page of each room that pages are opened on, kept in memory.
//!
//! Every event takes its room's next `seq`, so a room's newest page is a function of
//! its `last_seq`: a kept page whose `room_seq` equals the `last_seq` the reader has
//! just read is exactly what the database would return. Nothing needs to tell this
//! cache about writes, on one node or many; a page read at an older seq is simply
//! read again.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use crate::{
    error::AppResult,
    metrics,
    rooms::Room,
    store::{self, Db, messages::MessageRow},
};

/// A room's newest messages, oldest first, as of `room_seq`.
#[derive(Debug)]
pub struct RecentPage {
    pub rows: Vec<MessageRow>,
    /// The room's seq these rows show everything up to.
    pub room_seq: i64,
    /// How many rows were asked for (fewer come back from a short room).
    limit: i64,
}

impl RecentPage {
    /// Rows read some other way, to be shown like a kept page.
    pub fn new(rows: Vec<MessageRow>, room_seq: i64) -> Self {
        let limit = rows.len() as i64;
        Self {
            rows,
            room_seq,
            limit,
        }
    }
}

/// Pages by room id. Bounded: past `Recent::ROOMS` rooms it starts again empty.
#[derive(Default)]
pub struct Recent {
    pages: Mutex<HashMap<i64, Arc<RecentPage>>>,
}

impl Recent {
    /// A page holds at most 201 messages of at most 4,000 characters (about 2 MB at
    /// worst, some 40 KB typically), so 256 rooms stay well under a few dozen MiB.
    const ROOMS: usize = 256;

    /// Forgets every kept page: what they show changed without an event (a sender's
    /// avatar).
    pub fn forget_all(&self) {
        self.pages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// The newest `limit` messages of `room`, as of `room.last_seq` or later.
    pub async fn newest(&self, db: &Db, room: &Room, limit: i64) -> AppResult<Arc<RecentPage>> {
        let kept = self.kept(room.id, room.last_seq, limit);
        metrics::record_cache("recent_pages", kept.is_some());
        if let Some(page) = kept {
            return Ok(page);
        }
        let (rows, room_seq) = store::messages::newest_with_seq(db, room.id, None, limit).await?;
        let page = Arc::new(RecentPage {
            rows,
            room_seq,
            limit,
        });
        self.keep(room.id, &page);
        Ok(page)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Arc<RecentPage>>> {
        self.pages.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn kept(&self, room_id: i64, last_seq: i64, limit: i64) -> Option<Arc<RecentPage>> {
        self.lock()
            .get(&room_id)
            .filter(|page| page.room_seq == last_seq && page.limit == limit)
            .map(Arc::clone)
    }

    fn keep(&self, room_id: i64, page: &Arc<RecentPage>) {
        let mut pages = self.lock();
        if pages
            .get(&room_id)
            .is_some_and(|kept| kept.room_seq > page.room_seq)
        {
            return;
        }
        if pages.len() >= Self::ROOMS && !pages.contains_key(&room_id) {
            pages.clear();
        }
        pages.insert(room_id, Arc::clone(page));
    }
}

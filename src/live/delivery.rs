//! A committed event, rendered once (never per recipient) into the JSON frame and the
//! page fragment every socket on the room sends as they are.

use crate::{
    render::{html::event_html, json::event_frame},
    store::events::Event,
};

#[derive(Debug)]
pub struct Delivery {
    pub event: Event,
    /// The JSON socket's frame (`{"type":…}`).
    pub json: String,
    /// The out-of-band fragment for room pages.
    pub html: String,
}

impl Delivery {
    pub fn new(event: Event) -> Self {
        let json = event_frame(&event);
        let html = event_html(&event);
        Self { event, json, html }
    }

    pub fn seq(&self) -> i64 {
        self.event.seq
    }

    /// When the event's message was sent, for delivery-lag figures (only for new
    /// messages: an edit's lag is not a message's).
    pub fn sent_at(&self) -> Option<i64> {
        match &self.event.kind {
            crate::store::events::EventKind::Message(m) => Some(m.sent_at),
            _ => None,
        }
    }
}

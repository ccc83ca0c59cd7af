//! What a fan-out message carries and how a subscriber checks it. The text is
//! `hl:<run>:<sender>:<seq>:<sent_ns>:` padded to length, where `sent_ns` is when the
//! message was due to be sent (nanoseconds since the tool started; sender and receiver
//! share that clock). A receiver works out end-to-end latency and notices loss,
//! duplicates and reordering per sender without parsing the whole JSON frame.

use std::{sync::OnceLock, time::Instant};

/// The clock every timestamp in a run is measured on.
pub fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

pub fn nanos_since_epoch(at: Instant) -> u64 {
    at.saturating_duration_since(epoch()).as_nanos() as u64
}

/// The text of message `seq` from `sender`, due at `due`, padded to `len` bytes.
pub fn encode(run: &str, sender: usize, seq: u64, due: Instant, len: usize) -> String {
    let mut text = format!("hl:{run}:{sender}:{seq}:{}:", nanos_since_epoch(due));
    if text.len() < len {
        text.extend(std::iter::repeat_n('x', len - text.len()));
    }
    text
}

/// A fan-out message found in a server frame.
#[derive(Debug, PartialEq, Eq)]
pub struct Marker {
    pub sender: usize,
    pub seq: u64,
    pub sent_ns: u64,
}

/// What a server frame was, to a load client.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    Ours(Marker),
    /// A message, but not one of this run's (someone else is talking in the room).
    Foreign,
    /// `{"type":"error",…}`: the server refused something we sent.
    Error,
    Other,
}

/// Reads a `{"type":"message",…,"text":"hl:…"}` frame.
pub fn parse(frame: &str, run: &str) -> Frame {
    if frame.contains(r#""type":"error""#) {
        return Frame::Error;
    }
    if !frame.contains(r#""type":"message""#) {
        return Frame::Other;
    }
    let Some(at) = frame.find(r#""text":"hl:"#) else {
        return Frame::Foreign;
    };
    let mut fields = frame[at + 11..].splitn(5, ':');
    if fields.next() != Some(run) {
        return Frame::Foreign;
    }
    let mut number = || fields.next().and_then(|f| f.parse::<u64>().ok());
    match (number(), number(), number()) {
        (Some(sender), Some(seq), Some(sent_ns)) => Frame::Ours(Marker {
            sender: sender as usize,
            seq,
            sent_ns,
        }),
        _ => Frame::Foreign,
    }
}

/// One subscriber's view of its room's senders: which sequence numbers arrived.
#[derive(Debug, Default)]
pub struct Tracker {
    first_sender: usize,
    /// Per sender of the room: a bitmap of seen sequence numbers, and the highest.
    seen: Vec<(Vec<u64>, Option<u64>)>,
    pub unique: u64,
    pub duplicates: u64,
    pub reordered: u64,
    pub foreign: u64,
}

/// What `Tracker::observe` decided.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen {
    New,
    Duplicate,
    Foreign,
}

impl Tracker {
    /// A tracker for a room whose senders are numbered `first..first + count`.
    pub fn new(first_sender: usize, count: usize) -> Self {
        Self {
            first_sender,
            seen: vec![(Vec::new(), None); count],
            ..Self::default()
        }
    }

    pub fn observe(&mut self, marker: &Marker) -> Seen {
        let Some((bits, highest)) = marker
            .sender
            .checked_sub(self.first_sender)
            .and_then(|i| self.seen.get_mut(i))
        else {
            self.foreign += 1;
            return Seen::Foreign;
        };
        let (word, bit) = ((marker.seq / 64) as usize, 1u64 << (marker.seq % 64));
        if bits.len() <= word {
            bits.resize(word + 1, 0);
        }
        if bits[word] & bit != 0 {
            self.duplicates += 1;
            return Seen::Duplicate;
        }
        bits[word] |= bit;
        self.unique += 1;
        match highest {
            Some(h) if marker.seq < *h => self.reordered += 1,
            _ => *highest = Some(marker.seq),
        }
        Seen::New
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str) -> String {
        format!(
            r#"{{"type":"message","id":7,"room":"r","sender":"s","text":"{text}","sent_at":"t"}}"#
        )
    }

    #[test]
    fn a_message_round_trips_through_a_frame() {
        let due = epoch() + std::time::Duration::from_millis(5);
        let text = encode("abc123", 4, 17, due, 64);
        assert_eq!(text.len(), 64);
        let parsed = parse(&frame(&text), "abc123");
        assert_eq!(
            parsed,
            Frame::Ours(Marker {
                sender: 4,
                seq: 17,
                sent_ns: 5_000_000
            })
        );
        assert_eq!(parse(&frame(&text), "zzz999"), Frame::Foreign);
        assert_eq!(parse(&frame("hello"), "abc123"), Frame::Foreign);
        assert_eq!(
            parse(r#"{"type":"error","error":"no"}"#, "abc123"),
            Frame::Error
        );
    }

    #[test]
    fn duplicates_and_reordering_are_counted_per_sender() {
        let mut t = Tracker::new(10, 2);
        let m = |sender, seq| Marker {
            sender,
            seq,
            sent_ns: 0,
        };
        assert_eq!(t.observe(&m(10, 0)), Seen::New);
        assert_eq!(t.observe(&m(10, 2)), Seen::New);
        assert_eq!(t.observe(&m(11, 0)), Seen::New);
        assert_eq!(t.observe(&m(10, 1)), Seen::New);
        assert_eq!(t.observe(&m(10, 2)), Seen::Duplicate);
        assert_eq!(t.observe(&m(3, 0)), Seen::Foreign);
        assert_eq!((t.unique, t.duplicates, t.reordered), (4, 1, 1));
    }
}

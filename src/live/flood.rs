//! Judging a flood: how a socket that keeps sending past its rate is told apart from
//! one that bursts now and then.

use std::{collections::VecDeque, time::Duration};

use tokio::time::Instant;

/// Frames refused (or that did nothing) within `FLOOD_WINDOW` after which a socket is
/// flooding and is closed with 1008. At the default 20 messages a second, a client
/// sending twice its rate reaches this in about five seconds.
pub const FLOOD_REFUSALS: usize = 100;
pub const FLOOD_WINDOW: Duration = Duration::from_secs(10);

/// Judges floods over a time window: a socket that has more than `max` sends refused
/// for its rate within `window` is closed (1008). Each refusal ages out on its own, so
/// a flood at many times the rate cannot keep itself open by having every twentieth
/// frame accepted, while an occasional burst over the rate is forgiven.
pub struct FloodJudge {
    window: Duration,
    max: usize,
    refusals: VecDeque<Instant>,
}

impl FloodJudge {
    /// A socket's judge, with the limits above.
    pub fn for_socket() -> Self {
        Self::new(FLOOD_REFUSALS, FLOOD_WINDOW)
    }

    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            window,
            max,
            // Empty until a send is refused: most sockets never are, and ten thousand
            // of them would hold 1.6 KiB each for nothing.
            refusals: VecDeque::new(),
        }
    }

    /// Counts one refused send; true when the socket is flooding and must close.
    pub fn refused(&mut self) -> bool {
        let now = Instant::now();
        while self
            .refusals
            .front()
            .is_some_and(|at| now.duration_since(*at) > self.window)
        {
            self.refusals.pop_front();
        }
        self.refusals.push_back(now);
        self.refusals.len() > self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_flood_is_judged_over_its_window() {
        let mut judge = FloodJudge::new(3, Duration::from_secs(10));
        assert!(!judge.refused());
        assert!(!judge.refused());
        assert!(!judge.refused());
        tokio::time::advance(Duration::from_secs(11)).await;
        assert!(!judge.refused(), "old refusals age out");
        assert!(!judge.refused());
        assert!(!judge.refused());
        assert!(judge.refused(), "a fourth within the window closes");
    }
}

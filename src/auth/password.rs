//! Password hashing: argon2id at one of OWASP's equally strong settings (m=7168 KiB,
//! t=5, p=1), off the async runtime, on a bounded number of threads of its own in the
//! kernel's idle scheduling class. A hash is ~30 ms of one core; live delivery is
//! microseconds at a time. So when both want a core, the kernel runs delivery first and
//! the login waits: a burst of logins slows logins, never messages. On an idle box the
//! class changes nothing.

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::{OnceCell, Semaphore, oneshot};

use crate::{
    domain::Password,
    error::{AppError, AppResult},
};

/// OWASP's Password Storage Cheat Sheet lists five argon2id settings as "an equal level
/// of defense", trading memory for passes: 46 MiB × 1, 19 MiB × 2, 12 MiB × 3,
/// 9 MiB × 4, 7 MiB × 5. This is the last: its 7 MiB leaves more of the cache the
/// cores share to message delivery than 19 MiB did. With 20 logins a second beside a
/// fan-out, the fan-out's p99 fell from 6.1 to 5.7 ms and the logins' own p99 from 48 to
/// 34–39 ms (BENCHMARKS.md). Hashes made with other settings still verify: each stored
/// hash names its own.
const MEMORY_KIB: u32 = 7168;
const PASSES: u32 = 5;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Verified against when the username does not exist, so that answer takes as
    /// long as a wrong password and nobody can probe which usernames exist.
    dummy_hash: Arc<OnceCell<String>>,
}

impl Passwords {
    /// At most `concurrency` hashes run at once.
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: Arc::new(OnceCell::new()),
        }
    }

    /// The PHC string (`$argon2id$v=19$m=7168,t=5,p=1$…`) for `password`.
    pub async fn hash(&self, password: Password) -> AppResult<String> {
        self.run(move || {
            argon2()
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| AppError::internal(anyhow::anyhow!("hashing failed: {e}")))
        })
        .await
    }

    /// Whether `password` matches `stored`. With no stored hash (unknown user) this
    /// still does the full work and answers false.
    pub async fn verify(&self, password: Password, stored: Option<String>) -> AppResult<bool> {
        let (hash, real) = match stored {
            Some(hash) => (hash, true),
            None => (self.dummy_hash().await?, false),
        };
        let matched = self
            .run(move || {
                Ok(argon2()
                    .verify_password(password.as_bytes(), hash.as_str())
                    .is_ok())
            })
            .await?;
        Ok(matched && real)
    }

    /// Computes the dummy hash in the background now, so the first login as an unknown
    /// user does not pay for two hashes (which would tell that the user is unknown).
    pub fn warm_up(&self) {
        let passwords = self.clone();
        tokio::spawn(async move {
            let _ = passwords.dummy_hash().await;
        });
    }

    async fn dummy_hash(&self) -> AppResult<String> {
        self.dummy_hash
            .get_or_try_init(|| async {
                let password = Password::parse("not-a-real-password").map_err(AppError::from)?;
                self.hash(password).await
            })
            .await
            .cloned()
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let (done, mut result) = oneshot::channel();
        // A thread per hash (at most `concurrency` at once, by the permit): starting one
        // costs tens of microseconds against the hash's ~30 ms, and it takes its low
        // priority with it when it ends, which a pooled thread could not give back.
        let thread = std::thread::Builder::new()
            .name("hearth-hash".into())
            .spawn(move || {
                enter_idle_class();
                let _ = done.send(work());
            })
            .map_err(AppError::internal)?;
        // The idle class yields to Hearth's own delivery; but a box kept busy by
        // something else (another program at full tilt) would leave it a sliver of a
        // core and a login waiting for many seconds. Past `IDLE_PATIENCE`, the hash
        // goes on in the normal class at the lowest priority: still behind delivery,
        // never starved.
        if let Ok(finished) = tokio::time::timeout(IDLE_PATIENCE, &mut result).await {
            return finished.map_err(AppError::internal)?;
        }
        leave_idle_class(&thread);
        result.await.map_err(AppError::internal)?
    }
}

/// How long a hash may wait in the idle class before it is given a normal, lowest,
/// priority (see `Passwords::run`): some 15 hashes' time.
const IDLE_PATIENCE: std::time::Duration = std::time::Duration::from_millis(500);

/// Moves the hashing thread from the idle class to the normal one, where it runs at
/// the nice 19 it took on entering the idle class. Linux lets a process leave the idle
/// class when it runs as root, has `CAP_SYS_NICE`, or may use nice 19 (`RLIMIT_NICE`
/// of 1 or more: `LimitNICE=1` in a systemd unit); elsewhere the hash stays idle.
fn leave_idle_class(thread: &std::thread::JoinHandle<()>) {
    #[cfg(target_os = "linux")]
    // SAFETY: the handle keeps the thread's pthread_t valid (not yet joined or
    // detached), and `param` is a valid sched_param. Failure leaves the thread idle,
    // which is only slower, so the result is not checked.
    unsafe {
        use std::os::unix::thread::JoinHandleExt;
        let param = libc::sched_param { sched_priority: 0 };
        libc::pthread_setschedparam(thread.as_pthread_t(), libc::SCHED_OTHER, &param);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = thread;
}

/// Linux's idle scheduling class (`SCHED_IDLE`) for the calling thread: it still gets
/// a small share of a busy core, so logins never stop, but a waking normal thread (a
/// tokio worker with a message to deliver) takes the core at once instead of waiting
/// for the hash's time slice to end, as it would behind a merely niced thread. The
/// class belongs to this thread alone (sched_setscheduler(2) with pid 0). Elsewhere
/// the thread keeps the normal class.
fn enter_idle_class() {
    #[cfg(target_os = "linux")]
    // SAFETY: `param` is a valid sched_param for the call to read; pid 0 is the calling
    // thread. Failure (not permitted) leaves the class as it was, which is only slower
    // under load, so its result is not checked.
    unsafe {
        // Nice 19 first, kept for `leave_idle_class` (a thread's nice value outlasts
        // the class it is in).
        libc::setpriority(libc::PRIO_PROCESS, 0, 19);
        let param = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(0, libc::SCHED_IDLE, &param);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_is_argon2id_with_owasp_parameters_and_verifies() {
        let passwords = Passwords::new(1);
        let hash = passwords
            .hash(Password::parse("correct horse").unwrap())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{hash}");
        assert_opens_only_with_its_password(&passwords, &hash).await;
    }

    /// `hash` (of "correct horse") verifies with that password and not another.
    async fn assert_opens_only_with_its_password(passwords: &Passwords, hash: &str) {
        let stored = Some(hash.to_owned());
        let right = passwords.verify(Password::parse("correct horse").unwrap(), stored.clone());
        assert!(right.await.unwrap());
        let wrong = passwords.verify(Password::parse("wrong horse").unwrap(), stored);
        assert!(!wrong.await.unwrap());
    }

    #[tokio::test]
    async fn a_password_stored_with_the_earlier_settings_still_logs_in() {
        // What Hearth stored until 1 Dec 2026: argon2's defaults, m=19456, t=2, p=1.
        let earlier = Argon2::default()
            .hash_password_with_salt(b"correct horse", b"sixteen byte slt")
            .unwrap()
            .to_string();
        assert!(earlier.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_opens_only_with_its_password(&Passwords::new(1), &earlier).await;
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_runs_in_the_idle_class_and_the_server_does_not() {
        let passwords = Passwords::new(1);
        // SAFETY: sched_getscheduler takes a plain pid; 0 is the calling thread.
        let class = || unsafe { libc::sched_getscheduler(0) };
        let hashing = passwords.run(move || Ok(class())).await.unwrap();
        assert_eq!(
            hashing,
            libc::SCHED_IDLE,
            "the hashing thread yields to delivery"
        );
        assert_eq!(
            class(),
            libc::SCHED_OTHER,
            "the thread that asked for the hash keeps its class"
        );
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_hash_waiting_past_its_patience_goes_on_in_the_normal_class_at_nice_19() {
        let passwords = Passwords::new(1);
        // SAFETY: plain calls about the calling thread (pid 0, who 0).
        let class_and_nice = || unsafe {
            (
                libc::sched_getscheduler(0),
                libc::getpriority(libc::PRIO_PROCESS, 0),
            )
        };
        let after_patience = passwords
            .run(move || {
                std::thread::sleep(IDLE_PATIENCE * 3);
                Ok(class_and_nice())
            })
            .await
            .unwrap();
        // SAFETY: geteuid cannot fail.
        let may_leave = unsafe { libc::geteuid() } == 0;
        if may_leave {
            assert_eq!(after_patience, (libc::SCHED_OTHER, 19));
        } else {
            assert_eq!(after_patience.1, 19, "nice 19 whatever the class");
        }
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        let passwords = Passwords::new(1);
        let any = passwords.verify(Password::parse("not-a-real-password").unwrap(), None);
        assert!(
            !any.await.unwrap(),
            "even the dummy password must not log in"
        );
    }
}

//! Which long-lived S3 keys are known to be active, so that the check every S3 request makes
//! (DESIGN.md: revoked keys stop working at once) is not a catalog query each time.
//!
//! Only on Postgres, where a query is a network round trip and several processes may share
//! the catalog. A revocation sends `NOTIFY` in its own transaction; every process LISTENs and
//! forgets the key when it arrives (the revoking process forgets it before it answers). A
//! process whose listener is not connected trusts no cached verdict, since it could miss a
//! revocation, and an answer read from the catalog while a notification arrived is not kept
//! (the generation count tells). On SQLite the query is in-process and nothing is cached.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::watch;

use crate::domain::UserId;

/// The channel revocations are announced on; the payload is `{user id}:{key serial}`, or
/// `{user id}:*` when the user was disabled or deleted.
pub(crate) const REVOKED_CHANNEL: &str = "tiergate_key_revoked";

#[derive(Debug, Default)]
struct State {
    /// The listener is connected: notifications arrive, so cached verdicts can be trusted.
    listening: bool,
    /// Bumped by every notification and every reconnection.
    generation: u64,
    active: HashSet<(i64, i64)>,
}

#[derive(Debug)]
pub(crate) struct KeyCache {
    state: Mutex<State>,
    /// Dropped with the cache, which stops its listener.
    _stop: watch::Sender<()>,
}

impl KeyCache {
    /// A cache that never caches (SQLite).
    pub(crate) fn disabled() -> Arc<Self> {
        Arc::new(Self { state: Mutex::default(), _stop: watch::channel(()).0 })
    }

    /// A cache kept true by a listener on the Postgres catalog at `url`.
    pub(crate) fn listening(url: String) -> Arc<Self> {
        let (stop, stopped) = watch::channel(());
        let cache = Arc::new(Self { state: Mutex::default(), _stop: stop });
        tokio::spawn(listen(url, Arc::downgrade(&cache), stopped));
        cache
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Ok(())` when the key is known active; else the generation to pass to [`Self::remember`].
    pub(crate) fn known_active(&self, user: UserId, serial: i64) -> Result<(), u64> {
        let st = self.state();
        if st.listening && st.active.contains(&(user.0, serial)) {
            Ok(())
        } else {
            Err(st.generation)
        }
    }

    /// Keeps an "active" verdict read from the catalog at `generation`, unless a notification
    /// came in meanwhile (it may be this key's revocation).
    pub(crate) fn remember(&self, user: UserId, serial: i64, generation: u64) {
        let mut st = self.state();
        if st.listening && st.generation == generation {
            st.active.insert((user.0, serial));
        }
    }

    pub(crate) fn forget(&self, user: UserId, serial: i64) {
        let mut st = self.state();
        st.generation += 1;
        st.active.remove(&(user.0, serial));
    }

    /// Forgets every verdict about `user` (disabled or deleted).
    pub(crate) fn forget_user(&self, user: UserId) {
        let mut st = self.state();
        st.generation += 1;
        st.active.retain(|(u, _)| *u != user.0);
    }

    fn forget_payload(&self, payload: &str) {
        if let Some(user) = payload.strip_suffix(":*").and_then(|u| u.parse().ok()) {
            return self.forget_user(UserId(user));
        }
        match payload.split_once(':').and_then(|(u, s)| Some((u.parse().ok()?, s.parse().ok()?))) {
            Some((user, serial)) => self.forget(UserId(user), serial),
            // Not ours to read: forget everything rather than keep what may be revoked.
            None => {
                let listening = self.state().listening;
                self.reset(listening);
            }
        }
    }

    fn reset(&self, listening: bool) {
        let mut st = self.state();
        st.generation += 1;
        st.active.clear();
        st.listening = listening;
    }
}

/// Listens for revocations until the cache is dropped, reconnecting after a failure.
async fn listen(url: String, cache: Weak<KeyCache>, mut stopped: watch::Receiver<()>) {
    loop {
        let listener = async {
            let mut listener = PgListener::connect(&url).await?;
            listener.listen(REVOKED_CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = tokio::select! {
            _ = stopped.changed() => return,
            l = listener => l,
        };
        if let Ok(listener) = &mut listener {
            let Some(c) = cache.upgrade() else { return };
            c.reset(true);
            drop(c);
            loop {
                let notification = tokio::select! {
                    _ = stopped.changed() => return,
                    n = listener.try_recv() => n,
                };
                let Some(c) = cache.upgrade() else { return };
                match notification {
                    Ok(Some(n)) => c.forget_payload(n.payload()),
                    // The connection was lost: what was announced meanwhile is lost with it.
                    Ok(None) | Err(_) => break,
                }
            }
        }
        match cache.upgrade() {
            Some(c) => c.reset(false),
            None => return,
        }
        if let Err(e) = &listener {
            tracing::warn!(error = %e, "cannot listen for key revocations; checking every key in the catalog");
        }
        tokio::select! {
            _ = stopped.changed() => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listening_cache() -> KeyCache {
        let cache = KeyCache { state: Mutex::default(), _stop: watch::channel(()).0 };
        cache.reset(true);
        cache
    }

    #[test]
    fn verdicts_are_kept_only_while_listening_and_when_nothing_came_in_between() {
        let user = UserId(7);
        let cache = listening_cache();
        let generation = cache.known_active(user, 3).unwrap_err();
        cache.remember(user, 3, generation);
        assert_eq!(cache.known_active(user, 3), Ok(()));

        // A revocation announced while a check was reading the catalog: its verdict is dropped.
        let generation = cache.known_active(user, 4).unwrap_err();
        cache.forget_payload("7:4");
        cache.remember(user, 4, generation);
        assert!(cache.known_active(user, 4).is_err());

        cache.forget_payload("7:3");
        assert!(cache.known_active(user, 3).is_err());

        // A disabled user: every verdict about them goes, others' stay.
        cache.remember(user, 8, cache.known_active(user, 8).unwrap_err());
        cache.remember(UserId(9), 1, cache.known_active(UserId(9), 1).unwrap_err());
        cache.forget_payload("7:*");
        assert!(cache.known_active(user, 8).is_err());
        assert_eq!(cache.known_active(UserId(9), 1), Ok(()));

        // Not listening: nothing is trusted, nothing is kept.
        let generation = cache.known_active(user, 5).unwrap_err();
        cache.remember(user, 5, generation);
        cache.reset(false);
        let generation = cache.known_active(user, 5).unwrap_err();
        cache.remember(user, 5, generation);
        assert!(cache.known_active(user, 5).is_err());
        assert!(KeyCache::disabled().known_active(user, 5).is_err());
    }

    #[test]
    fn an_unreadable_payload_forgets_everything() {
        let user = UserId(1);
        let cache = listening_cache();
        cache.remember(user, 1, cache.known_active(user, 1).unwrap_err());
        cache.forget_payload("garbage");
        assert!(cache.known_active(user, 1).is_err());
    }
}

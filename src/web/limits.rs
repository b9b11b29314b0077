//! Rate limits of the public endpoints: kiosks are keyed by device (a whole
//! office shares one NAT address), the rest by client address.
//!
//! Two gates. In memory (governor), each instance smooths bursts per key.
//! Shared through the database ([`crate::auth::rates`]), every instance on
//! one database counts against the same budget per key and minute: a
//! background task adds this instance's requests to the key's count every
//! `rate_sync_ms` and reads back the total of all instances, and a request is
//! refused once that total (plus what this instance let through since)
//! reaches the limit. Two instances behind a load balancer thus allow what
//! one would, give or take one sync interval of requests; should the
//! database not answer, the in-memory gate still holds.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::db::Pool;

pub struct Limits {
    public: DefaultKeyedRateLimiter<String>,
    devices: DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
    public_per_minute: i64,
    device_per_minute: i64,
    shared: Arc<Mutex<Shared>>,
}

/// This instance's view of the shared counts of the current minute.
#[derive(Default)]
struct Shared {
    window: i64,
    /// Let through here since the last sync, per (minute, key).
    pending: HashMap<(i64, String), i64>,
    /// The total of every instance at the last sync (this minute's keys).
    known: HashMap<String, i64>,
}

fn minute_now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    secs - secs % 60
}

impl Limits {
    /// Submissions per minute for each client address, and for each device.
    pub fn new(public_per_minute: u32, device_per_minute: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).expect("at least 1"));
        Limits {
            public: RateLimiter::keyed(quota(public_per_minute)),
            devices: RateLimiter::keyed(quota(device_per_minute)),
            checks: AtomicU64::new(0),
            public_per_minute: i64::from(public_per_minute.max(1)),
            device_per_minute: i64::from(device_per_minute.max(1)),
            shared: Arc::default(),
        }
    }

    /// A public request from this client address.
    pub fn allow_address(&self, addr: &str) -> bool {
        self.allow(false, &format!("addr:{addr}"))
    }

    pub fn allow(&self, device: bool, key: &str) -> bool {
        self.allow_in(device, key, minute_now())
    }

    /// [`allow`](Self::allow) in the minute starting at `window`.
    fn allow_in(&self, device: bool, key: &str, window: i64) -> bool {
        // Forget idle keys now and then, so the maps do not grow without bound.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.public.retain_recent();
            self.devices.retain_recent();
        }
        let (limiter, limit) = if device {
            (&self.devices, self.device_per_minute)
        } else {
            (&self.public, self.public_per_minute)
        };
        if limiter.check_key(&key.to_owned()).is_err() {
            return false;
        }
        let mut shared = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        if shared.window != window {
            shared.window = window;
            shared.known.clear();
        }
        let entry = (window, key.to_owned());
        // Every instance's count at the last sync (this one's included), and
        // what this one let through since.
        let synced = shared.known.get(key).copied().unwrap_or(0);
        let unsynced = shared.pending.get(&entry).copied().unwrap_or(0);
        if synced + unsynced >= limit {
            return false;
        }
        *shared.pending.entry(entry).or_insert(0) += 1;
        true
    }

    /// Starts the task that shares the counts through the database every
    /// `every`; it ends when these limits are dropped.
    pub fn share(&self, pool: Pool, every: Duration) -> std::io::Result<()> {
        let shared = Arc::downgrade(&self.shared);
        crate::db::spawn_background("rate-sync", move || {
            // Short naps, so that a stopping process is not kept waiting.
            let nap = every.min(Duration::from_millis(100));
            let mut next = std::time::Instant::now() + every;
            while !crate::db::shutting_down() {
                std::thread::sleep(nap);
                if std::time::Instant::now() < next {
                    continue;
                }
                next += every;
                if !sync(&pool, &shared) {
                    return;
                }
            }
        })
    }
}

/// One visit to the database; `false` once the limits are gone. Adds what
/// this instance let through since the last visit, then reads every
/// instance's totals of the minute for each key this instance has seen in it
/// (another instance may have used a key this one has not since).
fn sync(pool: &Pool, shared: &Weak<Mutex<Shared>>) -> bool {
    let Some(cell) = shared.upgrade() else {
        return false;
    };
    let (pending, mut keys) = {
        let mut s = cell.lock().unwrap_or_else(|p| p.into_inner());
        let keys: Vec<String> = s.known.keys().cloned().collect();
        (std::mem::take(&mut s.pending), keys)
    };
    drop(cell);
    let window = minute_now();
    let mut by_window: HashMap<i64, Vec<(String, i64)>> = HashMap::new();
    for ((w, key), n) in pending {
        by_window.entry(w).or_default().push((key, n));
    }
    let visit = |by_window: &HashMap<i64, Vec<(String, i64)>>, keys: &[String]| {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        for (w, hits) in by_window {
            crate::auth::rates::add_hits(&mut conn, *w, hits).map_err(|e| e.to_string())?;
        }
        crate::auth::rates::totals(&mut conn, window, keys).map_err(|e| e.to_string())
    };
    if let Some(now) = by_window.get(&window) {
        keys.extend(now.iter().map(|(k, _)| k.clone()));
        keys.sort_unstable();
        keys.dedup();
    }
    let outcome = if keys.is_empty() && by_window.is_empty() {
        Ok(Vec::new())
    } else {
        visit(&by_window, &keys)
    };
    let Some(cell) = shared.upgrade() else {
        return false;
    };
    let mut s = cell.lock().unwrap_or_else(|p| p.into_inner());
    match outcome {
        // Only the current minute's totals decide anything.
        Ok(totals) if s.window == window => {
            for (key, total) in totals {
                s.known.insert(key, total);
            }
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "rate limits not shared this time; counted again at the next sync");
            for (w, hits) in by_window {
                for (key, n) in hits {
                    *s.pending.entry((w, key)).or_insert(0) += n;
                }
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_has_its_own_budget() {
        let l = Limits::new(3, 100);
        assert!((0..3).all(|_| l.allow(false, "a")));
        assert!(!l.allow(false, "a"));
        assert!(l.allow(true, "a"), "devices are counted apart");
    }

    #[test]
    fn other_instances_count_against_the_budget() {
        let l = Limits::new(5, 100);
        let minute = 60 * 29_000_000;
        {
            let mut s = l.shared.lock().unwrap();
            s.window = minute;
            // Another instance let 4 through this minute.
            s.known.insert("b".into(), 4);
        }
        assert!(l.allow_in(false, "b", minute));
        assert!(
            !l.allow_in(false, "b", minute),
            "4 elsewhere + 1 here reach 5"
        );
        assert!(l.allow_in(false, "c", minute));
        assert!(
            l.allow_in(false, "b", minute + 60),
            "a new minute, a new budget"
        );
    }
}

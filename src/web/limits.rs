//! Rate limits of the public endpoints (governor, in memory per instance):
//! kiosks are keyed by device (a whole office shares one NAT address), the
//! rest by client address.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct Limits {
    public: DefaultKeyedRateLimiter<String>,
    devices: DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
}

impl Limits {
    /// Submissions per minute for each client address, and for each device.
    pub fn new(public_per_minute: u32, device_per_minute: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).expect("at least 1"));
        Limits {
            public: RateLimiter::keyed(quota(public_per_minute)),
            devices: RateLimiter::keyed(quota(device_per_minute)),
            checks: AtomicU64::new(0),
        }
    }

    /// A public request from this client address.
    pub fn allow_address(&self, addr: &str) -> bool {
        self.allow(false, &format!("addr:{addr}"))
    }

    pub fn allow(&self, device: bool, key: &str) -> bool {
        // Forget idle keys now and then, so the maps do not grow without bound.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.public.retain_recent();
            self.devices.retain_recent();
        }
        let limiter = if device { &self.devices } else { &self.public };
        limiter.check_key(&key.to_owned()).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_has_its_own_budget() {
        let l = Limits::new(3, 100);
        assert!((0..3).all(|_| l.allow(false, "a")));
        assert!(!l.allow(false, "a"));
        assert!(l.allow(false, "b"));
        assert!(l.allow(true, "a"), "devices are counted apart");
    }
}

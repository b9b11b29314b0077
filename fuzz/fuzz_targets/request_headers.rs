//! What the device and session paths read off a request before any database
//! look-up: the cookies (session, kiosk device), the device header, the
//! forwarded headers through the trusted-proxy policy (client address,
//! scheme, host, base URL) and the `next` target after login. The input is
//! header lines (`name: value`); the first byte picks the peer address (a
//! trusted proxy or not). Never a panic.
#![no_main]

use actix_web::test::TestRequest;
use libfuzzer_sys::fuzz_target;
use manyi::web::origin::ProxyPolicy;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let peer = if pick % 2 == 0 {
        "10.0.0.5:40000"
    } else {
        "203.0.113.9:40000"
    };
    let mut req = TestRequest::default().peer_addr(peer.parse().unwrap());
    let mut next = None;
    for line in rest.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let Ok(name) = actix_web::http::header::HeaderName::from_bytes(name) else {
            continue;
        };
        let Ok(value) = actix_web::http::header::HeaderValue::from_bytes(value) else {
            continue;
        };
        if name.as_str() == "x-next" {
            next = value.to_str().ok().map(str::to_owned);
        }
        req = req.append_header((name, value));
    }
    let req = req.to_http_request();
    let policy = ProxyPolicy {
        public_url: None,
        trusted: ProxyPolicy::parse_trusted("10.0.0.0/8, ::1").unwrap(),
    };
    let _ = policy.client_ip(&req);
    let _ = policy.scheme(&req);
    let _ = policy.host(&req);
    let _ = policy.base_url(&req);
    let _ = manyi::web::device_token(&req);
    let _ = req.cookie(manyi::web::session::SESSION_COOKIE);
    let _ = manyi::web::session::safe_next(next.as_deref());
});

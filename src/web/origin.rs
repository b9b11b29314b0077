//! Where a request really comes from, and the address the service is reached
//! at. `X-Forwarded-For`, `-Proto` and `-Host` are honoured only when the
//! connection comes from a configured proxy (`trusted_proxies`); anyone else
//! could write them. Links the service hands out (kiosk enrolment, survey
//! links) use the configured `public_url`, never a header.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderName};
use ipnet::IpNet;

/// The proxy settings, parsed once at start-up.
#[derive(Debug, Clone, Default)]
pub struct ProxyPolicy {
    /// e.g. `https://manyi.example.gov.tw`, without a trailing slash.
    pub public_url: Option<String>,
    pub trusted: Vec<IpNet>,
}

const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

impl ProxyPolicy {
    /// Parses a comma-separated list of addresses and networks
    /// (`127.0.0.1, 10.0.0.0/8, ::1`).
    pub fn parse_trusted(list: &str) -> Result<Vec<IpNet>, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("`{s}` is not an IP address or network"))
            })
            .collect()
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|n| n.contains(&ip))
    }

    fn peer(req: &HttpRequest) -> Option<IpAddr> {
        req.peer_addr().map(|a| a.ip())
    }

    /// Whether the forwarded headers of this request may be believed.
    fn via_proxy(&self, req: &HttpRequest) -> bool {
        Self::peer(req).is_some_and(|ip| self.is_trusted(ip))
    }

    fn header<'a>(req: &'a HttpRequest, name: &HeaderName) -> Option<&'a str> {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    /// The client's address: the connection's peer, or behind trusted proxies
    /// the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
    pub fn client_ip(&self, req: &HttpRequest) -> String {
        let Some(peer) = Self::peer(req) else {
            return "unknown".to_owned();
        };
        if !self.is_trusted(peer) {
            return peer.to_string();
        }
        let chain: Vec<IpAddr> = req
            .headers()
            .get_all(&FORWARDED_FOR)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .collect();
        chain
            .iter()
            .rev()
            .find(|ip| !self.is_trusted(**ip))
            .or(chain.first())
            .copied()
            .unwrap_or(peer)
            .to_string()
    }

    /// `https` on TLS, or as a trusted proxy says; else `http`.
    pub fn scheme(&self, req: &HttpRequest) -> &'static str {
        if self.via_proxy(req)
            && let Some(p) = Self::header(req, &FORWARDED_PROTO)
        {
            return if p.eq_ignore_ascii_case("https") {
                "https"
            } else {
                "http"
            };
        }
        if req.app_config().secure() {
            "https"
        } else {
            "http"
        }
    }

    /// The host the browser asked for (`Host`), or as a trusted proxy says.
    pub fn host(&self, req: &HttpRequest) -> String {
        if self.via_proxy(req)
            && let Some(h) = Self::header(req, &FORWARDED_HOST)
        {
            return h.split(',').next().unwrap_or(h).trim().to_owned();
        }
        Self::header(req, &header::HOST)
            .map(str::to_owned)
            .or_else(|| req.uri().authority().map(|a| a.to_string()))
            .unwrap_or_else(|| req.app_config().host().to_owned())
    }

    /// The base of the links the service hands out: `public_url` when set,
    /// else the scheme and host of this request (forwarded only by a trusted proxy).
    pub fn base_url(&self, req: &HttpRequest) -> String {
        match &self.public_url {
            Some(u) => u.clone(),
            None => format!("{}://{}", self.scheme(req), self.host(req)),
        }
    }
}

/// The policy of the running app (the default, trusting no one, outside it).
pub fn policy(req: &HttpRequest) -> &ProxyPolicy {
    static NONE: ProxyPolicy = ProxyPolicy {
        public_url: None,
        trusted: Vec::new(),
    };
    req.app_data::<actix_web::web::Data<super::state::AppState>>()
        .map(|s| &s.proxy)
        .unwrap_or(&NONE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn policy(trusted: &str) -> ProxyPolicy {
        ProxyPolicy {
            public_url: None,
            trusted: ProxyPolicy::parse_trusted(trusted).unwrap(),
        }
    }

    #[test]
    fn forwarded_headers_only_from_trusted_proxies() {
        let req = TestRequest::default()
            .peer_addr("203.0.113.9:5000".parse().unwrap())
            .insert_header(("Host", "manyi.example"))
            .insert_header(("X-Forwarded-For", "198.51.100.1"))
            .insert_header(("X-Forwarded-Host", "evil.example"))
            .insert_header(("X-Forwarded-Proto", "https"))
            .to_http_request();
        let p = policy("10.0.0.0/8");
        assert_eq!(p.client_ip(&req), "203.0.113.9");
        assert_eq!(p.base_url(&req), "http://manyi.example");

        let via = TestRequest::default()
            .peer_addr("10.1.2.3:5000".parse().unwrap())
            .insert_header(("Host", "internal:8080"))
            .insert_header(("X-Forwarded-For", "1.2.3.4, 198.51.100.7, 10.9.9.9"))
            .insert_header(("X-Forwarded-Host", "manyi.example.gov.tw"))
            .insert_header(("X-Forwarded-Proto", "https"))
            .to_http_request();
        // The right-most address that is not a proxy: the first one may be forged.
        assert_eq!(p.client_ip(&via), "198.51.100.7");
        assert_eq!(p.base_url(&via), "https://manyi.example.gov.tw");

        let fixed = ProxyPolicy {
            public_url: Some("https://manyi.gov.tw".into()),
            ..p
        };
        assert_eq!(fixed.base_url(&req), "https://manyi.gov.tw");
        assert!(ProxyPolicy::parse_trusted("10.0.0.0/8, ::1, 127.0.0.1").is_ok());
        assert!(ProxyPolicy::parse_trusted("localhost").is_err());
    }
}

//! Every text that comes in is checked once, here at the edge, before any
//! handler sees it: the path, the query string, and the fields of form and
//! JSON bodies. Refused, with the field named and nothing done:
//! - bytes that are not UTF-8;
//! - control characters (C0, DEL, C1), except tab, line feed and carriage
//!   return inside body fields (free text from a textarea has them);
//! - a body over [`MAX_BODY`] (413), in the visitor's language;
//! - in JSON, an object that names the same key twice (`answers` with two
//!   `overall`s would otherwise be silently last-wins).
//!
//! The database never sees a NUL (PostgreSQL refuses them in text), and no
//! handler has to remember to check.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpMessage, ResponseError};
use futures_util::StreamExt;
use percent_encoding::percent_decode;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::ApiError;
use super::i18n::{Tr, request_lang};
use super::session::PageError;

/// The largest body any endpoint takes: a mailbox letter of 5,000 Chinese
/// characters is about 45 KiB once form-encoded.
pub const MAX_BODY: usize = 64 * 1024;

/// What is wrong with an input, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    /// `path`, a query or form field name, or a JSON path like `answers.comment`.
    pub field: String,
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    NotUtf8,
    Control(char),
    DuplicateKey,
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ProblemKind::NotUtf8 => write!(f, "{}: is not valid UTF-8 text", self.field),
            ProblemKind::Control(c) => write!(
                f,
                "{}: contains a control character (U+{:04X}) that is not allowed",
                self.field, c as u32
            ),
            ProblemKind::DuplicateKey => write!(f, "{}: is given more than once", self.field),
        }
    }
}

/// The first character a text may not hold. `multiline` allows tab, line
/// feed and carriage return (free text); names, codes and paths allow none.
pub fn forbidden_char(s: &str, multiline: bool) -> Option<char> {
    s.chars().find(|&c| {
        let control = c.is_control(); // C0, DEL and C1
        control && !(multiline && matches!(c, '\t' | '\n' | '\r'))
    })
}

fn check_text(field: &str, s: &str, multiline: bool) -> Result<(), InputProblem> {
    match forbidden_char(s, multiline) {
        Some(c) => Err(InputProblem {
            field: field.to_owned(),
            kind: ProblemKind::Control(c),
        }),
        None => Ok(()),
    }
}

fn decode(raw: &[u8], plus_is_space: bool) -> Result<String, ()> {
    let bytes: Vec<u8> = if plus_is_space {
        raw.iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect()
    } else {
        raw.to_vec()
    };
    String::from_utf8(percent_decode(&bytes).collect()).map_err(|_| ())
}

/// The path, percent-decoded: UTF-8, and no control character at all.
pub fn check_path(path: &str) -> Result<(), InputProblem> {
    let decoded = decode(path.as_bytes(), false).map_err(|_| InputProblem {
        field: "path".into(),
        kind: ProblemKind::NotUtf8,
    })?;
    check_text("path", &decoded, false)
}

/// `a=1&b=2` (a query string or a form body): each name and value decoded
/// and checked; values may be multi-line only in bodies.
pub fn check_urlencoded(raw: &[u8], multiline: bool) -> Result<(), InputProblem> {
    for pair in raw.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        let not_utf8 = |field: String| InputProblem {
            field,
            kind: ProblemKind::NotUtf8,
        };
        let name = decode(name, true).map_err(|_| not_utf8("form".into()))?;
        check_text("form", &name, false).map_err(|p| InputProblem {
            field: name.escape_default().to_string(),
            ..p
        })?;
        let value = decode(value, true).map_err(|_| not_utf8(name.clone()))?;
        check_text(&name, &value, multiline)?;
    }
    Ok(())
}

/// A JSON body: every key and string checked, duplicate keys refused.
/// `Ok(())` as well when the body is not JSON at all: the handler's own parser
/// then answers with its message.
pub fn check_json(raw: &[u8]) -> Result<(), InputProblem> {
    let found = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(raw);
    let walked = de::DeserializeSeed::deserialize(
        Checker {
            path: String::new(),
            found: &found,
        },
        &mut de,
    );
    match (walked, found.into_inner()) {
        (Err(_), Some(p)) => Err(p),
        _ => Ok(()),
    }
}

/// Walks a JSON document as it is parsed, keeping the path for messages;
/// the first problem is left in `found` and parsing stops.
struct Checker<'a> {
    path: String,
    found: &'a RefCell<Option<InputProblem>>,
}

impl<'a> Checker<'a> {
    fn child(&self, key: &str) -> Checker<'a> {
        Checker {
            path: if self.path.is_empty() {
                key.to_owned()
            } else {
                format!("{}.{key}", self.path)
            },
            found: self.found,
        }
    }

    fn field(&self) -> String {
        if self.path.is_empty() {
            "body".to_owned()
        } else {
            self.path.clone()
        }
    }

    fn fail<E: de::Error>(&self, p: InputProblem) -> E {
        let message = p.to_string();
        *self.found.borrow_mut() = Some(p);
        E::custom(message)
    }
}

impl<'de> de::DeserializeSeed<'de> for Checker<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checker<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i128<E>(self, _: i128) -> Result<(), E> {
        Ok(())
    }
    fn visit_u128<E>(self, _: u128) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        check_text(&self.field(), s, true).map_err(|p| self.fail(p))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while seq.next_element_seed(self.child(&i.to_string()))?.is_some() {
            i += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let child = self.child(&key);
            if let Err(p) = check_text(&child.field(), &key, false) {
                return Err(self.fail(p));
            }
            if !seen.insert(key) {
                return Err(self.fail(InputProblem {
                    field: child.field(),
                    kind: ProblemKind::DuplicateKey,
                }));
            }
            map.next_value_seed(child)?;
        }
        Ok(())
    }
}

/// How a refusal is answered: JSON on the API, a page elsewhere.
fn refuse(
    req: &ServiceRequest,
    status: actix_web::http::StatusCode,
    message: String,
    field: Option<String>,
) -> actix_web::HttpResponse {
    if req.path().starts_with("/api/") {
        let e = match status.as_u16() {
            413 => ApiError::TooLarge(message),
            415 => ApiError::UnsupportedMediaType(message),
            _ => ApiError::BadRequest { field, message },
        };
        return e.error_response();
    }
    let lang = request_lang(req.request());
    let t = Tr::new(lang);
    let page = match status.as_u16() {
        413 => PageError::too_large(lang, &t.s("error-too-large")),
        415 => PageError::unsupported(lang, &message),
        _ => PageError::bad_request(
            lang,
            field.as_deref().unwrap_or("form"),
            &t.s("error-control-char"),
        ),
    };
    page.error_response()
}

fn is_type(req: &ServiceRequest, mime: &str) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(mime))
}

/// Whether the Content-Type names no charset, or UTF-8.
fn utf8_or_no_charset(req: &ServiceRequest) -> bool {
    let types: Vec<_> = req.headers().get_all(header::CONTENT_TYPE).collect();
    if types.len() > 1 {
        return false;
    }
    types.first().is_none_or(|v| {
        v.to_str().is_ok_and(|t| {
            t.split(';')
                .skip(1)
                .all(|param| match param.split_once('=') {
                    Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => {
                        let v = v.trim().trim_matches('"');
                        v.eq_ignore_ascii_case("utf-8") || v.eq_ignore_ascii_case("utf8")
                    }
                    _ => true,
                })
        })
    })
}

/// The middleware: checks, then hands the request on with its body intact.
pub async fn check_inputs(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use actix_web::http::StatusCode;
    let bad = |req: ServiceRequest, p: InputProblem| {
        let res = refuse(&req, StatusCode::BAD_REQUEST, p.to_string(), Some(p.field));
        Ok(req.into_response(res))
    };
    if let Err(p) = check_path(req.path()) {
        return bad(req, p);
    }
    if let Err(p) = check_urlencoded(req.query_string().as_bytes(), false) {
        return bad(req, p);
    }
    // A compressed body would be checked compressed and read decompressed by
    // the extractors: none of our clients compresses, so none is taken.
    // Every Content-Encoding header, every coding listed in it.
    let encoded = req.headers().get_all(header::CONTENT_ENCODING).any(|v| {
        !v.to_str().is_ok_and(|e| {
            e.split(',')
                .all(|c| c.trim().eq_ignore_ascii_case("identity"))
        })
    });
    if encoded {
        let res = refuse(
            &req,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the body uncompressed (no Content-Encoding)".into(),
            Some("content-encoding".into()),
        );
        return Ok(req.into_response(res));
    }
    let form = is_type(&req, "application/x-www-form-urlencoded");
    let json = is_type(&req, "application/json");
    // The text checked must be the text read: UTF-8 only (a declared
    // charset would make the form reader decode other bytes than we checked).
    if (form || json) && !utf8_or_no_charset(&req) {
        let res = refuse(
            &req,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the body as UTF-8 (charset=utf-8, or no charset)".into(),
            Some("content-type".into()),
        );
        return Ok(req.into_response(res));
    }
    if form || json {
        let too_large = |req: ServiceRequest| {
            let res = refuse(
                &req,
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is over {} KiB", MAX_BODY / 1024),
                None,
            );
            Ok(req.into_response(res))
        };
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > MAX_BODY) {
            return too_large(req);
        }
        let mut payload = req.take_payload();
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk?;
            if body.len() + chunk.len() > MAX_BODY {
                return too_large(req);
            }
            body.extend_from_slice(&chunk);
        }
        let body: Bytes = body.freeze();
        let checked = if form {
            check_urlencoded(&body, true)
        } else {
            check_json(&body)
        };
        if let Err(p) = checked {
            return bad(req, p);
        }
        req.set_payload(actix_web::dev::Payload::from(body));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_refused_except_line_breaks_in_free_text() {
        assert_eq!(forbidden_char("第一行\r\n第二行\t完", true), None);
        assert_eq!(forbidden_char("a\nb", false), Some('\n'));
        assert_eq!(forbidden_char("a\0b", true), Some('\0'));
        assert_eq!(forbidden_char("a\u{b}b", true), Some('\u{b}'));
        assert_eq!(forbidden_char("a\u{7f}", true), Some('\u{7f}'));
        assert_eq!(forbidden_char("a\u{85}", true), Some('\u{85}'));
        assert_eq!(forbidden_char("戶政事務所 OK", false), None);
    }

    #[test]
    fn paths_queries_and_forms_name_the_field() {
        assert_eq!(check_path("/mailbox/JS"), Ok(()));
        assert_eq!(check_path("/mailbox/%E4%B8%AD").map_err(|p| p.kind), Ok(()));
        assert_eq!(
            check_path("/mailbox/%00").unwrap_err().kind,
            ProblemKind::Control('\0')
        );
        assert_eq!(
            check_path("/mailbox/%FF").unwrap_err().kind,
            ProblemKind::NotUtf8
        );
        let p = check_urlencoded(b"subject=ok&content=a%00b", true).unwrap_err();
        assert_eq!(
            (p.field.as_str(), p.kind),
            ("content", ProblemKind::Control('\0'))
        );
        assert!(check_urlencoded(b"content=line%0D%0Aline+two", true).is_ok());
        assert_eq!(
            check_urlencoded(b"next=%2Fconsole%0D%0A", false)
                .unwrap_err()
                .field,
            "next"
        );
        assert_eq!(
            check_urlencoded(b"name=%C3%28", true).unwrap_err().kind,
            ProblemKind::NotUtf8
        );
    }

    #[test]
    fn json_strings_keys_and_duplicates() {
        assert_eq!(check_json(br#"{"a":"x","b":[1,"y",{"c":null}]}"#), Ok(()));
        let p = check_json(br#"{"answers":{"comment":"a\u0000b"}}"#).unwrap_err();
        assert_eq!(p.field, "answers.comment");
        assert_eq!(p.kind, ProblemKind::Control('\0'));
        let p = check_json(br#"{"answers":{"overall":1,"overall":5}}"#).unwrap_err();
        assert_eq!(
            (p.field.as_str(), p.kind),
            ("answers.overall", ProblemKind::DuplicateKey)
        );
        let p = check_json(br#"{"list":["ok","\u0007"]}"#).unwrap_err();
        assert_eq!(p.field, "list.1");
        // Not JSON: left to the handler's own parser and message.
        assert_eq!(check_json(b"{"), Ok(()));
        assert!(check_json(r#"{"comment":"第一行\n第二行"}"#.as_bytes()).is_ok());
    }
}

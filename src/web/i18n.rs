//! Console texts in Traditional Chinese (default) and English, from Fluent
//! files compiled into the binary (`src/web/locales/*/console.ftl`).

use std::borrow::Cow;
use std::collections::HashMap;

use actix_web::HttpRequest;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid, static_loader};

use crate::forms::Lang;

static_loader! {
    static LOCALES = {
        locales: "./src/web/locales",
        fallback_language: "zh-TW",
        // No Unicode isolation marks around numbers in messages.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

pub const LANG_COOKIE: &str = "manyi_lang";

static ZH_TW: LanguageIdentifier = langid!("zh-TW");
static EN: LanguageIdentifier = langid!("en");

/// The language of a console request: `?lang=` first, then the cookie, then zh-TW.
pub fn request_lang(req: &HttpRequest) -> Lang {
    let from_query = web_query_lang(req.query_string());
    let from_cookie = req.cookie(LANG_COOKIE).and_then(|c| parse_lang(c.value()));
    from_query.or(from_cookie).unwrap_or(Lang::ZhTw)
}

fn web_query_lang(q: &str) -> Option<Lang> {
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| parse_lang(v))
}

pub fn parse_lang(s: &str) -> Option<Lang> {
    match s {
        "zh-TW" | "zh" => Some(Lang::ZhTw),
        "en" => Some(Lang::En),
        _ => None,
    }
}

pub fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::ZhTw => "zh-TW",
        Lang::En => "en",
    }
}

/// Texts for one language; templates call `t.s("id")`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Self { lang }
    }

    fn id(&self) -> &'static LanguageIdentifier {
        match self.lang {
            Lang::ZhTw => &ZH_TW,
            Lang::En => &EN,
        }
    }

    pub fn s(&self, key: &str) -> String {
        LOCALES.lookup(self.id(), key)
    }

    pub fn with_seconds(&self, key: &str, seconds: i64) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> =
            HashMap::from([(Cow::Borrowed("seconds"), FluentValue::from(seconds))]);
        LOCALES.lookup_with_args(self.id(), key, &args)
    }

    /// `zh` or `en` depending on the language (for data that carries both).
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::ZhTw => zh,
            Lang::En => en,
        }
    }

    pub fn code(&self) -> &'static str {
        lang_code(self.lang)
    }

    pub fn html_lang(&self) -> &'static str {
        match self.lang {
            Lang::ZhTw => "zh-Hant-TW",
            Lang::En => "en",
        }
    }

    pub fn other_code(&self) -> &'static str {
        match self.lang {
            Lang::ZhTw => "en",
            Lang::En => "zh-TW",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_every_console_text() {
        let zh = include_str!("locales/zh-TW/console.ftl");
        let en = include_str!("locales/en/console.ftl");
        let ids = |s: &str| -> Vec<String> {
            s.lines()
                .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_owned()))
                .collect()
        };
        assert_eq!(ids(zh), ids(en));
        assert_eq!(Tr::new(Lang::ZhTw).s("nav-dashboard"), "儀表板");
        assert_eq!(Tr::new(Lang::En).s("nav-dashboard"), "Dashboard");
        assert_eq!(
            Tr::new(Lang::ZhTw).with_seconds("login-throttled-account", 15),
            "此帳號近來登入失敗次數較多，為保護帳號，請於 15 秒後再試。"
        );
    }
}

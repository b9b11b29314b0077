//! What goes wrong on a citizen's page, as a page: in Traditional Chinese and
//! English, with a way forward (never JSON, never a field's code name).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::web::ApiError;

/// An error of a public page.
#[derive(Debug)]
pub struct Problem {
    status: StatusCode,
    zh: String,
    en: String,
}

#[derive(Template)]
#[template(path = "public_error.html")]
struct ProblemPage<'a> {
    heading_zh: &'a str,
    heading_en: &'a str,
    zh: &'a str,
    en: &'a str,
}

impl Problem {
    pub fn new(status: StatusCode, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            status,
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// An office code that names no office open to the public.
    pub fn unknown_office() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "找不到這個戶政事務所。請從首頁的事務所清單進入。",
            "We could not find this office. Please choose it from the list on the start page.",
        )
    }

    /// A questionnaire that is not (or no longer) on the web.
    pub fn unknown_form() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "找不到這份問卷，可能已停止使用。請從首頁重新進入。",
            "We could not find this questionnaire; it may no longer be in use. Please start again from the start page.",
        )
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.en)
    }
}

impl From<ApiError> for Problem {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::NotFound(_) => Self::new(
                StatusCode::NOT_FOUND,
                "找不到您要的頁面。",
                "We could not find the page you asked for.",
            ),
            ApiError::Forbidden(_) | ApiError::NotAllowed { .. } | ApiError::Unauthorized(_) => {
                Self::new(
                    StatusCode::FORBIDDEN,
                    "此表單已逾時或已送出過。請回上一頁重新整理後再送出。",
                    "This form has expired or was already sent. Go back, reload the page and send it again.",
                )
            }
            ApiError::TooManyRequests(_) => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "短時間內送出太多次了，請稍候一分鐘再試。",
                "Too many tries in a short time. Please wait a minute and try again.",
            ),
            ApiError::TooLarge(_) => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "內容太長了，請縮短後再送出。",
                "What you sent is too long. Please shorten it and send it again.",
            ),
            ApiError::BadRequest { .. }
            | ApiError::UnsupportedMediaType(_)
            | ApiError::MethodNotAllowed(_)
            | ApiError::Conflict { .. } => Self::new(
                StatusCode::BAD_REQUEST,
                "送出的資料無法處理，請回上一頁檢查後再試。",
                "We could not process what was sent. Please go back, check it and try again.",
            ),
            ApiError::Internal(_) => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "系統暫時發生問題，您的資料沒有被儲存。請稍後再試。",
                "Something went wrong on our side and nothing was stored. Please try again later.",
            ),
        }
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let (heading_zh, heading_en) = match self.status {
            StatusCode::NOT_FOUND => ("找不到", "Not found"),
            StatusCode::TOO_MANY_REQUESTS => ("請稍候再試", "Please wait"),
            StatusCode::INTERNAL_SERVER_ERROR => ("系統暫時發生問題", "Something went wrong"),
            _ => ("無法完成", "Could not be done"),
        };
        let body = ProblemPage {
            heading_zh,
            heading_en,
            zh: &self.zh,
            en: &self.en,
        }
        .render()
        .unwrap_or_else(|_| format!("{} {}", self.zh, self.en));
        HttpResponse::build(self.status)
            .content_type("text/html; charset=utf-8")
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .body(body)
    }
}

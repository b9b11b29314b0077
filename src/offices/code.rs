//! An office's code (`JS`, `DA`, `TPE-01`): the short name by which staff,
//! kiosks, links and the API refer to an office. Parsed once, at the edge;
//! the rest of the code trusts it.

use serde::{Deserialize, Serialize};

/// The longest office code.
pub const MAX_CODE_CHARS: usize = 16;

/// 1 to 16 characters: upper-case ASCII letters, digits and inner `-`,
/// starting with a letter. Lower-case input is taken as upper-case; spaces
/// around it are ignored.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(try_from = "String", into = "String")]
pub struct OfficeCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfficeCodeError {
    #[error("office: an office code is required")]
    Empty,
    #[error("office: `{0}` is no office code (at most {MAX_CODE_CHARS} characters)")]
    TooLong(String),
    #[error(
        "office: `{0}` is no office code (letters A-Z, digits and `-`, starting with a letter)"
    )]
    Invalid(String),
}

impl OfficeCode {
    pub fn parse(given: &str) -> Result<Self, OfficeCodeError> {
        let code = given.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(OfficeCodeError::Empty);
        }
        if code.chars().count() > MAX_CODE_CHARS {
            return Err(OfficeCodeError::TooLong(given.trim().to_owned()));
        }
        let ok = code.starts_with(|c: char| c.is_ascii_uppercase())
            && !code.ends_with('-')
            && code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            return Err(OfficeCodeError::Invalid(given.trim().to_owned()));
        }
        Ok(OfficeCode(code))
    }
}

crate::newtype::string_newtype!(OfficeCode, OfficeCodeError);
crate::db::text_enum!(OfficeCode, result);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_to_upper_case_and_bad_ones_say_why() {
        assert_eq!(OfficeCode::parse(" js ").unwrap().as_str(), "JS");
        assert_eq!(OfficeCode::parse("TPE-01").unwrap(), "TPE-01");
        assert_eq!(OfficeCode::parse("  "), Err(OfficeCodeError::Empty));
        for bad in ["1A", "-JS", "JS-", "J S", "金沙", "JS;DROP", "A_B"] {
            let err = OfficeCode::parse(bad).unwrap_err();
            assert!(matches!(err, OfficeCodeError::Invalid(_)), "{bad}: {err:?}");
            assert!(err.to_string().starts_with("office: "), "{err}");
        }
        assert!(matches!(
            OfficeCode::parse(&"A".repeat(17)),
            Err(OfficeCodeError::TooLong(_))
        ));
        assert_eq!(OfficeCode::parse(&"A".repeat(16)).unwrap().len(), 16);
    }

    #[test]
    fn serde_refuses_a_bad_code() {
        let ok: OfficeCode = serde_json::from_str("\"da\"").unwrap();
        assert_eq!(ok, "DA");
        assert!(serde_json::from_str::<OfficeCode>("\"d a\"").is_err());
        assert_eq!(serde_json::to_string(&ok).unwrap(), "\"DA\"");
    }
}

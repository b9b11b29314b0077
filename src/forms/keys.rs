//! The words a form is made of, parsed once: an item's key (`waiting_time`)
//! and a 5-point score (1 非常不滿意 … 5 非常滿意).

use serde::{Deserialize, Serialize};

/// The longest key of a form, item, dimension or option.
pub const MAX_KEY_LEN: usize = 40;

/// The key of an item (also of a dimension, an option, a form): 1 to 40
/// characters, starting with a-z, then a-z, 0-9, `_` or `-`. Item keys name
/// the frame columns and the API fields (`answers.waiting_time`), so the rule
/// is strict.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ItemKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "key `{0}` must start with a-z and use only a-z, 0-9, `_` or `-` (at most {MAX_KEY_LEN} characters)"
)]
pub struct KeyError(pub String);

impl ItemKey {
    pub fn parse(given: &str) -> Result<Self, KeyError> {
        let ok = !given.is_empty()
            && given.len() <= MAX_KEY_LEN
            && given.starts_with(|c: char| c.is_ascii_lowercase())
            && given
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if ok {
            Ok(ItemKey(given.to_owned()))
        } else {
            Err(KeyError(given.to_owned()))
        }
    }
}

crate::newtype::string_newtype!(ItemKey, KeyError);

/// An answer on a 5-point scale: 1 (非常不滿意 very dissatisfied) to 5
/// (非常滿意 very satisfied); 4 and 5 are the satisfied (top-2) box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "u8")]
pub struct Score(u8);

impl Score {
    /// A whole number from 1 to 5, else `None`.
    pub fn new(n: i64) -> Option<Self> {
        (1..=5).contains(&n).then_some(Score(n as u8))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// 滿意 or 非常滿意.
    pub fn satisfied(self) -> bool {
        self.0 >= 4
    }

    /// 不滿意 or 非常不滿意.
    pub fn dissatisfied(self) -> bool {
        self.0 <= 2
    }
}

impl From<Score> for u8 {
    fn from(s: Score) -> u8 {
        s.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_rule() {
        for ok in ["waiting_time", "q1", "a-b", &"a".repeat(40)] {
            assert_eq!(ItemKey::parse(ok).unwrap(), *ok);
        }
        for bad in [
            "",
            "1q",
            "Waiting",
            "wait time",
            "等候",
            "_x",
            &"a".repeat(41),
        ] {
            assert_eq!(ItemKey::parse(bad), Err(KeyError(bad.to_owned())));
        }
        let k: ItemKey = serde_json::from_str("\"overall\"").unwrap();
        assert_eq!(serde_json::to_string(&k).unwrap(), "\"overall\"");
        assert!(serde_json::from_str::<ItemKey>("\"Over all\"").is_err());
    }

    #[test]
    fn scores_are_one_to_five() {
        assert_eq!(Score::new(0), None);
        assert_eq!(Score::new(6), None);
        assert_eq!(Score::new(-3), None);
        let s: Vec<u8> = (1..=5).map(|n| Score::new(n).unwrap().get()).collect();
        assert_eq!(s, [1, 2, 3, 4, 5]);
        assert!(Score::new(4).unwrap().satisfied() && !Score::new(3).unwrap().satisfied());
        assert!(Score::new(2).unwrap().dissatisfied() && !Score::new(3).unwrap().dissatisfied());
    }
}

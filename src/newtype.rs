//! Words that parse: a newtype over `String` whose only way in is its
//! `parse`. [`string_newtype!`] gives it what every such type needs (reading
//! as a `&str`, printing, comparing with strings, serde through the same
//! `parse`), so each type writes only its rule.

/// For `struct T(String)` with `fn parse(&str) -> Result<T, E>`: `as_str`,
/// `Display`, `Deref<Target = str>`, `Borrow<str>`, `TryFrom<String>` (serde's
/// `try_from`), `From<T> for String` (serde's `into`) and `==` with `str`,
/// `&str` and `String` on either side.
macro_rules! string_newtype {
    ($t:ident, $err:ty) => {
        impl $t {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::ops::Deref for $t {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $t {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $t {
            type Error = $err;
            fn try_from(s: String) -> Result<Self, $err> {
                $t::parse(&s)
            }
        }

        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }

        impl PartialEq<str> for $t {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $t {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$t> for String {
            fn eq(&self, other: &$t) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$t> for &str {
            fn eq(&self, other: &$t) -> bool {
                *self == other.0
            }
        }
    };
}
pub(crate) use string_newtype;

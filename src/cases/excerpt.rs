//! Masking of what could identify someone in free text quoted outside the
//! register (comment examples of the analytics and the reports): Taiwan
//! telephone numbers in any spacing, national ID and resident certificate
//! numbers, e-mail addresses and other long numbers, half- or full-width, in
//! Arabic or Chinese numerals. Dates and short numbers (`3號櫃檯`, `15分鐘`,
//! `113年`) stay.

use std::sync::LazyLock;

use regex::{Captures, Regex};

/// What a masked span becomes.
pub const MASK: &str = "＊＊＊";

/// A digit in any form people type or paste: ASCII and full-width, every
/// Unicode decimal and other number (𝟎, ⓪, ¹ …), Chinese numerals, common and
/// formal (〇九一二, 零玖壹貳).
const D: &str = "[\\p{Nd}\\p{No}\\p{Nl}〇零○一二三四五六七八九壹貳贰參叁肆伍陸柒捌玖]";
/// Between digit groups: up to five characters that are neither letters nor
/// digits (spaces of every kind, tabs and line breaks, invisible and
/// formatting characters, hyphens, dashes, dots, slashes, commas, 、, |, :,
/// *, \\, brackets, keycap and variation marks …).
const GAP: &str = "[^\\p{L}\\p{N}]{0,5}";
/// A space or an invisible separator, for around the `@` of an address.
const SP: &str = "[\\s\\p{Cf}\\p{Z}]";

/// Candidates, leftmost first: an e-mail address (also written `(at)` or
/// `[at]`, `[dot]`, with spaces, a domain in any script), an ID number, or a
/// run of digits joined by separators, which [`personal_run`] then judges.
static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    let ascii_word = "[A-Za-z0-9Ａ-Ｚａ-ｚ０-９_%+'!#$&*=?^`{|}~\\-－]";
    // The local part may be a name in Chinese characters (up to four of them:
    // a name cannot be told from the word before it).
    let local = format!("(?:\\p{{Han}}{{1,4}}|{ascii_word}(?:{ascii_word}|[.．])*)");
    let at = format!("{SP}{{0,3}}(?:[@＠]|[(\\[{{（【]{SP}*(?i:at){SP}*[)\\]}}）】]){SP}{{0,3}}");
    let dot = format!(
        "(?:{SP}{{0,2}}[.．。]{SP}{{0,2}}|{SP}*[(\\[{{（【]{SP}*(?i:dot){SP}*[)\\]}}）】]{SP}*)"
    );
    // Domain labels: ASCII, or up to four Chinese characters (例子.台灣), so
    // that the sentence after an address stays.
    let label = format!("(?:{ascii_word}+|\\p{{Han}}{{1,4}})");
    let email = format!("{local}{at}{label}(?:{dot}{label})*");
    // National ID `A123456789`, resident certificate `AB12345678` / `A812345678`.
    let id = format!("[A-Za-zＡ-Ｚａ-ｚ]{GAP}(?:[A-Da-dＡ-Ｄａ-ｄ]|{D})(?:{GAP}{D}){{8,}}");
    let run = format!("[+＋(（]?{D}(?:{GAP}{D})*");
    Regex::new(&format!("(?P<email>{email})|(?P<id>{id})|(?P<run>{run})"))
        .expect("the masking pattern compiles")
});

/// A digit of [`D`]: what [`personal_run`] counts.
fn is_digit(c: char) -> bool {
    c.is_numeric() || "〇零○一二三四五六七八九壹貳贰參叁肆伍陸柒捌玖".contains(c)
}

/// A date such as `2024-05-02`, `113.05.02`, `2024/5/2` or `113.5.2 14` (after
/// folding to half-width) at the start of a run: kept although it has five
/// digits or more. A year never starts with 0, as every Taiwan telephone
/// number does.
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^[1-9][0-9]{1,3}[-./](?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12][0-9]|3[01])(?: [0-9]{1,2}\b)?",
    )
    .expect("the date pattern compiles")
});

/// Full-width ASCII forms and the ideographic space folded to ASCII.
fn half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Whether a run of digit groups could be a telephone, ID, account or case
/// number: five digits or more, not counting a date it starts with
/// (`2024/5/2, 3號櫃檯` keeps its date and its counter).
fn personal_run(run: &str) -> bool {
    let run = half_width(run);
    let rest = DATE.find(&run).map_or(run.as_str(), |d| &run[d.end()..]);
    rest.chars().filter(|c| is_digit(*c)).count() >= 5
}

/// `text` with every telephone number (`0912 345 678`, `+886-912-345-678`,
/// `(02) 2345-6789`, `049-2xx-xxxx`, full-width `０９１２．３４５．６７８` …),
/// ID or resident certificate number (`A123 456 789`, `ａ１２３４５６７８９`),
/// e-mail address and any other run of five digits or more (also split by
/// spaces, hyphens or dots) replaced by [`MASK`].
pub fn mask_excerpt(text: &str) -> String {
    CANDIDATE
        .replace_all(text, |caps: &Captures<'_>| {
            let found = &caps[0];
            if caps.name("run").is_some() && !personal_run(found) {
                found.to_owned()
            } else {
                MASK.to_owned()
            }
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn excerpts_lose_numbers_and_addresses_only() {
        assert_eq!(mask_excerpt("請回電0912-345-678謝謝"), "請回電＊＊＊謝謝");
        assert_eq!(mask_excerpt("身分證A123456789"), "身分證＊＊＊");
        assert_eq!(
            mask_excerpt("寄到 wang.xm@example.com 好嗎"),
            "寄到 ＊＊＊ 好嗎"
        );
        assert_eq!(mask_excerpt("電話０９１２３４５６７８"), "電話＊＊＊");
        // Short numbers and plain words stay: counter 3, 15 minutes, ROC 113.
        assert_eq!(
            mask_excerpt("3號櫃檯等了15分鐘，113年"),
            "3號櫃檯等了15分鐘，113年"
        );
        assert_eq!(mask_excerpt("QR code 很方便"), "QR code 很方便");
    }

    #[test]
    fn what_the_hostile_review_found_is_masked() {
        for (text, want) in [
            ("電話0912\t345\t678", "電話＊＊＊"),
            ("電話0912\n345\n678", "電話＊＊＊"),
            ("電話0912/345/678", "電話＊＊＊"),
            ("電話0912,345,678", "電話＊＊＊"),
            ("電話0912_345_678", "電話＊＊＊"),
            ("電話0912~345~678", "電話＊＊＊"),
            ("電話0912\u{200b}345\u{200b}678", "電話＊＊＊"),
            ("電話0912\u{2009}345\u{2009}678", "電話＊＊＊"),
            ("電話0912\u{202f}345\u{202f}678", "電話＊＊＊"),
            ("電話〇九一二三四五六七八", "電話＊＊＊"),
            ("電話零九一二 三四五 六七八", "電話＊＊＊"),
            // A name in characters cannot be told from the word before it: up
            // to four characters before the @ go.
            ("寄給王小明@example.com謝謝", "寄＊＊＊謝謝"),
            ("寄到 wang.xm @ example.com 好嗎", "寄到 ＊＊＊ 好嗎"),
            ("wang'xm@example.com", "＊＊＊"),
        ] {
            assert_eq!(mask_excerpt(text), want, "{text:?}");
        }
        // The third hostile test's forms.
        for (text, want) in [
            (
                "香蕉很爛，電話0912、345、678，請回電",
                "香蕉很爛，電話＊＊＊，請回電",
            ),
            ("電話0912一345一678", "電話＊＊＊"),
            ("電話0912--345--678", "電話＊＊＊"),
            ("電話0912     345     678", "電話＊＊＊"),
            ("電話0912|345|678", "電話＊＊＊"),
            ("電話0912:345:678", "電話＊＊＊"),
            ("電話0912\u{ad}345\u{200e}678\u{2028}", "電話＊＊＊\u{2028}"),
            ("電話0九1二3四5六7八", "電話＊＊＊"),
            ("電話零玖壹貳參肆伍陸柒捌", "電話＊＊＊"),
            ("電話〇九一二、三四五、六七八", "電話＊＊＊"),
            ("電話𝟎𝟗𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖", "電話＊＊＊"),
            ("電話⓪⑨①②③④⑤⑥⑦⑧", "電話＊＊＊"),
            (
                "電話0\u{fe0f}\u{20e3}9\u{fe0f}\u{20e3}1\u{fe0f}\u{20e3}2\u{fe0f}\u{20e3}3\u{fe0f}\u{20e3}",
                "電話＊＊＊\u{fe0f}\u{20e3}",
            ),
            ("身分證A123一456一789", "身分證＊＊＊"),
            ("身分證A壹貳參肆伍陸柒捌玖", "身分證＊＊＊"),
            ("寫信 wang.xm(at)example.com", "寫信 ＊＊＊"),
            ("寫信 wang.xm [at] example [dot] com", "寫信 ＊＊＊"),
            ("寫信 wang.xm@例子.台灣 謝謝", "寫信 ＊＊＊ 謝謝"),
            ("寫信 wangxm   @   example.com", "寫信 ＊＊＊"),
            ("寫信 wang#xm@example.com", "寫信 ＊＊＊"),
        ] {
            assert_eq!(mask_excerpt(text), want, "{text:?}");
        }
        // Dates stay, also with slashes and something after them.
        for kept in [
            "2024/5/2, 3號櫃檯",
            "113/05/02 14點",
            "一二三號櫃檯",
            "第三、四號",
        ] {
            assert_eq!(mask_excerpt(kept), kept);
        }
    }

    #[test]
    fn spaced_telephone_numbers_are_masked() {
        for (text, want) in [
            ("請回電 0912 345 678", "請回電 ＊＊＊"),
            ("請回電 0912-345-678", "請回電 ＊＊＊"),
            ("手機0912.345.678，謝謝", "手機＊＊＊，謝謝"),
            ("打 +886 912 345 678 找我", "打 ＊＊＊ 找我"),
            ("打+886-912-345-678找我", "打＊＊＊找我"),
            ("+886-9-1234-5678", "＊＊＊"),
            ("電話(02) 2345-6789轉分機", "電話＊＊＊轉分機"),
            ("電話（02）2345-6789", "電話＊＊＊"),
            ("電話02-2345 6789", "電話＊＊＊"),
            ("南投049-2123-4567", "南投＊＊＊"),
            ("電話 0 9 1 2 3 4 5 6 7 8", "電話 ＊＊＊"),
            ("電話０９１２　３４５　６７８", "電話＊＊＊"),
            ("電話０９１２－３４５－６７８", "電話＊＊＊"),
            ("電話 0912 - 345 - 678 謝謝", "電話 ＊＊＊ 謝謝"),
        ] {
            assert_eq!(mask_excerpt(text), want, "{text}");
        }
    }

    #[test]
    fn spaced_id_numbers_and_addresses_are_masked() {
        for (text, want) in [
            ("身分證 A123 456 789", "身分證 ＊＊＊"),
            ("身分證a123-456-789", "身分證＊＊＊"),
            ("身分證Ａ１２３４５６７８９", "身分證＊＊＊"),
            ("居留證 AB 1234 5678", "居留證 ＊＊＊"),
            ("居留證A8.1234.5678", "居留證＊＊＊"),
            ("信箱ｗａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", "信箱＊＊＊"),
            ("案號 113-000123", "案號 ＊＊＊"),
            ("帳號 1234 5678 9012", "帳號 ＊＊＊"),
        ] {
            assert_eq!(mask_excerpt(text), want, "{text}");
        }
    }

    #[test]
    fn dates_and_short_numbers_stay() {
        for text in [
            "2024年5月2日去辦",
            "113.05.02 10點到",
            "2024-05-02 14:30 到場",
            "113年5月2日",
            "等了 20 30 分鐘",
            "1+1 很簡單",
            "第(3)題",
        ] {
            assert_eq!(mask_excerpt(text), text);
        }
    }

    /// One character of a number, half- or full-width.
    fn width(c: char, full: bool) -> char {
        match c {
            '0'..='9' | 'A'..='Z' | 'a'..='z' | '+' | '(' | ')' if full => {
                char::from_u32(c as u32 + 0xfee0).expect("a full-width form")
            }
            _ => c,
        }
    }

    /// A number as someone could type it: each character half- or
    /// full-width, each gap empty or a separator.
    fn typed(number: String) -> impl Strategy<Value = String> {
        let n = number.chars().count();
        let sep = prop::sample::select(vec!["", "", " ", "-", ".", "\u{3000}", "－", "．"]);
        (
            prop::collection::vec(any::<bool>(), n),
            prop::collection::vec(sep, n),
        )
            .prop_map(move |(full, seps)| {
                let mut out = String::new();
                let mut prev = None;
                for (i, c) in number.chars().enumerate() {
                    // No separator inside `(02)` or after the `+` of `+886`.
                    if prev.is_some_and(|p| !matches!(p, '(' | '+')) && c != ')' {
                        out.push_str(seps[i]);
                    }
                    out.push(width(c, full[i]));
                    prev = Some(c);
                }
                out
            })
    }

    fn digits(n: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(0..10u32, n).prop_map(|d| {
            d.into_iter()
                .map(|d| char::from_digit(d, 10).expect("a digit"))
                .collect()
        })
    }

    /// Mobile, +886 mobile, landline with or without brackets, ID numbers.
    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            digits(8).prop_map(|d| format!("09{d}")),
            digits(8).prop_map(|d| format!("+8869{d}")),
            (
                prop::sample::select(vec!["02", "03", "04", "049", "037", "089"]),
                digits(7)
            )
                .prop_map(|(area, d)| format!("{area}{d}")),
            (prop::sample::select(vec!["02", "04", "07"]), digits(8))
                .prop_map(|(area, d)| format!("({area}){d}")),
            (
                prop::sample::select(('A'..='Z').chain('a'..='z').collect::<Vec<_>>()),
                prop::sample::select(vec!['1', '2', 'A', 'B', 'C', 'D', 'c']),
                digits(8)
            )
                .prop_map(|(l, s, d)| format!("{l}{s}{d}")),
        ]
        .prop_flat_map(typed)
    }

    proptest! {
        #[test]
        fn no_digit_of_a_number_survives(
            before in "[一-龥，。：]{0,6}".prop_filter("no numerals", |s| !s.chars().any(is_digit)),
            number in number(),
            after in "[一-龥，。]{0,6}".prop_filter("no numerals", |s| !s.chars().any(is_digit)),
        ) {
            let masked = mask_excerpt(&format!("{before}{number}{after}"));
            prop_assert_eq!(masked, format!("{before}{MASK}{after}"), "{}", number);
        }
    }
}

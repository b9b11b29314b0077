//! Masking of petitioners' personal data (個人資料保護法) in lists and exports.

/// 王小明 → 王○明, 王明 → 王○, 歐陽小明 → 歐○○明; Latin names keep their
/// first letters: John Smith → J*** S****.
pub fn mask_name(name: &str) -> String {
    let name = name.trim();
    let chars: Vec<char> = name.chars().collect();
    if chars.iter().all(|c| c.is_ascii()) {
        return name
            .split_whitespace()
            .map(|w| {
                let mut it = w.chars();
                match it.next() {
                    Some(first) => format!("{first}{}", "*".repeat(it.count())),
                    None => String::new(),
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
    }
    match chars.len() {
        0 => String::new(),
        1 => "○".into(),
        2 => format!("{}○", chars[0]),
        n => format!("{}{}{}", chars[0], "○".repeat(n - 2), chars[n - 1]),
    }
}

/// 0912345678 → 0912-***-678; e-mail a.lin@example.tw → a****@example.tw;
/// anything else keeps its first and last characters.
pub fn mask_contact(contact: &str) -> String {
    let c = contact.trim();
    if let Some((user, domain)) = c.split_once('@') {
        let first: String = user.chars().take(1).collect();
        return format!("{first}****@{domain}");
    }
    let digits: String = c.chars().filter(|ch| ch.is_ascii_digit()).collect();
    if digits.len() >= 8
        && c.chars()
            .all(|ch| ch.is_ascii_digit() || "-() +".contains(ch))
    {
        return format!("{}-***-{}", &digits[..4], &digits[digits.len() - 3..]);
    }
    let chars: Vec<char> = c.chars().collect();
    match chars.len() {
        0..=2 => "*".repeat(chars.len()),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(mask_name("王小明"), "王○明");
        assert_eq!(mask_name("王明"), "王○");
        assert_eq!(mask_name("歐陽小明"), "歐○○明");
        assert_eq!(mask_name("John Smith"), "J*** S****");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn contacts() {
        assert_eq!(mask_contact("0912345678"), "0912-***-678");
        assert_eq!(mask_contact("0912-345-678"), "0912-***-678");
        assert_eq!(mask_contact("a.lin@example.tw"), "a****@example.tw");
        assert_eq!(mask_contact("金城鎮民生路1號"), "金******號");
    }
}

//! Comment terms: Traditional Chinese segmentation, top terms per period, and
//! the terms over-represented in the comments of dissatisfied respondents
//! against satisfied ones (weighted log-odds with an informative Dirichlet
//! prior, Monroe, Colaresi & Quinn 2008, in the form of R's `tidylo`).
//!
//! jieba-rs carries a Simplified Chinese dictionary: cutting Traditional text
//! directly splits 戶政事務所 into 戶/政事/務所. So each comment is converted
//! to Simplified (OpenCC `tw2s`), cut, and every token's character offsets
//! are mapped back onto the original text. Where the conversion changed the
//! number of characters (rare phrase conversions), the original is cut as is.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;
use jieba_rs::Jieba;
use polars::prelude::*;
use serde::Serialize;

use super::AnalyticsError;
use super::Collect;
use super::frame::{col as c, item_column};
use crate::cases::mask_excerpt;

const DOMAIN: &str = include_str!("../../assets/terms/domain.txt");
const STOPWORDS: &str = include_str!("../../assets/terms/stopwords.txt");

fn lines(s: &str) -> impl Iterator<Item = &str> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// A segmenter for Traditional Chinese comments, built once per process.
pub struct Segmenter {
    jieba: Jieba,
    t2s: OpenCC,
    stop: HashSet<String>,
}

impl Segmenter {
    pub fn shared() -> &'static Segmenter {
        static S: OnceLock<Segmenter> = OnceLock::new();
        S.get_or_init(Segmenter::new)
    }

    fn new() -> Self {
        let t2s = OpenCC::from_config(BuiltinConfig::Tw2s).expect("the built-in tw2s config loads");
        let mut jieba = Jieba::new();
        for w in lines(DOMAIN) {
            // In Simplified form, as the text is cut after conversion; a high
            // frequency so the whole word wins over its parts.
            jieba.add_word(&t2s.convert(w), Some(50_000), None);
            jieba.add_word(w, Some(50_000), None);
        }
        let stop = lines(STOPWORDS).map(str::to_owned).collect();
        Segmenter { jieba, t2s, stop }
    }

    /// The tokens of `text` in its own (Traditional) characters.
    pub fn cut<'a>(&self, text: &'a str) -> Vec<&'a str> {
        let simplified = self.t2s.convert(text);
        let orig: Vec<(usize, char)> = text.char_indices().collect();
        if simplified.chars().count() != orig.len() {
            return self
                .jieba
                .cut(text, true)
                .into_iter()
                .map(|t| t.word)
                .collect();
        }
        let byte_at = |ch: usize| orig.get(ch).map(|x| x.0).unwrap_or(text.len());
        self.jieba
            .cut(&simplified, true)
            .into_iter()
            .map(|t| &text[byte_at(t.start)..byte_at(t.end)])
            .collect()
    }

    /// The countable terms of a comment: two characters or more, with at
    /// least one letter or CJK character, not a stopword.
    pub fn terms(&self, text: &str) -> Vec<String> {
        self.cut(text)
            .into_iter()
            .map(str::trim)
            .filter(|w| w.chars().count() >= 2)
            .filter(|w| w.chars().any(char::is_alphabetic))
            .filter(|w| !w.chars().all(|ch| ch.is_ascii_alphanumeric()) || w.len() >= 3)
            .filter(|w| !self.stop.contains(*w))
            .map(str::to_owned)
            .collect()
    }
}

/// How often a term occurs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TermCount {
    pub term: String,
    /// Comments containing it.
    pub comments: u64,
    /// Occurrences.
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodTerms {
    pub year: i32,
    pub comments: u64,
    pub top: Vec<TermCount>,
}

/// A term over-represented among dissatisfied respondents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DissatisfiedTerm {
    pub term: String,
    pub dissatisfied_count: u64,
    pub satisfied_count: u64,
    /// Weighted log-odds (a z-score): above 1.96 is a clear over-representation.
    pub log_odds_weighted: f64,
    /// Up to three different comments of dissatisfied respondents with the term.
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TermsResult {
    pub periods: Vec<PeriodTerms>,
    pub dissatisfied: Vec<DissatisfiedTerm>,
    /// Comments with an overall score of 1-2 and of 4-5.
    pub dissatisfied_comments: u64,
    pub satisfied_comments: u64,
}

/// Weighted log-odds of each feature of set `a` against set `b`, with the
/// informative prior α_w = the feature's count over every set (tidylo's
/// `bind_log_odds(uninformative = FALSE)`):
/// ω = (y + α_w) / (n + α₀ − y − α_w), δ = ln ω_a − ln ω_b,
/// σ² = 1/(y_a + α_w) + 1/(y_b + α_w), result δ/σ.
pub fn weighted_log_odds(
    a: &BTreeMap<String, u64>,
    b: &BTreeMap<String, u64>,
    background: &BTreeMap<String, u64>,
) -> BTreeMap<String, f64> {
    let n_a: f64 = a.values().sum::<u64>() as f64;
    let n_b: f64 = b.values().sum::<u64>() as f64;
    let alpha0: f64 = background.values().sum::<u64>() as f64;
    let mut out = BTreeMap::new();
    for (w, &alpha) in background {
        let alpha = alpha as f64;
        let ya = *a.get(w).unwrap_or(&0) as f64;
        let yb = *b.get(w).unwrap_or(&0) as f64;
        let omega_a = (ya + alpha) / (n_a + alpha0 - ya - alpha);
        let omega_b = (yb + alpha) / (n_b + alpha0 - yb - alpha);
        let delta = omega_a.ln() - omega_b.ln();
        let sigma2 = 1.0 / (ya + alpha) + 1.0 / (yb + alpha);
        out.insert(w.clone(), delta / sigma2.sqrt());
    }
    out
}

/// Comment terms of the selected responses. `overall` is the form's overall
/// item (the satisfied/dissatisfied split); `top` terms are kept per list.
pub fn terms(
    responses: LazyFrame,
    comments: LazyFrame,
    overall: Option<&str>,
    top: usize,
) -> Result<TermsResult, AnalyticsError> {
    let score = match overall {
        Some(k) => col(item_column(k).as_str()).alias("score"),
        None => lit(NULL).cast(DataType::UInt8).alias("score"),
    };
    let df = responses
        .select([
            col(c::RESPONSE_ID),
            (col(c::DAY).dt().year() - lit(1911)).alias("year"),
            score,
        ])
        .join(
            comments,
            [col(c::RESPONSE_ID)],
            [col(c::RESPONSE_ID)],
            JoinArgs::new(JoinType::Inner),
        )
        .sort([c::RESPONSE_ID, c::ITEM], Default::default())
        .run()?;
    let years = df
        .column("year")?
        .as_materialized_series()
        .cast(&DataType::Int32)?;
    let years = years.i32()?;
    let scores = df
        .column("score")?
        .as_materialized_series()
        .cast(&DataType::Int32)?;
    let scores = scores.i32()?;
    let texts = df.column(c::TEXT)?.str()?;
    let segmented = df.column(c::TERMS)?.str()?;

    // year → (comments, term → (comments with it, occurrences))
    type YearCounts = (u64, HashMap<String, (u64, u64)>);
    let mut per_year: BTreeMap<i32, YearCounts> = BTreeMap::new();
    let (mut dis, mut sat, mut all) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    let mut examples: HashMap<String, Vec<String>> = HashMap::new();
    // A number, an ID or an address cut out of a comment is no term to count
    // (and would show personal data): judged once per distinct word.
    let mut plain: HashMap<String, bool> = HashMap::new();
    let (mut n_dis, mut n_sat) = (0, 0);
    for i in 0..df.height() {
        let (Some(year), Some(text)) = (years.get(i), texts.get(i)) else {
            continue;
        };
        let words: Vec<String> = segmented
            .get(i)
            .unwrap_or("")
            .split(' ')
            .filter(|w| {
                !w.is_empty()
                    && *plain
                        .entry((*w).to_owned())
                        .or_insert_with(|| mask_excerpt(w) == *w)
            })
            .map(str::to_owned)
            .collect();
        let entry = per_year.entry(year).or_default();
        entry.0 += 1;
        let mut seen = HashSet::new();
        for w in &words {
            let e = entry.1.entry(w.clone()).or_default();
            e.1 += 1;
            if seen.insert(w.clone()) {
                e.0 += 1;
            }
            *all.entry(w.clone()).or_insert(0u64) += 1;
        }
        match scores.get(i) {
            Some(s) if s <= 2 => {
                n_dis += 1;
                for w in &words {
                    *dis.entry(w.clone()).or_insert(0u64) += 1;
                }
                // Examples leave this module masked: every output shows them.
                // Masked once per comment, and only if a term still wants it.
                let mut masked: Option<String> = None;
                for w in seen {
                    let ex = examples.entry(w).or_default();
                    if ex.len() < CANDIDATES {
                        let m = masked.get_or_insert_with(|| mask_excerpt(text));
                        if !ex.contains(m) {
                            ex.push(m.clone());
                        }
                    }
                }
            }
            Some(s) if s >= 4 => {
                n_sat += 1;
                for w in &words {
                    *sat.entry(w.clone()).or_insert(0u64) += 1;
                }
            }
            _ => {}
        }
    }
    let periods = per_year
        .into_iter()
        .map(|(year, (comments, counts))| {
            let mut v: Vec<TermCount> = counts
                .into_iter()
                .map(|(term, (docs, count))| TermCount {
                    term,
                    comments: docs,
                    count,
                })
                .collect();
            v.sort_by(|a, b| {
                b.comments
                    .cmp(&a.comments)
                    .then(b.count.cmp(&a.count))
                    .then(a.term.cmp(&b.term))
            });
            v.truncate(top);
            PeriodTerms {
                year,
                comments,
                top: v,
            }
        })
        .collect();
    // Only terms dissatisfied respondents used, and the comparison needs both sides.
    let mut dissatisfied: Vec<DissatisfiedTerm> = if n_dis > 0 && n_sat > 0 {
        let background: BTreeMap<String, u64> = all;
        weighted_log_odds(&dis, &sat, &background)
            .into_iter()
            .filter(|(w, z)| dis.contains_key(w) && *z > 0.0)
            .map(|(term, z)| DissatisfiedTerm {
                dissatisfied_count: dis[&term],
                satisfied_count: *sat.get(&term).unwrap_or(&0),
                log_odds_weighted: z,
                examples: examples.remove(&term).unwrap_or_default(),
                term,
            })
            .collect()
    } else {
        Vec::new()
    };
    dissatisfied.sort_by(|a, b| {
        b.log_odds_weighted
            .total_cmp(&a.log_odds_weighted)
            .then(a.term.cmp(&b.term))
    });
    dissatisfied.truncate(top);
    spread_examples(&mut dissatisfied);
    Ok(TermsResult {
        periods,
        dissatisfied,
        dissatisfied_comments: n_dis,
        satisfied_comments: n_sat,
    })
}

/// Comments kept per term while counting, to choose its examples from.
const CANDIDATES: usize = 12;
/// Examples shown per term.
const EXAMPLES: usize = 3;
/// How many terms may quote the same comment (one more only when a term
/// would otherwise show none).
const QUOTES: usize = 2;

/// Chooses each term's examples, in the terms' order, so that the list does
/// not quote one sentence under every term: comments not yet quoted first,
/// then those quoted fewer than [`QUOTES`] times; a term whose comments are
/// all used up still shows its least quoted one.
fn spread_examples(terms: &mut [DissatisfiedTerm]) {
    let mut quoted: HashMap<String, usize> = HashMap::new();
    for t in terms.iter_mut() {
        let mut candidates = std::mem::take(&mut t.examples);
        // Stable: among equally quoted comments the first met stays first.
        candidates.sort_by_key(|c| quoted.get(c).copied().unwrap_or(0));
        let mut chosen: Vec<String> = candidates
            .iter()
            .filter(|c| quoted.get(*c).copied().unwrap_or(0) < QUOTES)
            .take(EXAMPLES)
            .cloned()
            .collect();
        if chosen.is_empty() {
            chosen.extend(candidates.into_iter().take(1));
        }
        for c in &chosen {
            *quoted.entry(c.clone()).or_insert(0) += 1;
        }
        t.examples = chosen;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn examples_are_spread_over_the_terms() {
        use super::{DissatisfiedTerm, spread_examples};
        let comments: Vec<String> = (1..=4).map(|i| format!("意見{i}")).collect();
        // Five terms that all occur in the same four comments.
        let mut terms: Vec<DissatisfiedTerm> = (0..5)
            .map(|i| DissatisfiedTerm {
                term: format!("詞{i}"),
                dissatisfied_count: 4,
                satisfied_count: 0,
                log_odds_weighted: 5.0 - i as f64,
                examples: comments.clone(),
            })
            .collect();
        spread_examples(&mut terms);
        let mut uses = std::collections::HashMap::new();
        for t in &terms {
            assert!(!t.examples.is_empty() && t.examples.len() <= 3, "{t:?}");
            let distinct: std::collections::HashSet<_> = t.examples.iter().collect();
            assert_eq!(
                distinct.len(),
                t.examples.len(),
                "a comment twice under one term"
            );
            for e in &t.examples {
                *uses.entry(e.clone()).or_insert(0) += 1;
            }
        }
        // Four comments, at most two quotes each (plus one for a term left
        // without any): never one sentence under every term.
        assert!(uses.values().all(|&n| n <= 3), "{uses:?}");
        assert_eq!(terms[0].examples, ["意見1", "意見2", "意見3"]);
        assert_eq!(terms[1].examples[0], "意見4", "the unquoted comment first");
    }

    use super::*;

    #[test]
    fn traditional_words_stay_whole() {
        let seg = Segmenter::shared();
        let t = seg.cut("我到戶政事務所申請戶籍謄本和印鑑證明，叫號太慢");
        assert!(t.contains(&"戶政事務所"), "{t:?}");
        assert!(t.contains(&"戶籍謄本"), "{t:?}");
        assert!(t.contains(&"印鑑證明"), "{t:?}");
        assert!(t.contains(&"叫號"), "{t:?}");
        // Tokens are slices of the original: Traditional characters kept.
        assert_eq!(t.concat(), "我到戶政事務所申請戶籍謄本和印鑑證明，叫號太慢");
        let terms = seg.terms("櫃檯人員的態度很好，謝謝！");
        assert!(terms.contains(&"櫃檯".to_owned()), "{terms:?}");
        assert!(
            !terms.iter().any(|w| w == "謝謝" || w == "的" || w == "，"),
            "{terms:?}"
        );
    }

    #[test]
    fn log_odds_by_hand() {
        // Two sets, two words. a: x=3, y=1 (n_a=4); b: x=1, y=3 (n_b=4);
        // prior = counts over both: x=4, y=4, α₀=8.
        // x: ω_a = (3+4)/(4+8-3-4) = 7/5, ω_b = (1+4)/(4+8-1-4) = 5/7,
        //    δ = ln(49/25) = 0.6729444732, σ² = 1/7 + 1/5 = 0.3428571429,
        //    z = 0.6729444732 / 0.5855400438 = 1.1492710…
        let m = |v: &[(&str, u64)]| {
            v.iter()
                .map(|(k, n)| (k.to_string(), *n))
                .collect::<BTreeMap<_, _>>()
        };
        let a = m(&[("x", 3), ("y", 1)]);
        let b = m(&[("x", 1), ("y", 3)]);
        let bg = m(&[("x", 4), ("y", 4)]);
        let z = weighted_log_odds(&a, &b, &bg);
        let want = (49.0f64 / 25.0).ln() / (1.0f64 / 7.0 + 1.0 / 5.0).sqrt();
        assert!((z["x"] - want).abs() < 1e-12, "{}", z["x"]);
        assert!((want - 1.149_271_480_923_292_2).abs() < 1e-12);
        assert!((z["y"] + want).abs() < 1e-12, "symmetric: {}", z["y"]);
    }
}

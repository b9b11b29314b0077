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
///
/// With `counts` (the selection's term-count frame, keyed by the score on the
/// same overall item) the terms are added up from it and only the examples of
/// the listed terms are read from the comments; without, every comment is
/// read. Both give the same result ([`count_terms`]; a test compares them).
pub fn terms(
    responses: LazyFrame,
    comments: LazyFrame,
    overall: Option<&str>,
    counts: Option<LazyFrame>,
    top: usize,
) -> Result<TermsResult, AnalyticsError> {
    match counts {
        Some(counts) => terms_from_counts(responses, comments, overall, counts, top),
        None => terms_from_comments(responses, comments, overall, top),
    }
}

/// A number, an ID or an address cut out of a comment is no term to count
/// (and would show personal data).
fn is_plain(word: &str) -> bool {
    mask_excerpt(word) == word
}

/// The key of a term count: (ROC year, office, form version, channel, score).
type CountKey = (i32, u16, u16, u8, Option<u8>);

/// The term-count frame of one set of responses and their comments (as the
/// snapshot writes them): per key and term the comments with it and its
/// occurrences, plus per key a null-term row counting its comments.
/// `overall` gives each form version's overall item, whose score keys the
/// counts. Rows sorted by key and term.
pub fn count_terms(
    responses: &DataFrame,
    comments: &DataFrame,
    overall: &HashMap<u16, String>,
) -> Result<DataFrame, AnalyticsError> {
    use super::frame::terms_col as t;
    if comments.height() == 0 {
        return Ok(super::frame::empty_term_counts());
    }
    let years = responses
        .clone()
        .lazy()
        .select([(col(c::DAY).dt().year() - lit(1911))
            .cast(DataType::Int32)
            .alias(t::YEAR)])
        .collect()?;
    let years = years.column(t::YEAR)?.i32()?;
    let ids = responses.column(c::RESPONSE_ID)?.i64()?;
    let offices = responses.column(c::OFFICE)?.u16()?;
    let versions = responses.column(c::FORM_VERSION)?.u16()?;
    let channels = responses.column(c::CHANNEL)?.u8()?;
    let mut score_columns: HashMap<u16, &UInt8Chunked> = HashMap::new();
    for (v, key) in overall {
        if let Ok(column) = responses.column(&item_column(key)) {
            score_columns.insert(*v, column.u8()?);
        }
    }
    let row_of: HashMap<i64, usize> = ids
        .iter()
        .enumerate()
        .filter_map(|(i, id)| id.map(|id| (id, i)))
        .collect();
    let mut counts: HashMap<(CountKey, Option<&str>), (u64, u64)> = HashMap::new();
    let mut plain: HashMap<&str, bool> = HashMap::new();
    let comment_ids = comments.column(c::RESPONSE_ID)?.i64()?;
    let segmented = comments.column(c::TERMS)?.str()?;
    for (rid, words) in comment_ids.iter().zip(segmented.iter()) {
        let Some(&row) = rid.and_then(|id| row_of.get(&id)) else {
            continue;
        };
        let (Some(year), Some(office), Some(version), Some(channel)) = (
            years.get(row),
            offices.get(row),
            versions.get(row),
            channels.get(row),
        ) else {
            continue;
        };
        let score = score_columns.get(&version).and_then(|s| s.get(row));
        let key = (year, office, version, channel, score);
        counts.entry((key, None)).or_default().0 += 1;
        let mut seen = HashSet::new();
        for w in words.unwrap_or("").split(' ') {
            if w.is_empty() || !*plain.entry(w).or_insert_with(|| is_plain(w)) {
                continue;
            }
            let e = counts.entry((key, Some(w))).or_default();
            e.1 += 1;
            if seen.insert(w) {
                e.0 += 1;
            }
        }
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let n = rows.len();
    let mut cols = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (((year, office, version, channel, score), term), (docs, count)) in rows {
        cols.0.push(year);
        cols.1.push(office);
        cols.2.push(version);
        cols.3.push(channel);
        cols.4.push(score);
        cols.5.push(term);
        cols.6.push(docs);
        // The null-term row counts comments in both columns.
        cols.7.push(if term.is_none() { docs } else { count });
    }
    Ok(DataFrame::new(
        n,
        vec![
            Column::new(t::YEAR.into(), cols.0),
            Column::new(t::OFFICE.into(), cols.1),
            Column::new(t::FORM_VERSION.into(), cols.2),
            Column::new(t::CHANNEL.into(), cols.3),
            Column::new(t::SCORE.into(), cols.4),
            Column::new(t::TERM.into(), cols.5),
            Column::new(t::COMMENTS.into(), cols.6),
            Column::new(t::COUNT.into(), cols.7),
        ],
    )?)
}

/// Term-count frames added together (several parts of a year into one).
pub fn merge_counts(frames: LazyFrame) -> LazyFrame {
    use super::frame::terms_col as t;
    let keys: Vec<Expr> = t::KEYS.iter().map(|k| col(*k)).collect();
    frames
        .group_by(keys)
        .agg([col(t::COMMENTS).sum(), col(t::COUNT).sum()])
        .sort(
            t::KEYS,
            SortMultipleOptions::default().with_nulls_last(false),
        )
}

fn terms_from_counts(
    responses: LazyFrame,
    comments: LazyFrame,
    overall: Option<&str>,
    counts: LazyFrame,
    top: usize,
) -> Result<TermsResult, AnalyticsError> {
    use super::frame::terms_col as t;
    let counts = counts.run()?;
    let lazy = || counts.clone().lazy();
    let is_comment_row = || col(t::TERM).is_null();
    let dissatisfied = || col(t::SCORE).lt_eq(lit(2u8));
    let satisfied = || col(t::SCORE).gt_eq(lit(4u8));
    let sum_if = |cond: Expr, what: &str, name: &str| {
        when(cond)
            .then(col(what))
            .otherwise(lit(0u64))
            .sum()
            .alias(name)
    };
    // Comments: per year, and those of dissatisfied and satisfied respondents.
    let per_year_comments = lazy()
        .filter(is_comment_row())
        .group_by([col(t::YEAR)])
        .agg([col(t::COMMENTS).sum()])
        .run()?;
    let sides = lazy()
        .filter(is_comment_row())
        .select([
            sum_if(dissatisfied(), t::COMMENTS, "dis"),
            sum_if(satisfied(), t::COMMENTS, "sat"),
        ])
        .run()?;
    let side = |name: &str| -> Result<u64, AnalyticsError> {
        Ok(sides.column(name)?.u64()?.get(0).unwrap_or(0))
    };
    let (n_dis, n_sat) = (side("dis")?, side("sat")?);
    // Terms per year.
    let per_year_terms = lazy()
        .filter(is_comment_row().not())
        .group_by([col(t::YEAR), col(t::TERM)])
        .agg([col(t::COMMENTS).sum(), col(t::COUNT).sum()])
        .run()?;
    // Terms over the whole selection, and on each side.
    let overall_terms = lazy()
        .filter(is_comment_row().not())
        .group_by([col(t::TERM)])
        .agg([
            col(t::COUNT).sum().alias("all"),
            sum_if(dissatisfied(), t::COUNT, "dis"),
            sum_if(satisfied(), t::COUNT, "sat"),
        ])
        .run()?;

    let mut per_year: BTreeMap<i32, (u64, Vec<TermCount>)> = BTreeMap::new();
    {
        let years = per_year_comments.column(t::YEAR)?.i32()?;
        let n = per_year_comments.column(t::COMMENTS)?.u64()?;
        for (y, n) in years.iter().zip(n.iter()) {
            if let (Some(y), Some(n)) = (y, n) {
                per_year.entry(y).or_default().0 = n;
            }
        }
        let years = per_year_terms.column(t::YEAR)?.i32()?;
        let terms = per_year_terms.column(t::TERM)?.str()?;
        let docs = per_year_terms.column(t::COMMENTS)?.u64()?;
        let count = per_year_terms.column(t::COUNT)?.u64()?;
        for i in 0..per_year_terms.height() {
            if let (Some(y), Some(term), Some(d), Some(n)) =
                (years.get(i), terms.get(i), docs.get(i), count.get(i))
            {
                per_year.entry(y).or_default().1.push(TermCount {
                    term: term.to_owned(),
                    comments: d,
                    count: n,
                });
            }
        }
    }
    let periods = per_year
        .into_iter()
        .map(|(year, (comments, top_terms))| period(year, comments, top_terms, top))
        .collect();

    let (mut dis, mut sat, mut all) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    {
        let terms = overall_terms.column(t::TERM)?.str()?;
        let a = overall_terms.column("all")?.u64()?;
        let d = overall_terms.column("dis")?.u64()?;
        let s = overall_terms.column("sat")?.u64()?;
        for i in 0..overall_terms.height() {
            let Some(term) = terms.get(i) else { continue };
            for (map, v) in [
                (&mut all, a.get(i)),
                (&mut dis, d.get(i)),
                (&mut sat, s.get(i)),
            ] {
                if let Some(v) = v.filter(|v| *v > 0) {
                    map.insert(term.to_owned(), v);
                }
            }
        }
    }
    let mut dissatisfied = dissatisfied_terms(&dis, &sat, all, n_dis, n_sat, |_| Vec::new());
    dissatisfied.truncate(top);
    // Examples for the listed terms only, from the dissatisfied comments in
    // response and item order, as the full count would meet them.
    if !dissatisfied.is_empty()
        && let Some(overall) = overall
    {
        let mut examples = examples_of(
            responses,
            comments,
            overall,
            dissatisfied.iter().map(|d| d.term.as_str()).collect(),
        )?;
        for d in &mut dissatisfied {
            d.examples = examples.remove(&d.term).unwrap_or_default();
        }
    }
    spread_examples(&mut dissatisfied);
    Ok(TermsResult {
        periods,
        dissatisfied,
        dissatisfied_comments: n_dis,
        satisfied_comments: n_sat,
    })
}

/// Each comment of the responses in `responses` beside its response's
/// columns, in response and item order (the order examples are chosen in).
fn with_comments(responses: LazyFrame, comments: LazyFrame) -> LazyFrame {
    responses
        .join(
            comments,
            [col(c::RESPONSE_ID)],
            [col(c::RESPONSE_ID)],
            JoinArgs::new(JoinType::Inner),
        )
        .sort([c::RESPONSE_ID, c::ITEM], Default::default())
}

/// Up to [`CANDIDATES`] masked comments of dissatisfied respondents (overall
/// score 1-2) for each of `wanted`, in response and item order.
fn examples_of(
    responses: LazyFrame,
    comments: LazyFrame,
    overall: &str,
    wanted: HashSet<&str>,
) -> Result<HashMap<String, Vec<String>>, AnalyticsError> {
    let dissatisfied = responses
        .select([col(c::RESPONSE_ID), col(item_column(overall).as_str())])
        .filter(col(item_column(overall).as_str()).lt_eq(lit(2u8)))
        .select([col(c::RESPONSE_ID)]);
    let df = with_comments(dissatisfied, comments)
        .select([col(c::TERMS), col(c::TEXT)])
        .run()?;
    let texts = df.column(c::TEXT)?.str()?;
    let segmented = df.column(c::TERMS)?.str()?;
    let mut examples: HashMap<String, Vec<String>> = HashMap::new();
    let mut full = 0;
    for (words, text) in segmented.iter().zip(texts.iter()) {
        let Some(text) = text else { continue };
        let seen: HashSet<&str> = words
            .unwrap_or("")
            .split(' ')
            .filter(|w| wanted.contains(w))
            .collect();
        let mut masked: Option<String> = None;
        for w in seen {
            let ex = examples.entry(w.to_owned()).or_default();
            if ex.len() < CANDIDATES {
                let m = masked.get_or_insert_with(|| mask_excerpt(text));
                if !ex.contains(m) {
                    ex.push(m.clone());
                    if ex.len() == CANDIDATES {
                        full += 1;
                    }
                }
            }
        }
        if full == wanted.len() {
            break;
        }
    }
    Ok(examples)
}

/// One year's terms, most frequent first, `top` of them.
fn period(year: i32, comments: u64, mut v: Vec<TermCount>, top: usize) -> PeriodTerms {
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
}

/// The terms over-represented among dissatisfied respondents, most first
/// (all of them; the caller keeps the top).
fn dissatisfied_terms(
    dis: &BTreeMap<String, u64>,
    sat: &BTreeMap<String, u64>,
    background: BTreeMap<String, u64>,
    n_dis: u64,
    n_sat: u64,
    mut examples: impl FnMut(&str) -> Vec<String>,
) -> Vec<DissatisfiedTerm> {
    // Only terms dissatisfied respondents used, and the comparison needs both sides.
    if n_dis == 0 || n_sat == 0 {
        return Vec::new();
    }
    let mut out: Vec<DissatisfiedTerm> = weighted_log_odds(dis, sat, &background)
        .into_iter()
        .filter(|(w, z)| dis.contains_key(w) && *z > 0.0)
        .map(|(term, z)| DissatisfiedTerm {
            dissatisfied_count: dis[&term],
            satisfied_count: *sat.get(&term).unwrap_or(&0),
            log_odds_weighted: z,
            examples: examples(&term),
            term,
        })
        .collect();
    out.sort_by(|a, b| {
        b.log_odds_weighted
            .total_cmp(&a.log_odds_weighted)
            .then(a.term.cmp(&b.term))
    });
    out
}

/// [`terms`] from every comment of the selection.
fn terms_from_comments(
    responses: LazyFrame,
    comments: LazyFrame,
    overall: Option<&str>,
    top: usize,
) -> Result<TermsResult, AnalyticsError> {
    let score = match overall {
        Some(k) => col(item_column(k).as_str()).alias("score"),
        None => lit(NULL).cast(DataType::UInt8).alias("score"),
    };
    let selected = responses.select([
        col(c::RESPONSE_ID),
        (col(c::DAY).dt().year() - lit(1911)).alias("year"),
        score,
    ]);
    let df = with_comments(selected, comments).run()?;
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
                !w.is_empty() && *plain.entry((*w).to_owned()).or_insert_with(|| is_plain(w))
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
            let v: Vec<TermCount> = counts
                .into_iter()
                .map(|(term, (docs, count))| TermCount {
                    term,
                    comments: docs,
                    count,
                })
                .collect();
            period(year, comments, v, top)
        })
        .collect();
    let mut dissatisfied = dissatisfied_terms(&dis, &sat, all, n_dis, n_sat, |term| {
        examples.remove(term).unwrap_or_default()
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

    /// Responses of two years, two offices and two channels with their
    /// overall scores, and comments (already segmented) with repeated terms,
    /// a term twice in one comment, an ID that is no term, and a comment of a
    /// response without an overall score.
    fn frames() -> (DataFrame, DataFrame) {
        use super::super::frame::ResponseColumns;
        let mut r = ResponseColumns::with_capacity(8);
        let day = |y: i32, m: u32| {
            (chrono::NaiveDate::from_ymd_opt(y, m, 1).unwrap()
                - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
            .num_days() as i32
        };
        let rows: [(i64, i32, u16, u8, Option<u8>); 8] = [
            (1, 2023, 1, 0, Some(1)),
            (2, 2023, 1, 1, Some(5)),
            (3, 2023, 2, 0, Some(2)),
            (4, 2023, 2, 0, Some(3)),
            (5, 2024, 1, 0, Some(4)),
            (6, 2024, 1, 1, Some(1)),
            (7, 2024, 2, 0, None),
            (8, 2024, 2, 1, Some(5)),
        ];
        let mut overall = Vec::new();
        for (id, y, office, channel, score) in rows {
            r.ids.push(id);
            r.days.push(day(y, 3));
            r.offices.push(office);
            r.channels.push(channel);
            r.forms.push(1);
            r.counters.push(None);
            r.staff.push(None);
            r.services.push(None);
            overall.push(score);
        }
        r.scores = vec![overall];
        let responses = r.into_frame(&["overall".to_owned()]).unwrap();
        let c: [(i64, &str, &str); 9] = [
            (1, "comment", "叫號 等候 叫號"),
            (1, "other", "櫃檯 A123456789"),
            (2, "comment", "親切 櫃檯"),
            (3, "comment", "等候 停車"),
            (4, "comment", "停車"),
            (5, "comment", "親切"),
            (6, "comment", "叫號 停車"),
            (7, "comment", "等候"),
            (8, "comment", "親切 叫號"),
        ];
        let comments = DataFrame::new(
            c.len(),
            vec![
                Column::new(
                    c::RESPONSE_ID.into(),
                    c.iter().map(|x| x.0).collect::<Vec<_>>(),
                ),
                Column::new(c::ITEM.into(), c.iter().map(|x| x.1).collect::<Vec<_>>()),
                Column::new(c::TERMS.into(), c.iter().map(|x| x.2).collect::<Vec<_>>()),
                Column::new(
                    c::TEXT.into(),
                    c.iter()
                        .map(|x| format!("意見：{}", x.2))
                        .collect::<Vec<_>>(),
                ),
            ],
        )
        .unwrap();
        (responses, comments)
    }

    #[test]
    fn counted_terms_give_the_terms_of_every_comment() {
        let (responses, comments) = frames();
        let overall: HashMap<u16, String> = [(1, "overall".to_owned())].into();
        let whole = count_terms(&responses, &comments, &overall).unwrap();
        // By hand: ROC 112 (2023), office 1, counter, score 1 holds response 1's two
        // comments: 叫號 in one comment twice, 等候 and 櫃檯 once; the ID
        // A123456789 is no term.
        let at = |year: i32, office: u16, channel: u8, score: Option<u8>, term: Option<&str>| {
            let f = whole
                .clone()
                .lazy()
                .filter(
                    col("year")
                        .eq(lit(year))
                        .and(col("office").eq(lit(office)))
                        .and(col("channel").eq(lit(channel)))
                        .and(match score {
                            Some(s) => col("score").eq(lit(s)),
                            None => col("score").is_null(),
                        })
                        .and(match term {
                            Some(t) => col("term").eq(lit(t)),
                            None => col("term").is_null(),
                        }),
                )
                .collect()
                .unwrap();
            assert!(f.height() <= 1);
            (0..f.height())
                .map(|i| {
                    (
                        f.column("comments").unwrap().u64().unwrap().get(i).unwrap(),
                        f.column("count").unwrap().u64().unwrap().get(i).unwrap(),
                    )
                })
                .next()
        };
        assert_eq!(at(112, 1, 0, Some(1), None), Some((2, 2)), "two comments");
        assert_eq!(at(112, 1, 0, Some(1), Some("叫號")), Some((1, 2)));
        assert_eq!(at(112, 1, 0, Some(1), Some("櫃檯")), Some((1, 1)));
        assert_eq!(at(112, 1, 0, Some(1), Some("A123456789")), None);
        assert_eq!(at(113, 2, 0, None, Some("等候")), Some((1, 1)), "no score");
        assert!(
            !whole
                .column("term")
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .any(|t| t == Some("A123456789"))
        );

        // Two parts merged add up to the counts of the whole.
        let half = |ids: std::ops::RangeInclusive<i64>| {
            let pick = |df: &DataFrame| {
                df.clone()
                    .lazy()
                    .filter(col(c::RESPONSE_ID).gt_eq(lit(*ids.start())))
                    .filter(col(c::RESPONSE_ID).lt_eq(lit(*ids.end())))
                    .collect()
                    .unwrap()
            };
            count_terms(&pick(&responses), &pick(&comments), &overall)
                .unwrap()
                .lazy()
        };
        let merged =
            merge_counts(concat([half(1..=3), half(4..=8)], UnionArgs::default()).unwrap())
                .collect()
                .unwrap();
        assert!(merged.equals_missing(&whole), "{merged}\n{whole}");

        // Both paths give the same terms, examples included.
        let slow = terms(
            responses.clone().lazy(),
            comments.clone().lazy(),
            Some("overall"),
            None,
            20,
        )
        .unwrap();
        let fast = terms(
            responses.clone().lazy(),
            comments.clone().lazy(),
            Some("overall"),
            Some(merged.lazy()),
            20,
        )
        .unwrap();
        assert_eq!(fast, slow);
        // By hand: dissatisfied comments (score ≤ 2) are those of responses
        // 1 (two), 3 and 6; satisfied (≥ 4) of 2, 5 and 8.
        assert_eq!(
            (fast.dissatisfied_comments, fast.satisfied_comments),
            (4, 3)
        );
        assert_eq!(
            fast.periods
                .iter()
                .map(|p| (p.year, p.comments))
                .collect::<Vec<_>>(),
            [(112, 5), (113, 4)]
        );
        let jiao = fast.dissatisfied.iter().find(|d| d.term == "叫號").unwrap();
        assert_eq!((jiao.dissatisfied_count, jiao.satisfied_count), (3, 1));
        assert_eq!(jiao.examples.len(), 2, "{:?}", jiao.examples);
    }

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

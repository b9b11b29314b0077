//! Pure statistics over sufficient statistics (counts, sums, sums of squares).
//!
//! Everything the pipeline reports is computed here from numbers the polars
//! aggregation produced, so each formula is tested once against a reference
//! (scipy, statsmodels, pingouin; named in the tests).

use serde::Serialize;
use statrs::distribution::{Continuous, ContinuousCDF, Normal, StudentsT};

/// 95% two-sided critical value of the standard normal.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Sufficient statistics of 1-5 answers: count, sum, sum of squares, and the
/// counts of the top two (4, 5) and bottom two (1, 2) boxes. Additive, so
/// finer groups can be combined exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub n: u64,
    pub sum: u64,
    pub sum_sq: u64,
    pub top2: u64,
    pub bottom2: u64,
}

impl Tally {
    pub fn from_scores(scores: impl IntoIterator<Item = u8>) -> Self {
        let mut t = Tally::default();
        for s in scores {
            let s = u64::from(s);
            t.n += 1;
            t.sum += s;
            t.sum_sq += s * s;
            t.top2 += u64::from(s >= 4);
            t.bottom2 += u64::from(s <= 2);
        }
        t
    }

    pub fn add(&mut self, other: &Tally) {
        self.n += other.n;
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
        self.top2 += other.top2;
        self.bottom2 += other.bottom2;
    }

    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum as f64 / self.n as f64)
    }

    /// Sample variance (n − 1 in the denominator); `None` below two answers.
    pub fn variance(&self) -> Option<f64> {
        if self.n < 2 {
            return None;
        }
        let n = self.n as f64;
        // Integer arithmetic first: exact for any realistic n.
        let num = (self.n as i128 * self.sum_sq as i128) - (self.sum as i128 * self.sum as i128);
        Some((num as f64 / n / (n - 1.0)).max(0.0))
    }

    pub fn rate(&self) -> Option<f64> {
        (self.n > 0).then(|| self.top2 as f64 / self.n as f64)
    }

    pub fn dissatisfied_rate(&self) -> Option<f64> {
        (self.n > 0).then(|| self.bottom2 as f64 / self.n as f64)
    }
}

/// A two-sided 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// Wilson score interval for `x` successes out of `n` (95%).
/// Reference: statsmodels `proportion_confint(method="wilson")`.
pub fn wilson(x: u64, n: u64) -> Option<Interval> {
    if n == 0 {
        return None;
    }
    let n = n as f64;
    let p = x as f64 / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    Some(Interval {
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
    })
}

/// Student-t interval of a mean (95%); `None` below two answers. With all
/// answers equal the interval is the mean itself.
pub fn t_interval(t: &Tally) -> Option<Interval> {
    let mean = t.mean()?;
    let var = t.variance()?;
    let crit = t_quantile(0.975, t.n as f64 - 1.0)?;
    let half = crit * (var / t.n as f64).sqrt();
    Some(Interval {
        low: mean - half,
        high: mean + half,
    })
}

/// The conventional sampling error of a survey: the 95% half-width of a
/// proportion at p = 0.5, in percentage points ("95% 信心水準下抽樣誤差 ±x 個百分點").
pub fn sampling_error_points(n: u64) -> Option<f64> {
    (n > 0).then(|| Z95 * (0.25 / n as f64).sqrt() * 100.0)
}

fn students_t(df: f64) -> Option<StudentsT> {
    if df.is_finite() && df > 0.0 {
        StudentsT::new(0.0, 1.0, df).ok()
    } else {
        None
    }
}

/// From this many degrees of freedom on, the Cornish–Fisher expansion is used
/// where its error estimate allows (see [`t_quantile`]).
const CORNISH_FISHER_DF: f64 = 1_000.0;

/// The `p` quantile of Student's t with `df` degrees of freedom, exact to
/// about 1e-12 (relative, checked against scipy on a grid of df from 1 to
/// 1e15) for 1e-12 ≤ p ≤ 1 − 1e-12; `None` outside that range or for a df
/// that is not positive.
///
/// statrs 0.19's own inverse is not used alone: its CDF loses digits as df
/// grows (a relative error of 1e-10 at df 351,932), and its inverse with it
/// (1.9599217 at df 351,932 for p = 0.975, below the normal quantile
/// 1.9599640; the true value is 1.9599707). So, in the lower tail (the upper
/// one by symmetry, 1 − p being exact for p ≥ ½):
/// - from 1,000 df on, where its first left-out term (about
///   1e-4·|z|¹¹/df⁵) is below 1e-14, the Cornish–Fisher expansion of the
///   normal quantile z in 1/df to the df⁻⁴ term (Abramowitz & Stegun 26.7.5);
/// - otherwise statrs' inverse polished by Newton steps on its CDF, which is
///   exact to ~1e-13 there (and, relatively, in the tails up to df 10⁴); one
///   df is the Cauchy distribution, in closed form.
pub fn t_quantile(p: f64, df: f64) -> Option<f64> {
    const TAIL: f64 = 1e-12;
    if !(TAIL..=1.0 - TAIL).contains(&p) || df.is_nan() || df <= 0.0 {
        return None;
    }
    if p > 0.5 {
        return t_quantile(1.0 - p, df).map(|x| -x);
    }
    let z = Normal::standard().inverse_cdf(p);
    if df >= CORNISH_FISHER_DF && z.abs().powi(11) < 1e-10 * df.powi(5) {
        return Some(cornish_fisher(z, df));
    }
    if df == 1.0 {
        return Some(-1.0 / (std::f64::consts::PI * p).tan());
    }
    let t = students_t(df)?;
    let mut x = t.inverse_cdf(p);
    for _ in 0..4 {
        let step = (t.cdf(x) - p) / t.pdf(x);
        x -= step;
        if step.abs() <= 4.0 * f64::EPSILON * x.abs() {
            break;
        }
    }
    Some(x)
}

/// The t quantile from the normal quantile `z`, to the df⁻⁴ term
/// (Abramowitz & Stegun 26.7.5).
fn cornish_fisher(z: f64, df: f64) -> f64 {
    let z2 = z * z;
    let g1 = z * (z2 + 1.0) / 4.0;
    let g2 = z * ((5.0 * z2 + 16.0) * z2 + 3.0) / 96.0;
    let g3 = z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / 384.0;
    let g4 = z * ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) / 92160.0;
    z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df
}

/// Degrees of freedom from which [`t_cdf`] is the normal CDF.
const NORMAL_DF: f64 = 1e9;

/// P(T ≤ x) for Student's t with `df` degrees of freedom, for p-values.
/// statrs' CDF keeps a relative error below 2e-8 up to df 10⁸ (1.5e-10 at df
/// 351,932) but drifts beyond (1e-6 at 10⁹, 2e-3 at 10¹², nonsense at 10¹⁵);
/// from [`NORMAL_DF`] on, the standard normal, whose relative error there is
/// about x⁴/(4·df), is the better answer.
fn t_cdf(x: f64, df: f64) -> Option<f64> {
    if df >= NORMAL_DF {
        Some(Normal::standard().cdf(x))
    } else {
        Some(students_t(df)?.cdf(x))
    }
}

/// A test statistic with its two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TestResult {
    pub statistic: f64,
    pub p_value: f64,
    /// Degrees of freedom, for t tests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub df: Option<f64>,
}

/// Pooled two-proportion z-test of x1/n1 against x2/n2, two-sided.
/// Reference: statsmodels `proportions_ztest` (pooled variance).
/// `None` when a group is empty or the pooled rate is 0 or 1 (no variance).
pub fn two_proportion_z(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<TestResult> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let pooled = (x1 + x2) as f64 / (n1f + n2f);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f)).sqrt();
    if se == 0.0 || !se.is_finite() {
        return None;
    }
    let z = (x1 as f64 / n1f - x2 as f64 / n2f) / se;
    let p = 2.0 * Normal::standard().cdf(-z.abs());
    Some(TestResult {
        statistic: z,
        p_value: p.min(1.0),
        df: None,
    })
}

/// Welch's unequal-variance t-test of mean(a) − mean(b), two-sided, with the
/// Welch–Satterthwaite degrees of freedom.
/// Reference: scipy `ttest_ind(equal_var=False)`.
pub fn welch_t(a: &Tally, b: &Tally) -> Option<TestResult> {
    let (va, vb) = (a.variance()?, b.variance()?);
    let (na, nb) = (a.n as f64, b.n as f64);
    let (sa, sb) = (va / na, vb / nb);
    let se2 = sa + sb;
    if se2 <= 0.0 {
        return None;
    }
    let t = (a.mean()? - b.mean()?) / se2.sqrt();
    let df = se2 * se2 / (sa * sa / (na - 1.0) + sb * sb / (nb - 1.0));
    let p = 2.0 * t_cdf(-t.abs(), df)?;
    Some(TestResult {
        statistic: t,
        p_value: p.min(1.0),
        df: Some(df),
    })
}

/// Holm's step-down adjustment; `None`s stay `None` and do not count.
/// Reference: statsmodels `multipletests(method="holm")`.
pub fn holm(p: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| p[i].is_some()).collect();
    // Stable sort with the index as tie-breaker: identical input, identical output.
    idx.sort_by(|&a, &b| p[a].unwrap().total_cmp(&p[b].unwrap()).then(a.cmp(&b)));
    let m = idx.len();
    let mut out = vec![None; p.len()];
    let mut running: f64 = 0.0;
    for (rank, &i) in idx.iter().enumerate() {
        let adj = ((m - rank) as f64 * p[i].unwrap()).min(1.0);
        running = running.max(adj);
        out[i] = Some(running);
    }
    out
}

/// One-sided test that a rate is below a standard: z = (p̂ − p0)/√(p0(1−p0)/n),
/// p = Φ(z). `None` for n = 0 or a standard of 0 or 1.
pub fn below_standard(x: u64, n: u64, p0: f64) -> Option<TestResult> {
    if n == 0 || p0 <= 0.0 || p0 >= 1.0 {
        return None;
    }
    let z = (x as f64 / n as f64 - p0) / (p0 * (1.0 - p0) / n as f64).sqrt();
    Some(TestResult {
        statistic: z,
        p_value: Normal::standard().cdf(z),
        df: None,
    })
}

/// Sufficient statistics of paired answers (x, y), both present.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PairSums {
    pub n: u64,
    pub sx: f64,
    pub sy: f64,
    pub sxx: f64,
    pub syy: f64,
    pub sxy: f64,
}

/// Pearson's r from pair sums; `None` below 3 pairs or with a constant side.
/// Reference: scipy `pearsonr`.
pub fn pearson(s: &PairSums) -> Option<f64> {
    if s.n < 3 {
        return None;
    }
    let n = s.n as f64;
    let cov = s.sxy - s.sx * s.sy / n;
    let vx = s.sxx - s.sx * s.sx / n;
    let vy = s.syy - s.sy * s.sy / n;
    if vx <= 0.0 || vy <= 0.0 {
        return None;
    }
    Some((cov / (vx * vy).sqrt()).clamp(-1.0, 1.0))
}

/// Cronbach's alpha from the item variances and the variance of the row sums
/// (complete rows only): α = k/(k−1) · (1 − Σσ²ᵢ / σ²ₜ).
/// Reference: pingouin `cronbach_alpha`.
pub fn cronbach_alpha(item_variances: &[f64], total_variance: f64) -> Option<f64> {
    let k = item_variances.len();
    if k < 2 || total_variance <= 0.0 || !total_variance.is_finite() {
        return None;
    }
    let k = k as f64;
    Some(k / (k - 1.0) * (1.0 - item_variances.iter().sum::<f64>() / total_variance))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b}");
    }

    const A: [u8; 10] = [5, 4, 4, 3, 5, 2, 4, 5, 1, 4];
    const B: [u8; 12] = [5, 5, 4, 4, 5, 4, 3, 5, 5, 4, 5, 4];

    #[test]
    fn tally_by_hand() {
        let t = Tally::from_scores(A);
        // Worked by hand: sum 37, squares 25+16+16+9+25+4+16+25+1+16 = 153.
        assert_eq!(
            (t.n, t.sum, t.sum_sq, t.top2, t.bottom2),
            (10, 37, 153, 7, 2)
        );
        close(t.mean().unwrap(), 3.7, 1e-12);
        // numpy: a.std(ddof=1) = 1.3374935098492586
        close(t.variance().unwrap().sqrt(), 1.337_493_509_849_258_6, 1e-12);
        close(t.rate().unwrap(), 0.7, 1e-12);
        close(t.dissatisfied_rate().unwrap(), 0.2, 1e-12);
    }

    #[test]
    fn edge_cases_of_tally() {
        let empty = Tally::default();
        assert_eq!(empty.mean(), None);
        assert_eq!(empty.rate(), None);
        assert_eq!(t_interval(&empty), None);
        assert_eq!(wilson(0, 0), None);
        assert_eq!(sampling_error_points(0), None);
        let one = Tally::from_scores([4]);
        assert_eq!(one.mean(), Some(4.0));
        assert_eq!(one.variance(), None);
        assert_eq!(t_interval(&one), None);
        let equal = Tally::from_scores([5; 7]);
        assert_eq!(equal.variance(), Some(0.0));
        let ci = t_interval(&equal).unwrap();
        assert_eq!((ci.low, ci.high), (5.0, 5.0));
        // No variance on either side: no test rather than an infinite statistic.
        assert_eq!(welch_t(&equal, &Tally::from_scores([5; 3])), None);
        assert_eq!(two_proportion_z(7, 7, 3, 3), None);
    }

    #[test]
    fn wilson_matches_statsmodels() {
        // statsmodels 0.15 proportion_confint(7, 10, method="wilson")
        let ci = wilson(7, 10).unwrap();
        close(ci.low, 0.396_778_147_461_145_37, 1e-12);
        close(ci.high, 0.892_208_732_593_698_9, 1e-12);
        // proportion_confint(0, 10, …) = (0.0, 0.27753279986288926)
        let ci = wilson(0, 10).unwrap();
        close(ci.low, 0.0, 1e-15);
        close(ci.high, 0.277_532_799_862_889_26, 1e-12);
        // proportion_confint(1, 1, …) = (0.2065493143772374, 1.0)
        let ci = wilson(1, 1).unwrap();
        close(ci.low, 0.206_549_314_377_237_4, 1e-12);
        close(ci.high, 1.0, 1e-15);
    }

    #[test]
    fn t_interval_matches_scipy() {
        // scipy 1.17 t.interval(0.95, 9, loc=3.7, scale=sem(a))
        let ci = t_interval(&Tally::from_scores(A)).unwrap();
        close(ci.low, 2.743_214_781_038_39, 1e-9);
        close(ci.high, 4.656_785_218_961_611, 1e-9);
    }

    #[test]
    fn t_quantile_matches_scipy_at_large_df() {
        // scipy 1.17.1 scipy.stats.t.ppf(0.975, df)
        for (df, want) in [
            (9.0, 2.262_157_162_798_205),
            (1_000.0, 1.962_339_080_826_408_3),
            (100_000.0, 1.959_987_707_534_609_5),
            (351_932.0, 1.959_970_725_271_929_2),
            (1_000_000.0, 1.959_966_356_814_107),
        ] {
            close(t_quantile(0.975, df).unwrap(), want, 1e-12);
            close(t_quantile(0.025, df).unwrap(), -want, 1e-12);
        }
        // Never below the normal quantile, which it reaches at infinity.
        assert!(t_quantile(0.975, 351_932.0).unwrap() > Z95);
        close(t_quantile(0.975, f64::INFINITY).unwrap(), Z95, 1e-15);
        // Other p, fractional df and the far tail:
        // scipy 1.17.1 scipy.stats.t.ppf(p, df)
        for (p, df, want) in [
            (0.025, 12.5, -2.169_185_942_712_540_6),
            (0.995, 30.0, 2.749_995_653_567_225_4),
            (1e-9, 2_000.0, -6.025_637_571_042_371),
            (0.6, 50_000.0, 0.253_348_451_180_696_3),
            (1e-12, 1.5, -52_194_694.273_446_36),
        ] {
            let got = t_quantile(p, df).unwrap();
            close(got, want, 1e-12 * want.abs().max(1.0));
        }
        // The Cauchy distribution: tan(π(p − ½)).
        close(t_quantile(0.75, 1.0).unwrap(), 1.0, 1e-15);
        for (p, df) in [
            (0.0, 5.0),
            (1.0, 5.0),
            (f64::NAN, 5.0),
            (0.5, 0.0),
            (0.5, f64::NAN),
        ] {
            assert_eq!(t_quantile(p, df), None, "p {p}, df {df}");
        }
    }

    #[test]
    fn t_p_values_stay_sane_at_large_df() {
        // scipy 1.17.1 scipy.stats.t.cdf(x, df)
        for (x, df, want) in [
            (-1.96, 9.0, 0.040_822_202_730_208_32),
            (-1.96, 351_932.0, 0.024_998_289_100_780_533),
            (-10.0, 351_932.0, 7.675_249_307_797_045e-24),
            (-1.96, 1e8, 0.024_997_896_534_664_04),
            (-1.96, 1e12, 0.024_997_895_148_359_08),
            (-10.0, 1e12, 7.619_853_043_589_437e-24),
        ] {
            let got = t_cdf(x, df).unwrap();
            assert!(
                ((got - want) / want).abs() < 1e-7,
                "x {x}, df {df}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn sampling_error_of_1067_is_three_points() {
        // The textbook figure: 1,067 completed interviews give ±3.0 points.
        close(sampling_error_points(1067).unwrap(), 3.0, 0.001);
    }

    #[test]
    fn z_test_matches_statsmodels() {
        // statsmodels proportions_ztest([11, 7], [12, 10]) = (1.311981820108913, 0.18952626866051037)
        let r = two_proportion_z(11, 12, 7, 10).unwrap();
        close(r.statistic, 1.311_981_820_108_913, 1e-12);
        close(r.p_value, 0.189_526_268_660_510_37, 1e-9);
    }

    #[test]
    fn welch_matches_scipy() {
        // scipy ttest_ind(b, a, equal_var=False): statistic 1.5415346283487803,
        // pvalue 0.14775004893384067, df 12.688006804113341
        let r = welch_t(&Tally::from_scores(B), &Tally::from_scores(A)).unwrap();
        close(r.statistic, 1.541_534_628_348_780_3, 1e-12);
        close(r.df.unwrap(), 12.688_006_804_113_341, 1e-9);
        close(r.p_value, 0.147_750_048_933_840_67, 1e-8);
    }

    #[test]
    fn holm_matches_statsmodels() {
        // multipletests([0.01, 0.04, 0.03, 0.20], method="holm")[1] = [0.04, 0.09, 0.09, 0.2]
        let adj = holm(&[Some(0.01), Some(0.04), None, Some(0.03), Some(0.20)]);
        let want = [Some(0.04), Some(0.09), None, Some(0.09), Some(0.2)];
        for (a, w) in adj.iter().zip(want) {
            match (a, w) {
                (Some(a), Some(w)) => close(*a, w, 1e-12),
                (None, None) => {}
                other => panic!("{other:?}"),
            }
        }
        assert!(holm(&[]).is_empty());
    }

    #[test]
    fn pearson_matches_scipy() {
        let x = [5.0, 4.0, 3.0, 5.0, 2.0, 4.0];
        let y = [5.0, 4.0, 3.0, 4.0, 2.0, 5.0];
        let mut s = PairSums::default();
        for (a, b) in x.iter().zip(y) {
            s.n += 1;
            s.sx += a;
            s.sy += b;
            s.sxx += a * a;
            s.syy += b * b;
            s.sxy += a * b;
        }
        // scipy pearsonr: 0.8536585365853657
        close(pearson(&s).unwrap(), 0.853_658_536_585_365_7, 1e-12);
        s.n = 2;
        assert_eq!(pearson(&s), None);
    }

    #[test]
    fn alpha_matches_pingouin() {
        let m = [
            [5, 4, 5],
            [4, 4, 3],
            [3, 3, 3],
            [5, 5, 4],
            [2, 3, 2],
            [4, 5, 4],
        ];
        let var = |v: Vec<f64>| {
            let n = v.len() as f64;
            let mean = v.iter().sum::<f64>() / n;
            v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
        };
        let items: Vec<f64> = (0..3)
            .map(|j| var(m.iter().map(|r| r[j] as f64).collect()))
            .collect();
        let total = var(m.iter().map(|r| r.iter().sum::<i32>() as f64).collect());
        // pingouin 0.5 cronbach_alpha: 0.9072580645161289
        close(
            cronbach_alpha(&items, total).unwrap(),
            0.907_258_064_516_128_9,
            1e-12,
        );
        assert_eq!(cronbach_alpha(&[1.0], 1.0), None);
        assert_eq!(cronbach_alpha(&[0.0, 0.0], 0.0), None);
    }

    #[test]
    fn below_standard_is_one_sided() {
        // 85/100 against 0.90: z = -0.05/0.03 = -1.6667, p = Φ(-1.6667) = 0.0477903522728147
        let r = below_standard(85, 100, 0.9).unwrap();
        close(r.statistic, -5.0 / 3.0, 1e-12);
        close(r.p_value, 0.047_790_352_272_814_7, 1e-9);
    }
}

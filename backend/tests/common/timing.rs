//! Timing at the HTTP boundary (issue 14, security rules 10 and 11): two classes of request
//! timed against the real server, randomly interleaved so that drift (a warming cache, another
//! process on the machine) falls on both alike, then compared with Welch's t-test as dudect does
//! (Reparaz, Balasch, Verbauwhede, "Dude, is my code constant time?", DATE 2017).
//!
//! The verdict: the classes are indistinguishable when |t| < [`THRESHOLD`] for the raw samples
//! and for the samples cropped at the pooled 90th percentile (HTTP timings have a long tail:
//! cropping it keeps a few slow requests from hiding a small steady difference). Under the null
//! hypothesis t is close to a standard normal, so |t| ≥ 4.5 by chance has a probability of
//! about 7·10⁻⁶; a real difference grows t with the square root of the number of samples.

use std::time::Instant;

/// dudect's threshold: |t| at or above it means the two classes can be told apart.
pub const THRESHOLD: f64 = 4.5;

/// The percentile (of both classes pooled) above which samples are cropped for the second t.
pub const CROP_PERCENTILE: f64 = 0.90;

/// Welch's t statistic of two samples: the difference of the means over the standard error
/// of that difference, each class with its own (unbiased, n − 1) variance. Positive when `a`'s
/// mean is larger. NaN when either sample has fewer than two values.
pub fn welch_t(a: &[f64], b: &[f64]) -> f64 {
    let (ma, va) = mean_variance(a);
    let (mb, vb) = mean_variance(b);
    (ma - mb) / (va / a.len() as f64 + vb / b.len() as f64).sqrt()
}

/// The mean and the unbiased sample variance (Welford's update, stable for large counts).
pub fn mean_variance(x: &[f64]) -> (f64, f64) {
    if x.len() < 2 {
        return (f64::NAN, f64::NAN);
    }
    let (mut mean, mut m2) = (0.0, 0.0);
    for (i, &v) in x.iter().enumerate() {
        let delta = v - mean;
        mean += delta / (i + 1) as f64;
        m2 += delta * (v - mean);
    }
    (mean, m2 / (x.len() - 1) as f64)
}

/// The value at quantile `q` (0..=1) of `x`, nearest rank.
pub fn quantile(x: &[f64], q: f64) -> f64 {
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Two classes' samples (durations in microseconds) and what they say.
#[derive(Clone, Debug, Default)]
pub struct Comparison {
    pub a: Vec<f64>,
    pub b: Vec<f64>,
}

impl Comparison {
    /// Welch's t of all samples.
    pub fn t_raw(&self) -> f64 {
        welch_t(&self.a, &self.b)
    }

    /// Welch's t of the samples at or below the pooled [`CROP_PERCENTILE`].
    pub fn t_cropped(&self) -> f64 {
        let pooled: Vec<f64> = self.a.iter().chain(&self.b).copied().collect();
        let cut = quantile(&pooled, CROP_PERCENTILE);
        let keep = |x: &[f64]| x.iter().copied().filter(|&v| v <= cut).collect::<Vec<_>>();
        welch_t(&keep(&self.a), &keep(&self.b))
    }

    /// The larger |t| of the two: what the verdict reads.
    pub fn max_abs_t(&self) -> f64 {
        self.t_raw().abs().max(self.t_cropped().abs())
    }

    /// Whether the classes are indistinguishable at [`THRESHOLD`].
    pub fn indistinguishable(&self) -> bool {
        self.max_abs_t() < THRESHOLD
    }

    /// One line: counts, medians, both t values and the verdict.
    pub fn summary(&self, name: &str) -> String {
        format!(
            "{name}: n = {} + {}, median {:.0} µs vs {:.0} µs, t = {:+.2} (raw), {:+.2} \
             (cropped at p{:.0}): {}",
            self.a.len(),
            self.b.len(),
            quantile(&self.a, 0.5),
            quantile(&self.b, 0.5),
            self.t_raw(),
            self.t_cropped(),
            CROP_PERCENTILE * 100.0,
            if self.indistinguishable() {
                format!("pass (|t| < {THRESHOLD})")
            } else {
                format!("FAIL (|t| ≥ {THRESHOLD})")
            }
        )
    }
}

/// Which of the two classes a sample belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    A,
    B,
}

/// `per_class` of each class in a random order (Fisher–Yates with SplitMix64 from `seed`).
pub fn schedule(per_class: usize, seed: u64) -> Vec<Class> {
    let mut order: Vec<Class> = std::iter::repeat_n(Class::A, per_class)
        .chain(std::iter::repeat_n(Class::B, per_class))
        .collect();
    let mut state = seed;
    for i in (1..order.len()).rev() {
        let j = (splitmix64(&mut state) % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

/// SplitMix64 (Steele, Lea, Flood 2014): a small, well-mixed generator, enough for an order.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A seed for [`schedule`] from the clock (each run interleaves differently).
pub fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
}

/// Runs the schedule: for each sample, `prepare` (untimed: resets a throttle, computes the
/// codes) makes the request, `send` is timed from before the request leaves to after its whole
/// answer is read, and `check` (untimed) asserts the answer is the one the class means.
pub async fn measure<I, R>(
    order: &[Class],
    mut prepare: impl AsyncFnMut(Class) -> I,
    mut send: impl AsyncFnMut(I) -> R,
    mut check: impl FnMut(Class, R),
) -> Comparison {
    let mut out = Comparison::default();
    for &class in order {
        let input = prepare(class).await;
        let started = Instant::now();
        let answer = send(input).await;
        let micros = started.elapsed().as_secs_f64() * 1e6;
        check(class, answer);
        match class {
            Class::A => out.a.push(micros),
            Class::B => out.b.push(micros),
        }
    }
    out
}

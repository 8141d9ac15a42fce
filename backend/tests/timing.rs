//! The timing harness (issue 14, security rules 10 and 11), checked — not its verdict, which
//! a shared CI machine is too noisy to give: that is `cargo bench -p backend --bench timing`
//! (README, "Timing"). Here: Welch's t against values computed independently, and on a real
//! server that the harness tells a deliberately different pair of classes apart, finds a pair
//! of identical classes alike, and runs each pair of the benchmark end to end.

mod common;

use common::timing::{
    Class, Comparison, THRESHOLD, clock_seed, mean_variance, quantile, schedule, welch_t,
};
use common::timing_pairs::*;
use common::*;

/// Welch's t against Python's `statistics` (mean, variance with n − 1), computed by hand:
/// `(mean(a) - mean(b)) / sqrt(variance(a)/len(a) + variance(b)/len(b))`.
#[test]
fn welch_t_matches_an_independent_computation() {
    let a = [19.7, 20.4, 21.1, 19.9, 20.6, 20.2, 19.8];
    let b = [21.3, 22.0, 20.8, 21.9, 22.4, 21.6];
    let (ma, va) = mean_variance(&a);
    assert!((ma - 20.242857142857144).abs() < 1e-12, "{ma}");
    assert!((va - 0.24952380952381023).abs() < 1e-12, "{va}");
    let (mb, vb) = mean_variance(&b);
    assert!((mb - 21.666666666666668).abs() < 1e-12, "{mb}");
    assert!((vb - 0.3186666666666657).abs() < 1e-12, "{vb}");
    let t = welch_t(&a, &b);
    assert!((t - -4.7791392198377745).abs() < 1e-9, "{t}");
    assert!((welch_t(&b, &a) - 4.7791392198377745).abs() < 1e-9);
    let t = welch_t(&[1.0, 2.0, 3.0, 4.0], &[1.5, 2.5, 3.5, 4.5, 5.5]);
    assert!((t - -1.044465935734187).abs() < 1e-9, "{t}");
    // One value says nothing about a spread.
    assert!(welch_t(&[1.0], &a).is_nan());
}

#[test]
fn quantiles_take_the_nearest_rank_and_the_crop_keeps_the_body() {
    let x: Vec<f64> = (1..=10).map(f64::from).collect();
    assert_eq!(quantile(&x, 0.5), 5.0);
    assert_eq!(quantile(&x, 0.9), 9.0);
    assert_eq!(quantile(&x, 1.0), 10.0);
    assert_eq!(quantile(&x, 0.0), 1.0);
    // One huge outlier in A hides a steady difference from the raw t, not from the cropped t.
    let mut a: Vec<f64> = (0..400).map(|i| 100.0 + f64::from(i % 10)).collect();
    let b: Vec<f64> = (0..400).map(|i| 102.0 + f64::from(i % 10)).collect();
    a[0] = 1e7;
    let c = Comparison { a, b };
    assert!(c.t_raw().abs() < THRESHOLD, "{}", c.t_raw());
    assert!(c.t_cropped() < -THRESHOLD, "{}", c.t_cropped());
    assert!(!c.indistinguishable());
}

#[test]
fn a_schedule_holds_each_class_as_often_and_interleaves_them() {
    let order = schedule(500, 42);
    assert_eq!(order.len(), 1000);
    assert_eq!(order.iter().filter(|c| **c == Class::A).count(), 500);
    // Interleaved, not one block then the other: about half of neighbours differ.
    let changes = order.windows(2).filter(|w| w[0] != w[1]).count();
    assert!((400..600).contains(&changes), "{changes}");
    assert_ne!(schedule(500, 43), order, "the seed decides the order");
}

/// On the real server: a wrong password's argon2 against `GET /healthz` is told apart (A
/// slower, |t| far above the threshold), and one request labelled at random into two classes
/// is not. A harness that timed the wrong thing, mixed the classes up or miscounted would fail
/// one or the other.
#[tokio::test]
async fn the_harness_tells_different_classes_apart_and_not_identical_ones() {
    let server = Server::start();
    let different = wrong_password_or_health(&server, &schedule(60, clock_seed())).await;
    println!("{}", different.summary("wrong password vs /healthz"));
    assert!(different.t_raw() > THRESHOLD, "{different:?}");
    assert!(!different.indistinguishable());

    let same = wrong_password_twice(&server, &schedule(60, clock_seed())).await;
    println!("{}", same.summary("wrong password vs wrong password"));
    assert!(same.indistinguishable(), "{same:?}");
    server.finish();
}

/// Each pair of the benchmark, a few samples each: the requests get the answers the pair
/// means (checked on every sample) and the statistic is a number. Not the verdict.
#[tokio::test]
async fn each_pair_of_the_benchmark_runs() {
    let server = Server::start();
    let order = schedule(15, clock_seed());
    let admin = admin_session(&server).await;
    for (name, c) in [
        (
            "(b) wrong code 1 vs wrong code 2",
            first_or_second_code_wrong(&server, &admin, &order).await,
        ),
        (
            "(a) throttled: wrong pair vs right pair",
            throttled_wrong_or_right(&server, &admin, &order).await,
        ),
        (
            "(c) unknown user vs wrong password",
            unknown_user_or_wrong_password(&server, &order).await,
        ),
    ] {
        println!("{}", c.summary(name));
        assert_eq!((c.a.len(), c.b.len()), (15, 15));
        assert!(c.t_raw().is_finite() && c.t_cropped().is_finite(), "{c:?}");
    }
    server.finish();
}

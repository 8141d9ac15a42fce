//! `mfa-resync device forecast` (issue 16), the real binary on either store: the help desk's
//! list of devices whose clocks, at the rate they drift, leave the sign-in window soon. The
//! demo's administrator phone has gained a step every 8 days for 60 days and is in step now:
//! it leaves the window (1.5 steps) in about 12 days, and no other demo device has a history.

mod common;

use common::*;

#[tokio::test]
async fn the_forecast_lists_the_devices_that_will_need_a_resync() {
    let server = Server::start();
    let forecast = |days: &str| {
        server.cli(
            &[
                "device",
                "forecast",
                "--account",
                "demo",
                "--within-days",
                days,
            ],
            None,
        )
    };
    let out = forecast("45");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let fields: Vec<&str> = lines[0].split('\t').collect();
    assert_eq!(
        fields[..2],
        ["arn:aws:iam::123456789012:mfa/admin", "admin"],
        "{out}"
    );
    assert!(fields[2].starts_with("resync needed by 20"), "{out}");
    // 3.75 s a day (a step every 8 days), as the fit reads a staircase of whole steps.
    let rate: f64 = fields[3]
        .trim_start_matches("drifts ")
        .trim_end_matches(" s a day")
        .parse()
        .unwrap();
    assert!((3.0..=4.5).contains(&rate), "{out}");
    assert_eq!(
        lines[1],
        "1 device(s) of demo need a resync within 45 day(s)"
    );
    // Not within five days.
    assert_eq!(
        forecast("5").trim(),
        "0 device(s) of demo need a resync within 5 day(s)"
    );
    // An unknown account is an error, not an empty list.
    let (ok, _, err) = server.cli_status(&["device", "forecast", "--account", "nobody"], None);
    assert!(!ok);
    assert!(err.contains("nobody"), "{err}");
    // The server beside the report served on.
    assert_eq!(server.client().sign_in("bob").await.status, 200);
    eprintln!("{out}");
    server.finish();
}

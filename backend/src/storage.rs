//! Every SQL statement of the server, in portable SQL run on SQLite or PostgreSQL (`db.rs` says
//! how, and holds the few differences), through sqlx's runtime `query`/`query_as` so a build
//! needs no live database — except, on SQLite, the statements every request makes (the session,
//! counting attempts, the compare-and-set, the code budget, the audit row), which run the same
//! SQL through rusqlite on the server's own connection without a thread hop (`direct.rs`). The schemas are in `backend/migrations/{sqlite,postgres}`, embedded
//! and applied on every start.

mod access_keys;
mod attempts;
mod audit;
mod checkpoint;
mod db;
mod device;
mod devices;
mod direct;
mod failover;
mod principals;
mod sealed;
mod sessions;
mod signatures;
mod temporary_credentials;
mod writer;

pub use access_keys::AccessKeyRow;
pub use attempts::ThrottleKey;
pub use audit::{AuditFilter, AuditRow, NewAuditEvent};
pub use db::{Database, DatabaseUrlError, PgTarget, Storage};
pub use device::{Codes, Device, Generator, StoredState};
pub use devices::{NewDevice, OnWin};
pub use principals::{AccountRow, NewPrincipal, PrincipalRow};
pub use sealed::SealedRow;
pub use sessions::{SessionRow, SessionWithPrincipal};
pub use temporary_credentials::{NewTemporaryCredentials, TemporaryCredentialsRow};

/// The throwaway PostgreSQL cluster of the black-box tests, for the storage tests here.
#[cfg(test)]
#[path = "../tests/common/pg.rs"]
mod test_pg;

#[cfg(test)]
mod tests {
    use super::db::on_db;
    use super::*;
    use crate::throttle;

    /// Each store the tests run on: a SQLite file, and a fresh database in the test
    /// PostgreSQL cluster. The folder lives as long as the test.
    async fn stores() -> (tempfile::TempDir, Vec<Storage>) {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = Storage::open(&dir.path().join("t.sqlite")).await.unwrap();
        let url = tokio::task::spawn_blocking(super::test_pg::fresh_database_url)
            .await
            .unwrap();
        let postgres = Storage::connect(&url.parse().unwrap()).await.unwrap();
        (dir, vec![sqlite, postgres])
    }

    /// Runs `statement` (test set-up that no operation does) on `storage`.
    async fn exec(storage: &Storage, statement: &'static str) {
        on_db!(storage, |pool, sql| sqlx::query(sql(statement))
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))
        .unwrap();
    }

    /// The SQL back-off equals [`throttle::after_failure`] for every count up to the lock.
    #[tokio::test]
    async fn the_reserve_statement_applies_the_throttle_scheme() {
        let (_dir, stores) = stores().await;
        for storage in stores {
            println!("on {}", storage.engine());
            let key = ThrottleKey::UnknownSignIn("k");
            for n in 1..=throttle::LOCK_AFTER {
                // Expire any wait so the next attempt may be counted.
                exec(&storage, "UPDATE sign_in_throttle SET throttled_until = 0").await;
                let got = storage.reserve_attempt(key, 1_000).await.unwrap();
                assert_eq!(got, Some(n));
                let t = storage.throttle_of(key).await.unwrap().unwrap();
                assert_eq!(t, throttle::after_failure(n, 1_000), "failure {n}");
            }
            assert_eq!(storage.reserve_attempt(key, 1_000).await.unwrap(), None);
        }
    }

    /// The principal's code budget (rule 29): an upsert with the principal scheme, and a
    /// refund that restores exactly the state before its own attempt (rule 23).
    #[tokio::test]
    async fn the_code_budget_applies_its_scheme_and_refunds_exactly() {
        let (_dir, stores) = stores().await;
        for storage in stores {
            println!("on {}", storage.engine());
            storage
                .insert_account("111122223333", "a", 0)
                .await
                .unwrap();
            let id = storage
                .insert_principal(NewPrincipal {
                    account_id: "111122223333",
                    user_name: Some("alice"),
                    email: None,
                    user_id: "alice",
                    password_hash: "x",
                    now_ms: 0,
                })
                .await
                .unwrap();
            let key = ThrottleKey::Codes(id);
            assert_eq!(storage.throttle_of(key).await.unwrap(), None);
            for n in 1..=throttle::LOCK_AFTER {
                exec(&storage, "UPDATE code_budgets SET throttled_until = 0").await;
                assert_eq!(storage.reserve_attempt(key, 1_000).await.unwrap(), Some(n));
                let t = storage.throttle_of(key).await.unwrap().unwrap();
                assert_eq!(
                    t,
                    throttle::PER_PRINCIPAL.after_failure(n, 1_000),
                    "failure {n}"
                );
            }
            assert_eq!(storage.reserve_attempt(key, 1_000).await.unwrap(), None);
            // The 100th attempt's refund lifts its own lock; a stale count refunds nothing.
            assert!(!storage.refund_attempt(key, 99).await.unwrap());
            assert!(storage.refund_attempt(key, 100).await.unwrap());
            let t = storage.throttle_of(key).await.unwrap().unwrap();
            assert_eq!((t.failures, t.locked), (99, false));
            assert!(t.check(1_000).is_ok());
            storage.unlock_code_budget(id).await.unwrap();
            assert_eq!(storage.throttle_of(key).await.unwrap(), None);
        }
    }

    /// The resync's fast path counts only when every check before counting holds, and
    /// otherwise changes nothing (the ordinary path then answers).
    #[tokio::test]
    async fn the_device_reservation_applies_only_to_the_owners_code_device() {
        let (_dir, stores) = stores().await;
        for storage in stores {
            println!("on {}", storage.engine());
            storage
                .insert_account("111122223333", "a", 0)
                .await
                .unwrap();
            let principal = |name: &'static str| NewPrincipal {
                account_id: "111122223333",
                user_name: Some(name),
                email: None,
                user_id: name,
                password_hash: "x",
                now_ms: 0,
            };
            let alice = storage.insert_principal(principal("alice")).await.unwrap();
            let bob = storage.insert_principal(principal("bob")).await.unwrap();
            let state = StoredState {
                drift_steps: 0,
                last_used_step: -1,
                hotp_counter: 0,
            };
            let device =
                |serial: &'static str, kind: &'static str, seed: Option<&'static [u8]>| NewDevice {
                    account_id: "111122223333",
                    serial_number: serial,
                    kind,
                    owner_id: Some(alice),
                    seed,
                    digits: 6,
                    period: 30,
                    state,
                    enabled_at: Some(0),
                    now_ms: 0,
                };
            let totp = storage
                .insert_device(device("TOTP00001", "hardware-totp", Some(b"s")))
                .await
                .unwrap();
            storage
                .insert_device(device("FIDO00001", "fido", None))
                .await
                .unwrap();
            let reserve = |serial: &'static str, owner: i64, digits: i64| {
                let storage = storage.clone();
                async move {
                    storage
                        .reserve_device_attempt("111122223333", serial, owner, digits, 1_000)
                        .await
                        .unwrap()
                }
            };
            // Not counted: another owner, another length, no codes, no such device, another account.
            assert!(reserve("TOTP00001", bob, 6).await.is_none());
            assert!(reserve("TOTP00001", alice, 8).await.is_none());
            assert!(reserve("FIDO00001", alice, 6).await.is_none());
            assert!(reserve("NOPE00001", alice, 6).await.is_none());
            assert!(
                storage
                    .reserve_device_attempt("999999999999", "TOTP00001", alice, 6, 1_000)
                    .await
                    .unwrap()
                    .is_none()
            );
            let key = ThrottleKey::Device(totp);
            assert_eq!(storage.throttle_of(key).await.unwrap().unwrap().failures, 0);
            // Counted, with the throttle scheme, and the row read as counted.
            let budget = ThrottleKey::Codes(alice);
            for n in 1..=throttle::FREE_FAILURES {
                let (dev, counted) = reserve("TOTP00001", alice, 6).await.unwrap();
                assert_eq!((dev.id, dev.throttle.failures, counted), (totp, n, n));
                assert_eq!(dev.owner_name.as_deref(), Some("alice"));
                assert_eq!(dev.state, state);
                let t = storage.throttle_of(key).await.unwrap().unwrap();
                assert_eq!(t, throttle::after_failure(n, 1_000));
                let b = storage.throttle_of(budget).await.unwrap().unwrap();
                assert_eq!(b, throttle::PER_PRINCIPAL.after_failure(n, 1_000));
            }
            // Throttled now: not counted, on the device nor on the budget.
            assert!(reserve("TOTP00001", alice, 6).await.is_none());
            let t = storage.throttle_of(key).await.unwrap().unwrap();
            assert_eq!(t.failures, throttle::FREE_FAILURES);
            let b = storage.throttle_of(budget).await.unwrap().unwrap();
            assert_eq!(b.failures, throttle::FREE_FAILURES);
            // A budget that refuses leaves the device's count as it was.
            exec(
                &storage,
                "UPDATE mfa_devices SET failures = 0, throttled_until = 0",
            )
            .await;
            exec(&storage, "UPDATE code_budgets SET locked = TRUE").await;
            assert!(reserve("TOTP00001", alice, 6).await.is_none());
            let t = storage.throttle_of(key).await.unwrap().unwrap();
            assert_eq!((t.failures, t.throttled_until, t.locked), (0, 0, false));
            // A won compare-and-set clears the device's count and the budget's, unless the
            // budget's lock is another attempt's.
            exec(
                &storage,
                "UPDATE code_budgets SET locked = FALSE, throttled_until = 0",
            )
            .await;
            let (dev, counted) = reserve("TOTP00001", alice, 6).await.unwrap();
            let after = StoredState {
                last_used_step: 9,
                ..state
            };
            // The success's audit event is stored by a won compare-and-set, and by it alone.
            let event = |request_id: &'static str| NewAuditEvent {
                account_id: Some("111122223333"),
                event_time: 1_000,
                actor: "arn:aws:iam::111122223333:user/alice",
                action: "ResyncMFADevice",
                target_user: Some("alice"),
                serial_number: Some("TOTP00001"),
                source_ip: "127.0.0.1",
                outcome: "Success",
                error_code: None,
                request_id: Some(request_id),
            };
            let events = |storage: Storage| async move {
                let rows = storage
                    .audit_events("111122223333", &AuditFilter::default(), i64::MAX, 10)
                    .await
                    .unwrap();
                rows.into_iter()
                    .map(|r| (r.action, r.outcome, r.serial_number))
                    .collect::<Vec<_>>()
            };
            assert!(
                storage
                    .compare_and_set_state(
                        dev.id,
                        state,
                        after,
                        -1,
                        OnWin {
                            budget: Some((alice, -1)),
                            event: Some(&event("won")),
                            sample: Some((1_000, 3)),
                        }
                    )
                    .await
                    .unwrap()
            );
            let won = (
                "ResyncMFADevice".to_owned(),
                "Success".to_owned(),
                Some("TOTP00001".to_owned()),
            );
            assert_eq!(events(storage.clone()).await, std::slice::from_ref(&won));
            assert_eq!(
                storage.throttle_of(budget).await.unwrap().unwrap().failures,
                0
            );
            assert_eq!(storage.throttle_of(key).await.unwrap().unwrap().failures, 0);
            assert!(counted > throttle::FREE_FAILURES);
            exec(
                &storage,
                "UPDATE code_budgets SET failures = 7, locked = TRUE",
            )
            .await;
            let later = StoredState {
                last_used_step: 10,
                ..state
            };
            assert!(
                storage
                    .compare_and_set_state(
                        dev.id,
                        after,
                        later,
                        -1,
                        OnWin {
                            budget: Some((alice, 6)),
                            ..OnWin::default()
                        }
                    )
                    .await
                    .unwrap()
            );
            let b = storage.throttle_of(budget).await.unwrap().unwrap();
            assert_eq!(
                (b.failures, b.locked),
                (7, true),
                "another attempt's lock stays"
            );
            // A lost compare-and-set changes neither.
            assert!(
                !storage
                    .compare_and_set_state(
                        dev.id,
                        after,
                        later,
                        -1,
                        OnWin {
                            budget: Some((alice, 7)),
                            event: Some(&event("lost")),
                            sample: Some((2_000, 4)),
                        }
                    )
                    .await
                    .unwrap()
            );
            let b = storage.throttle_of(budget).await.unwrap().unwrap();
            assert_eq!((b.failures, b.locked), (7, true));
            assert_eq!(
                events(storage.clone()).await,
                std::slice::from_ref(&won),
                "no event for a lost one"
            );
            // The change and its event are one: an event that cannot be written (its table
            // gone) takes the change back with it.
            exec(&storage, "ALTER TABLE audit_events RENAME TO audit_away").await;
            let newer = StoredState {
                last_used_step: 11,
                ..state
            };
            let torn = storage
                .compare_and_set_state(
                    dev.id,
                    later,
                    newer,
                    -1,
                    OnWin {
                        event: Some(&event("torn")),
                        sample: Some((3_000, 5)),
                        ..OnWin::default()
                    },
                )
                .await;
            assert!(torn.is_err(), "{torn:?}");
            exec(&storage, "ALTER TABLE audit_away RENAME TO audit_events").await;
            let stored = storage.device("111122223333", "TOTP00001").await.unwrap();
            assert_eq!(stored.unwrap().state, later, "the change was not kept");
            assert_eq!(events(storage.clone()).await, [won]);
            // The won one's offset is recorded, the lost and the torn ones' are not.
            assert_eq!(
                storage.drift_samples(dev.id, 0).await.unwrap(),
                [(1_000, 3)]
            );
            // The history is bounded by the housekeeping: 260 more samples thinned to 200,
            // the first and the newest hundred kept.
            for at in 0..260i64 {
                on_db!(storage, |pool, sql| sqlx::query(sql(
                    "INSERT INTO drift_samples (device_id, at, offset_steps) VALUES (?, ?, 0)"
                ))
                .bind(dev.id)
                .bind(10_000 + at)
                .execute(pool)
                .await
                .map(|done| done.rows_affected()))
                .unwrap();
            }
            assert_eq!(storage.thin_drift_samples().await.unwrap(), 61);
            let kept = storage.drift_samples(dev.id, 0).await.unwrap();
            assert_eq!(kept.len(), shared::forecast::MAX_SAMPLES);
            assert_eq!(kept[0], (1_000, 3));
            let newest: Vec<i64> = kept[100..].iter().map(|(at, _)| *at).collect();
            assert_eq!(newest, (10_160..10_260).collect::<Vec<_>>());
            assert_eq!(storage.thin_drift_samples().await.unwrap(), 0);
        }
    }

    /// A bulk insert stores every device in batches (more rows than one statement takes), and
    /// refuses devices of two accounts, storing none.
    #[tokio::test]
    async fn many_devices_are_inserted_in_batches_of_one_account() {
        let (_dir, stores) = stores().await;
        for storage in stores {
            println!("on {}", storage.engine());
            storage
                .insert_account("111122223333", "a", 0)
                .await
                .unwrap();
            let serials: Vec<String> = (0..2_345).map(|i| format!("BULK{i:08}")).collect();
            fn device(serial: &str) -> NewDevice<'_> {
                NewDevice {
                    account_id: "111122223333",
                    serial_number: serial,
                    kind: "hardware-totp",
                    owner_id: None,
                    seed: Some(b"sealed"),
                    digits: 6,
                    period: 30,
                    state: StoredState {
                        drift_steps: 3,
                        last_used_step: 7,
                        hotp_counter: 0,
                    },
                    enabled_at: None,
                    now_ms: 5,
                }
            }
            let mut mixed: Vec<NewDevice> = serials[..2].iter().map(|s| device(s)).collect();
            mixed[1].account_id = "999999999999";
            assert!(storage.insert_devices(&mixed).await.is_err());
            let all: Vec<NewDevice> = serials.iter().map(|s| device(s)).collect();
            storage.insert_devices(&all).await.unwrap();
            for serial in [&serials[0], &serials[1_000], &serials[2_344]] {
                let stored = storage
                    .device("111122223333", serial)
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(stored.state.last_used_step, 7, "{serial}");
            }
            let counted: i64 = on_db!(storage, |pool, sql| {
                sqlx::query_scalar(sql("SELECT COUNT(*) FROM mfa_devices"))
                    .fetch_one(pool)
                    .await
            })
            .unwrap();
            assert_eq!(counted, 2_345);
        }
    }

    /// Rule 27: the caps are part of the statements that create and assign, not a count read
    /// before them.
    #[tokio::test]
    async fn devices_are_created_and_assigned_within_their_caps() {
        let (_dir, stores) = stores().await;
        for storage in stores {
            println!("on {}", storage.engine());
            storage
                .insert_account("111122223333", "a", 0)
                .await
                .unwrap();
            let alice = storage
                .insert_principal(NewPrincipal {
                    account_id: "111122223333",
                    user_name: Some("alice"),
                    email: None,
                    user_id: "alice",
                    password_hash: "x",
                    now_ms: 0,
                })
                .await
                .unwrap();
            let fresh = StoredState {
                drift_steps: 0,
                last_used_step: -1,
                hotp_counter: 0,
            };
            let device = |serial: &'static str| NewDevice {
                account_id: "111122223333",
                serial_number: serial,
                kind: "virtual",
                owner_id: None,
                seed: Some(b"s"),
                digits: 6,
                period: 30,
                state: fresh,
                enabled_at: None,
                now_ms: 0,
            };
            let a = storage
                .insert_virtual_device_within(device("VIRTUAL01"), alice, 3, 2)
                .await;
            let b = storage
                .insert_virtual_device_within(device("VIRTUAL02"), alice, 3, 2)
                .await;
            let (a, b) = (a.unwrap().unwrap(), b.unwrap().unwrap());
            // Alice's two unassigned devices are her cap.
            let c = storage
                .insert_virtual_device_within(device("VIRTUAL03"), alice, 3, 2)
                .await;
            assert_eq!(c.unwrap(), None);
            // One assigned makes room; the account's cap of 3 then holds.
            let used = StoredState {
                last_used_step: 1,
                ..fresh
            };
            assert!(
                storage
                    .assign_device(a, alice, 1, 0, fresh, used, -1)
                    .await
                    .unwrap()
            );
            let c = storage
                .insert_virtual_device_within(device("VIRTUAL03"), alice, 3, 2)
                .await;
            assert!(c.unwrap().is_some());
            let d = storage
                .insert_virtual_device_within(device("VIRTUAL04"), alice, 3, 9)
                .await;
            assert_eq!(d.unwrap(), None);
            // With one device already, a cap of one refuses a second assignment.
            assert!(
                !storage
                    .assign_device(b, alice, 1, 0, fresh, used, -1)
                    .await
                    .unwrap()
            );
            assert!(
                storage
                    .assign_device(b, alice, 2, 0, fresh, used, -1)
                    .await
                    .unwrap()
            );
        }
    }

    /// Rule 27 with writers at once (on PostgreSQL they do not queue on one write lock, so the
    /// account's row lock is what holds): twenty creators stop at the cap of unassigned
    /// devices, twenty assignments at the cap of devices per user.
    #[tokio::test]
    async fn the_caps_hold_under_parallel_writers() {
        let (_dir, stores) = stores().await;
        for storage in stores {
            println!("on {}", storage.engine());
            storage
                .insert_account("111122223333", "a", 0)
                .await
                .unwrap();
            let alice = storage
                .insert_principal(NewPrincipal {
                    account_id: "111122223333",
                    user_name: Some("alice"),
                    email: None,
                    user_id: "alice",
                    password_hash: "x",
                    now_ms: 0,
                })
                .await
                .unwrap();
            let fresh = StoredState {
                drift_steps: 0,
                last_used_step: -1,
                hotp_counter: 0,
            };
            let mut creators = tokio::task::JoinSet::new();
            for i in 0..20 {
                let storage = storage.clone();
                creators.spawn(async move {
                    let serial = format!("VIRTUAL{i:02}");
                    let device = NewDevice {
                        account_id: "111122223333",
                        serial_number: &serial,
                        kind: "virtual",
                        owner_id: None,
                        seed: Some(b"s"),
                        digits: 6,
                        period: 30,
                        state: fresh,
                        enabled_at: None,
                        now_ms: 0,
                    };
                    storage
                        .insert_virtual_device_within(device, alice, 100, 5)
                        .await
                        .unwrap()
                });
            }
            let created: Vec<i64> = creators.join_all().await.into_iter().flatten().collect();
            assert_eq!(created.len(), 5, "{created:?}");
            let used = StoredState {
                last_used_step: 1,
                ..fresh
            };
            let mut assigners = tokio::task::JoinSet::new();
            for id in created {
                let storage = storage.clone();
                assigners.spawn(async move {
                    storage
                        .assign_device(id, alice, 3, 0, fresh, used, -1)
                        .await
                        .unwrap()
                });
            }
            let assigned = assigners.join_all().await;
            assert_eq!(assigned.iter().filter(|a| **a).count(), 3, "{assigned:?}");
        }
    }
}

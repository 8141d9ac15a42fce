//! kill -9 under load (issue 14): four clients drive one server — resyncs, sign-ins with MFA,
//! wrong pairs then a right one, enables and deactivations of unassigned virtual devices — and
//! the server is SIGKILLed at a random moment of each round. While it is down, what is stored
//! is compared with what the clients were told ([`Ledger::check`]); restarted on the same
//! database, the requests whose answer was lost are sent again (their fate must be the one the
//! store shows) and the last acknowledged codes are replayed (refused: burned steps stay
//! burned). At the end the audit trail is compared with every answer.
//!
//! The model: each device is driven by one client at a time, so its state and its failure
//! counter are known exactly from the answers, except for the one request in flight when the
//! server died, which may have been applied (or counted) or not — and the store must show one
//! of those, never anything else.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::acknowledged::{Answered, Snapshot, snapshot};
use super::{ADMIN_VIRTUAL, ALICE_VIRTUAL, BOB_VIRTUAL, Client, Device, Server, now_step};

/// A small seeded generator (SplitMix64): the kill moments of a run are reproducible from its
/// seed alone.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A throttle counter that one client drives: what the answers say it holds, and whether a
/// request whose answer was lost may have counted (+1) or succeeded (0) meanwhile.
#[derive(Debug, Default)]
struct Count {
    known: i64,
    in_doubt: bool,
}

impl Count {
    /// Compares the stored value with the answers, then takes it as known.
    fn check(&mut self, stored: i64, what: &str) {
        let allowed =
            stored == self.known || (self.in_doubt && (stored == self.known + 1 || stored == 0));
        assert!(
            allowed,
            "{what}: stored {stored}, answers say {} (a request in doubt: {})",
            self.known, self.in_doubt
        );
        *self = Count {
            known: stored,
            in_doubt: false,
        };
    }
}

/// A code request whose answer was lost: the last step it would burn.
#[derive(Clone, Copy, Debug)]
enum Doubt {
    /// A resync or a sign-in ending at this step.
    Step(i64),
    /// An enable for alice ending at this step.
    Enable(i64),
    /// A deactivation.
    Deactivate,
    /// A request that changes no device state (a password, a replay, a wrong pair).
    Counted,
}

/// One device driven by one loop: its state as answered.
#[derive(Debug)]
struct Tracked {
    serial: String,
    /// The last step acknowledged as used (-1: none).
    last: i64,
    /// The drift acknowledged with it (`None`: not known from an answer).
    drift: Option<i64>,
    /// `Some(user)`: assigned to that user.
    owner: Option<String>,
    failures: Count,
    doubt: Option<Doubt>,
    /// A step found applied (true) or not (false) by the last check, to send again.
    settle: Option<(i64, bool)>,
}

impl Tracked {
    fn new(serial: &str, owner: Option<&str>) -> Tracked {
        Tracked {
            serial: serial.to_owned(),
            last: -1,
            drift: None,
            owner: owner.map(str::to_owned),
            failures: Count::default(),
            doubt: None,
            settle: None,
        }
    }

    /// The stored row against the answers; a request in doubt is resolved by what is stored.
    fn check(&mut self, snap: &Snapshot) {
        let row = snap.device(&self.serial).clone();
        let what = &self.serial;
        match self.doubt.take() {
            Some(Doubt::Step(step)) if row.last_used_step == step && step > self.last => {
                self.settle = Some((step, true));
                self.last = step;
                self.drift = Some(row.drift_steps);
                self.failures.in_doubt = true;
            }
            Some(Doubt::Enable(step)) if row.last_used_step == step && step > self.last => {
                self.settle = Some((step, true));
                self.last = step;
                self.owner = Some("alice".to_owned());
                self.failures.in_doubt = true;
            }
            Some(Doubt::Step(step) | Doubt::Enable(step)) => {
                self.settle = Some((step, false));
                self.failures.in_doubt = true;
            }
            Some(Doubt::Deactivate) if row.owner.is_none() => self.owner = None,
            Some(Doubt::Deactivate | Doubt::Counted) => self.failures.in_doubt = true,
            None => {}
        }
        assert_eq!(
            row.last_used_step, self.last,
            "{what}: the last step stored is the last acknowledged (or the one in doubt)"
        );
        if let Some(drift) = self.drift {
            assert_eq!(row.drift_steps, drift, "{what}: the drift acknowledged");
        }
        assert_eq!(row.owner, self.owner, "{what}: the owner acknowledged");
        self.failures
            .check(row.failures, &format!("{what}: failures"));
    }
}

/// Everything the clients were told, and the devices and counters that follows from it.
pub struct Ledger {
    /// alice's phone, resynced by the administrator.
    resync: Tracked,
    alice_phone: Device,
    /// bob's phone, at every sign-in.
    sign_in: Tracked,
    bob_phone: Device,
    bob_password: Count,
    bob_budget: Count,
    /// The session of bob's last acknowledged sign-in with MFA.
    bob_session: Option<String>,
    /// The administrator's own phone: one or two wrong pairs, then a right one.
    throttle: Tracked,
    admin_phone: Device,
    admin_budget: Count,
    /// Unassigned virtual devices, enabled for alice and deactivated in turn.
    pool: Vec<(Tracked, Device)>,
    /// alice's code budget, shared by two loops: bounded, not exact.
    alice_budget: i64,
    /// The administrator's session (signed in with MFA before the first round).
    admin_session: String,
    /// The next pair's second step, per loop (resyncs search ±2880 steps).
    resync_next: i64,
    throttle_next: i64,
    /// Every answer, for the audit trail.
    pub answers: Vec<Answered>,
    /// Audit events before the first round.
    audit_before: usize,
}

/// What a round shares between its loops.
struct Round<'a> {
    answers: &'a RefCell<Vec<Answered>>,
    acknowledged: &'a Cell<usize>,
    /// One bit per loop, set once it has had the answer that clears its counters this round
    /// (a success; for the enable loop, any answer after its replay).
    steady: &'a Cell<u8>,
    /// Requests to alice's code budget not answered 200 (its bound).
    alice_counted: &'a Cell<i64>,
}

impl Round<'_> {
    fn steady(&self, loop_bit: u8) {
        self.steady.set(self.steady.get() | loop_bit);
    }

    /// Sends `body` to `path`; records the answer; `None` when none came (the server died).
    async fn send(
        &self,
        client: &mut Client,
        action: &'static str,
        serial: Option<&str>,
        path: &str,
        body: Value,
    ) -> Option<super::Resp> {
        let answer = client.try_post(path, body).await.ok();
        self.answers.borrow_mut().push(Answered {
            action,
            serial: serial.map(str::to_owned),
            status: answer.as_ref().map_or(0, |r| r.status),
            error_code: answer.as_ref().map_or("", |r| r.code()).to_owned(),
            request_id: answer
                .as_ref()
                .and_then(|r| r.header("x-request-id"))
                .map(str::to_owned),
        });
        // alice's code budget counts her phone's resyncs and the enables for her: each that
        // is not an answered success may leave a count behind.
        let alice = action == "EnableMFADevice" || serial == Some(ALICE_VIRTUAL);
        if alice && answer.as_ref().is_none_or(|r| r.status != 200) {
            self.alice_counted.set(self.alice_counted.get() + 1);
        }
        if let Some(r) = &answer {
            assert!(
                matches!(r.status, 200 | 403 | 404 | 409),
                "{action}: never a 5xx or another surprise: {r:?}"
            );
            self.acknowledged.set(self.acknowledged.get() + 1);
        }
        answer
    }
}

/// The loops' bits in [`Round::steady`].
const RESYNC: u8 = 1;
const SIGN_IN: u8 = 2;
const THROTTLE: u8 = 4;
const ENABLE: u8 = 8;
const ALL_LOOPS: u8 = RESYNC | SIGN_IN | THROTTLE | ENABLE;

/// A resync body for `user`'s device with the pair ending at `step`.
fn pair(dev: &Device, user: &str, step: i64) -> Value {
    json!({
        "UserName": user, "SerialNumber": dev.serial,
        "AuthenticationCode1": dev.at(step as u64 - 1),
        "AuthenticationCode2": dev.at(step as u64),
    })
}

/// Asserts a refusal of used codes: 403 (already used) or 409 (already assigned).
fn refused(r: &super::Resp, what: &str) {
    assert!(
        matches!(r.status, 403 | 409),
        "{what}: a replay of acknowledged codes must be refused: {r:?}"
    );
}

impl Ledger {
    /// Signs the administrator in, creates `virtuals` unassigned virtual devices, and reads the
    /// audit trail's length. No kill happens before this is done.
    pub async fn prepare(server: &Server, virtuals: usize) -> Ledger {
        let mut admin = server.client();
        admin
            .sign_in_with_mfa("admin", &server.device(ADMIN_VIRTUAL))
            .await;
        let mut pool = Vec::new();
        for n in 0..virtuals {
            let r = admin
                .post(
                    "/api/iam/CreateVirtualMFADevice",
                    json!({"VirtualMFADeviceName": format!("crash-{n}")}),
                )
                .await;
            assert_eq!(r.status, 200, "{r:?}");
            let v = &r.body["VirtualMFADevice"];
            let serial = v["SerialNumber"].as_str().unwrap();
            let dev = Device {
                serial: serial.to_owned(),
                secret: Some(
                    shared::secret::Secret::from_base32(v["Base32StringSeed"].as_str().unwrap())
                        .unwrap(),
                ),
                digits: shared::code::Digits::SIX,
                period: 30,
                counter: None,
            };
            pool.push((Tracked::new(serial, None), dev));
        }
        let before = snapshot(server).await;
        let mut ledger = Ledger {
            resync: Tracked::new(ALICE_VIRTUAL, Some("alice")),
            alice_phone: server.device(ALICE_VIRTUAL),
            sign_in: Tracked::new(BOB_VIRTUAL, Some("bob")),
            bob_phone: server.device(BOB_VIRTUAL),
            bob_password: Count::default(),
            bob_budget: Count::default(),
            bob_session: None,
            throttle: Tracked::new(ADMIN_VIRTUAL, Some("admin")),
            admin_phone: server.device(ADMIN_VIRTUAL),
            admin_budget: Count::default(),
            pool,
            alice_budget: 0,
            admin_session: admin.cookie.clone().expect("a session"),
            resync_next: now_step() as i64 - 2800,
            throttle_next: now_step() as i64 - 2800,
            answers: Vec::new(),
            audit_before: before.audit.len(),
        };
        // The starting states are the demo's (and the admin's sign-in just now, whose step
        // the administrator's resyncs must pass).
        ledger.throttle.last = before.device(ADMIN_VIRTUAL).last_used_step;
        ledger.throttle_next = ledger.throttle.last + 2;
        ledger.resync.drift = Some(before.device(ALICE_VIRTUAL).drift_steps);
        ledger.check(&before);
        ledger
    }

    fn client(&self, server: &Server, session: Option<&str>) -> Client {
        let mut c = server.client();
        c.cookie = session.map(str::to_owned);
        c
    }

    /// Whether every counter one loop drives is at most 1 now: a kill early in the next round
    /// (before each loop's first success clears its counters) may then add one to each, and
    /// none comes near the throttle's five.
    pub fn counters_low(&self) -> bool {
        let devices = [&self.resync, &self.sign_in, &self.throttle]
            .into_iter()
            .chain(self.pool.iter().map(|(t, _)| t));
        devices
            .map(|t| t.failures.known)
            .chain([
                self.bob_password.known,
                self.bob_budget.known,
                self.admin_budget.known,
            ])
            .all(|n| n <= 1)
    }

    /// One round: the four loops run against `server` until it is killed, then what they were
    /// told is checked against the store, and the server is started again. The kill comes
    /// `acknowledged` answers into the round — `early`: counted from its start, while the
    /// loops may still be sending again what the last kill left in doubt; otherwise counted
    /// from the moment every loop has had a success this round — plus `jitter_us`. Returns
    /// the requests of the round.
    pub async fn round(
        &mut self,
        server: &mut Server,
        early: bool,
        acknowledged: usize,
        jitter_us: u64,
    ) -> usize {
        let answers = RefCell::new(std::mem::take(&mut self.answers));
        let before = answers.borrow().len();
        let (count, alice_counted, steady) = (Cell::new(0), Cell::new(0), Cell::new(0));
        let round = Round {
            answers: &answers,
            acknowledged: &count,
            steady: &steady,
            alice_counted: &alice_counted,
        };
        let admin = Some(self.admin_session.clone());
        let (mut c1, mut c2, mut c3, mut c4) = (
            self.client(server, admin.as_deref()),
            self.client(server, None),
            self.client(server, admin.as_deref()),
            self.client(server, admin.as_deref()),
        );
        let bob_session = self.bob_session.clone();
        let alice_budget_before = self.alice_budget;
        let mut probe = self.client(server, bob_session.as_deref());
        if bob_session.is_some() {
            // bob's last acknowledged sign-in outlived the crash.
            let s = probe.get("/api/session").await;
            assert_eq!(
                (s.status, &s.body["MfaPresent"]),
                (200, &json!(true)),
                "{s:?}"
            );
        }
        let kill = async {
            let deadline = Instant::now() + Duration::from_secs(30);
            if !early {
                while steady.get() != ALL_LOOPS {
                    assert!(
                        Instant::now() < deadline,
                        "not every loop succeeded: {:#06b}",
                        steady.get()
                    );
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            let acknowledged = acknowledged + count.get();
            while count.get() < acknowledged {
                assert!(
                    Instant::now() < deadline,
                    "no progress: {} answers",
                    count.get()
                );
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            tokio::time::sleep(Duration::from_micros(jitter_us)).await;
            server.kill();
        };
        let Ledger {
            resync,
            alice_phone,
            sign_in,
            bob_phone,
            bob_password,
            bob_budget,
            bob_session,
            throttle,
            admin_phone,
            admin_budget,
            pool,
            resync_next,
            throttle_next,
            ..
        } = self;
        tokio::join!(
            kill,
            resync_loop(&round, &mut c1, resync, alice_phone, resync_next),
            sign_in_loop(
                &round,
                &mut c2,
                sign_in,
                bob_phone,
                bob_password,
                bob_budget,
                bob_session
            ),
            throttle_loop(
                &round,
                &mut c3,
                throttle,
                admin_phone,
                admin_budget,
                throttle_next
            ),
            enable_loop(&round, &mut c4, pool),
        );
        self.answers = answers.into_inner();
        let snap = snapshot(server).await;
        // alice's budget: shared by two loops, so bounded: what was there, plus one per
        // request that could leave a count behind.
        let alice = snap.budget("alice");
        assert!(
            alice <= alice_budget_before + alice_counted.get(),
            "alice's code budget {alice}: at most {alice_budget_before} + {}",
            alice_counted.get()
        );
        self.alice_budget = alice;
        self.check(&snap);
        server.revive();
        self.answers.len() - before
    }

    /// The store against the answers (the server is down).
    fn check(&mut self, snap: &Snapshot) {
        self.resync.check(snap);
        self.sign_in.check(snap);
        self.throttle.check(snap);
        for (dev, _) in &mut self.pool {
            dev.check(snap);
        }
        self.bob_budget
            .check(snap.budget("bob"), "bob's code budget");
        self.admin_budget
            .check(snap.budget("admin"), "the administrator's code budget");
        self.bob_password
            .check(snap.password_failures["bob"], "bob's password failures");
        assert_eq!(snap.password_failures["alice"], 0);
    }

    /// The audit trail of every round against every answer.
    pub async fn check_audit(&self, server: &Server) {
        let snap = snapshot(server).await;
        super::acknowledged::assert_audit_matches(&self.answers, &snap.audit[self.audit_before..]);
    }
}

/// The administrator resyncs alice's phone with pair after pair.
async fn resync_loop(
    round: &Round<'_>,
    c: &mut Client,
    t: &mut Tracked,
    dev: &Device,
    next: &mut i64,
) {
    const ACTION: &str = "ResyncMFADevice";
    let path = "/api/iam/ResyncMFADevice";
    let serial = Some(ALICE_VIRTUAL);
    if let Some((step, applied)) = t.settle.take() {
        // The pair whose answer was lost: its fate now is the one the store showed.
        t.doubt = Some(if applied {
            Doubt::Counted
        } else {
            Doubt::Step(step)
        });
        let Some(r) = round
            .send(c, ACTION, serial, path, pair(dev, "alice", step))
            .await
        else {
            return;
        };
        t.doubt = None;
        if applied {
            refused(&r, "a resync found applied");
        } else {
            assert_eq!(
                r.status, 200,
                "a resync found not applied is accepted now: {r:?}"
            );
            t.last = step;
            t.drift = r.body["DriftSteps"].as_i64();
            t.failures.known = 0;
        }
    }
    if t.last >= 1 {
        t.doubt = Some(Doubt::Counted);
        let replay = pair(dev, "alice", t.last);
        let Some(r) = round.send(c, ACTION, serial, path, replay).await else {
            return;
        };
        t.doubt = None;
        refused(&r, "the last acknowledged resync, replayed");
    }
    loop {
        let step = *next;
        *next += 2;
        t.doubt = Some(Doubt::Step(step));
        let Some(r) = round
            .send(c, ACTION, serial, path, pair(dev, "alice", step))
            .await
        else {
            return;
        };
        t.doubt = None;
        assert_eq!(r.status, 200, "{r:?}");
        t.last = step;
        t.drift = r.body["DriftSteps"].as_i64();
        t.failures.known = 0;
        round.steady(RESYNC);
    }
}

/// bob signs in with his password and his phone's next code, again and again; each success is
/// a session that must outlive a crash.
async fn sign_in_loop(
    round: &Round<'_>,
    c: &mut Client,
    t: &mut Tracked,
    dev: &Device,
    password: &mut Count,
    budget: &mut Count,
    session: &mut Option<String>,
) {
    let mut settle = t.settle.take();
    let mut replay = t.last >= 0;
    loop {
        // A fresh browser each time: a sign-in from a session ends that session, and every
        // acknowledged one must outlive the crash.
        c.cookie = None;
        password.in_doubt = true;
        let body = json!({"Account": "demo", "UserName": "bob", "Password": "demo-bob-password"});
        let Some(r) = round.send(c, "SignIn", None, "/api/sign-in", body).await else {
            return;
        };
        assert_eq!(r.status, 200, "{r:?}");
        *password = Count::default();
        // First the code in doubt (its fate is the store's), then the last acknowledged one
        // replayed, then the next.
        let (step, expect_applied) = match (settle.take(), replay) {
            (Some((step, applied)), _) => (step, Some(applied)),
            (None, true) => {
                replay = false;
                (t.last, Some(true))
            }
            (None, false) if t.last < 0 => (now_step() as i64, None),
            (None, false) => (t.last + 1, None),
        };
        t.doubt = Some(match expect_applied {
            Some(true) => Doubt::Counted,
            _ => Doubt::Step(step),
        });
        budget.in_doubt = true;
        let body = json!({"AuthenticationCode": dev.at(step as u64), "SerialNumber": BOB_VIRTUAL});
        let Some(r) = round
            .send(c, "SignInMFA", Some(BOB_VIRTUAL), "/api/sign-in/mfa", body)
            .await
        else {
            return;
        };
        t.doubt = None;
        if expect_applied == Some(true) {
            refused(&r, "bob's code, used before");
            budget.in_doubt = false;
            continue;
        }
        assert_eq!(r.status, 200, "bob's next code: {r:?}");
        t.last = step;
        t.drift = None;
        t.failures.known = 0;
        *budget = Count::default();
        *session = c.cookie.clone();
        round.steady(SIGN_IN);
    }
}

/// The administrator's own phone: one or two wrong pairs, then the right one (never five: the
/// counter is checked, not the throttle).
async fn throttle_loop(
    round: &Round<'_>,
    c: &mut Client,
    t: &mut Tracked,
    dev: &Device,
    budget: &mut Count,
    next: &mut i64,
) {
    const ACTION: &str = "ResyncMFADevice";
    let path = "/api/iam/ResyncMFADevice";
    let serial = Some(ADMIN_VIRTUAL);
    let mut settle = t.settle.take();
    let mut wrong = 0;
    loop {
        let (body, step) = match settle.take() {
            Some((step, true)) => (pair(dev, "admin", step), Some((step, true))),
            Some((step, false)) => (pair(dev, "admin", step), Some((step, false))),
            None if t.failures.known < 2 && wrong < 2 => {
                let body = json!({"UserName": "admin", "SerialNumber": ADMIN_VIRTUAL,
                    "AuthenticationCode1": "000000", "AuthenticationCode2": "999999"});
                (body, None)
            }
            None => {
                let step = *next;
                *next += 2;
                (pair(dev, "admin", step), Some((step, false)))
            }
        };
        t.doubt = Some(match step {
            Some((s, false)) => Doubt::Step(s),
            _ => Doubt::Counted,
        });
        budget.in_doubt = true;
        let Some(r) = round.send(c, ACTION, serial, path, body).await else {
            return;
        };
        t.doubt = None;
        budget.in_doubt = false;
        match step {
            Some((_, true)) => refused(&r, "the administrator's pair, used before"),
            Some((step, false)) => {
                assert_eq!(r.status, 200, "{r:?}");
                t.last = step;
                t.drift = r.body["DriftSteps"].as_i64();
                t.failures.known = 0;
                budget.known = 0;
                wrong = 0;
                round.steady(THROTTLE);
            }
            None => {
                assert_eq!(r.code(), "InvalidAuthenticationCode", "{r:?}");
                t.failures.known += 1;
                budget.known += 1;
                wrong += 1;
            }
        }
    }
}

/// Unassigned virtual devices enabled for alice with the codes showing now, and deactivated
/// again; when none has fresh codes yet, a read (ListVirtualMFADevices).
async fn enable_loop(round: &Round<'_>, c: &mut Client, pool: &mut [(Tracked, Device)]) {
    // A device enabled before whose answer was lost, or the last acknowledged enable: its
    // codes again, refused.
    // (Not one whose counter a lost replay may have left above 0: it cannot be cleared until
    // the device shows fresh codes.)
    let replay = pool
        .iter()
        .position(|(t, _)| matches!(t.settle, Some((_, true))))
        .or_else(|| pool.iter().position(|(t, _)| t.last >= 0))
        .filter(|&i| pool[i].0.failures.known == 0);
    for (t, _) in pool.iter_mut() {
        t.settle = None;
    }
    if let Some(i) = replay {
        let (t, dev) = &mut pool[i];
        t.doubt = Some(Doubt::Counted);
        let body = pair(dev, "alice", t.last);
        let Some(r) = round
            .send(
                c,
                "EnableMFADevice",
                Some(&t.serial),
                "/api/iam/EnableMFADevice",
                body,
            )
            .await
        else {
            return;
        };
        t.doubt = None;
        refused(&r, "an acknowledged enable, replayed");
    }
    loop {
        round.steady(ENABLE);
        let now = now_step() as i64;
        let assigned = pool.iter().position(|(t, _)| t.owner.is_some());
        let fresh = pool.iter().position(|(t, _)| t.last < now - 1);
        let i = match (assigned, fresh) {
            (Some(i), _) => {
                let t = &mut pool[i].0;
                t.doubt = Some(Doubt::Deactivate);
                let body = json!({"UserName": "alice", "SerialNumber": t.serial});
                let path = "/api/iam/DeactivateMFADevice";
                let serial = Some(t.serial.as_str());
                let Some(r) = round
                    .send(c, "DeactivateMFADevice", serial, path, body)
                    .await
                else {
                    return;
                };
                assert_eq!(r.status, 200, "{r:?}");
                t.doubt = None;
                t.owner = None;
                continue;
            }
            (None, Some(i)) => i,
            (None, None) => {
                let path = "/api/iam/ListVirtualMFADevices";
                let Some(r) = round
                    .send(c, "ListVirtualMFADevices", None, path, json!({}))
                    .await
                else {
                    return;
                };
                assert_eq!(r.status, 200, "{r:?}");
                continue;
            }
        };
        let (t, dev) = &mut pool[i];
        t.doubt = Some(Doubt::Enable(now));
        let body = pair(dev, "alice", now);
        let path = "/api/iam/EnableMFADevice";
        let Some(r) = round
            .send(c, "EnableMFADevice", Some(&t.serial), path, body)
            .await
        else {
            return;
        };
        t.doubt = None;
        assert_eq!(r.status, 200, "{r:?}");
        t.last = now;
        t.drift = None;
        t.owner = Some("alice".to_owned());
        t.failures.known = 0;
    }
}

//! IAM's pagination (`MaxItems`, `Marker`, `IsTruncated`) of ListUsers, ListVirtualMFADevices,
//! ListMFADevices and ListAccessKeys, black box, on both protocols: the JSON API with an
//! administrator's MFA session and the Query API with the root user's access key. Every walk,
//! page by page, must give exactly the unpaginated list, in its order, each item once; a marker
//! comes exactly when more items remain; bad paging members are `ValidationError`.

mod common;

use common::query::*;
use common::*;
use serde_json::{Map, Value, json};

/// A Base32 seed for imported devices (codes are never used here).
const SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const ACCOUNT: &str = "123456789012";

/// A list action: its name, the member holding its items and the member naming each item.
#[derive(Clone, Copy, Debug)]
struct List {
    action: &'static str,
    items: &'static str,
    id: &'static str,
}

const USERS: List = List {
    action: "ListUsers",
    items: "Users",
    id: "UserName",
};
const VIRTUAL: List = List {
    action: "ListVirtualMFADevices",
    items: "VirtualMFADevices",
    id: "SerialNumber",
};
const DEVICES: List = List {
    action: "ListMFADevices",
    items: "MFADevices",
    id: "SerialNumber",
};
const KEYS: List = List {
    action: "ListAccessKeys",
    items: "AccessKeyMetadata",
    id: "AccessKeyId",
};
const LISTS: [List; 4] = [USERS, VIRTUAL, DEVICES, KEYS];

/// One page, as either protocol answers it.
#[derive(Debug)]
struct Page {
    items: Vec<String>,
    truncated: bool,
    marker: Option<String>,
}

/// Who calls, and how.
enum Api<'s> {
    /// `POST /api/iam/{Action}` with a session cookie.
    Json(Client),
    /// `POST /` signed with an access key.
    Query(&'s Server, Key),
}

/// The texts of every `<tag>…</tag>` in `xml`.
fn texts(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    xml.split(open.as_str())
        .skip(1)
        .map(|rest| rest[..rest.find(close.as_str()).unwrap()].to_owned())
        .collect()
}

impl Api<'_> {
    fn name(&self) -> &'static str {
        match self {
            Api::Json(_) => "JSON",
            Api::Query(..) => "Query",
        }
    }

    /// One call of `list` with its own `members` and the paging members given; the page, or
    /// (status, error code).
    async fn list(
        &mut self,
        list: List,
        members: &[(&str, &str)],
        max_items: Option<i64>,
        marker: Option<&str>,
    ) -> Result<Page, (u16, String)> {
        match self {
            Api::Json(client) => {
                let mut body = Map::new();
                for (name, value) in members {
                    body.insert((*name).to_owned(), json!(value));
                }
                if let Some(n) = max_items {
                    body.insert("MaxItems".into(), json!(n));
                }
                if let Some(m) = marker {
                    body.insert("Marker".into(), json!(m));
                }
                let path = format!("/api/iam/{}", list.action);
                let r = client.post(&path, Value::Object(body)).await;
                if r.status != 200 {
                    return Err((r.status, r.code().to_owned()));
                }
                let items = r.body[list.items]
                    .as_array()
                    .unwrap_or_else(|| panic!("{r:?}"))
                    .iter()
                    .map(|item| item[list.id].as_str().unwrap().to_owned())
                    .collect();
                // No `"Marker": null`: the member is there or not.
                let marker = r.body.as_object().unwrap().get("Marker").map(|m| {
                    m.as_str()
                        .unwrap_or_else(|| panic!("Marker {m}"))
                        .to_owned()
                });
                Ok(Page {
                    items,
                    truncated: r.body["IsTruncated"].as_bool().unwrap(),
                    marker,
                })
            }
            Api::Query(server, key) => {
                let mut form = form_urlencoded::Serializer::new(String::new());
                form.append_pair("Action", list.action)
                    .append_pair("Version", "2010-05-08");
                for (name, value) in members {
                    form.append_pair(name, value);
                }
                if let Some(n) = max_items {
                    form.append_pair("MaxItems", &n.to_string());
                }
                if let Some(m) = marker {
                    form.append_pair("Marker", m);
                }
                let (status, _, xml) = post(server, &Signing::new(key), &form.finish()).await;
                if status != 200 {
                    return Err((status, error_code(&xml).to_owned()));
                }
                let truncated = match texts(&xml, "IsTruncated").as_slice() {
                    [t] if t == "true" => true,
                    [f] if f == "false" => false,
                    other => panic!("IsTruncated {other:?}: {xml}"),
                };
                let marker = match texts(&xml, "Marker").as_slice() {
                    [] => None,
                    [m] => Some(m.clone()),
                    more => panic!("{more:?}"),
                };
                // IAM's order of the result's members: the list, IsTruncated, Marker.
                let tail = format!(
                    "</{}><IsTruncated>{truncated}</IsTruncated>{}</{}Result>",
                    list.items,
                    marker
                        .as_deref()
                        .map(|m| format!("<Marker>{m}</Marker>"))
                        .unwrap_or_default(),
                    list.action
                );
                assert!(xml.contains(&tail), "{xml}");
                Ok(Page {
                    items: texts(&xml, list.id),
                    truncated,
                    marker,
                })
            }
        }
    }

    /// The page, failing the test on an error.
    async fn page(
        &mut self,
        list: List,
        members: &[(&str, &str)],
        max_items: Option<i64>,
        marker: Option<&str>,
    ) -> Page {
        let api = self.name();
        self.list(list, members, max_items, marker)
            .await
            .unwrap_or_else(|e| panic!("{api} {list:?} {max_items:?}: {e:?}"))
    }

    /// Walks every page with `MaxItems` `max_items`, checking each page; every item, in order.
    async fn walk(&mut self, list: List, members: &[(&str, &str)], max_items: i64) -> Walk {
        let mut walk = Walk {
            items: Vec::new(),
            pages: 0,
        };
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .page(list, members, Some(max_items), marker.as_deref())
                .await;
            walk.pages += 1;
            let what = format!(
                "{} {} MaxItems={max_items} page {}",
                self.name(),
                list.action,
                walk.pages
            );
            assert!(page.items.len() as i64 <= max_items, "{what}: {page:?}");
            assert_eq!(page.truncated, page.marker.is_some(), "{what}: {page:?}");
            if page.truncated {
                assert_eq!(
                    page.items.len() as i64,
                    max_items,
                    "{what}: a truncated page is full"
                );
            }
            if marker.is_some() {
                assert!(!page.items.is_empty(), "{what}: a marker led to nothing");
            }
            walk.items.extend(page.items);
            match page.marker {
                Some(m) => marker = Some(m),
                None => return walk,
            }
            assert!(walk.pages < 100, "{what}: the walk does not end");
        }
    }

    /// The unpaginated list is `expected` in one page, and every walk with `MaxItems` 1, 2, all
    /// but one and all gives exactly it, in as many pages as it takes and no more.
    async fn check(&mut self, list: List, members: &[(&str, &str)], expected: &[String]) {
        let n = expected.len() as i64;
        assert!(n >= 2, "{list:?}: too short a list to page");
        let mut unique = expected.to_vec();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), expected.len(), "{expected:?}");

        let full = self.page(list, members, None, None).await;
        let what = format!("{} {} {members:?}", self.name(), list.action);
        assert_eq!(full.items, expected, "{what}: unpaginated");
        assert!(!full.truncated && full.marker.is_none(), "{what}: {full:?}");

        for max in [1, 2, n - 1, n, 1000] {
            let walk = self.walk(list, members, max).await;
            assert_eq!(walk.items, expected, "{what} MaxItems={max}");
            assert_eq!(walk.pages, (n + max - 1) / max, "{what} MaxItems={max}");
        }
    }
}

/// The items of a walk and how many pages it took.
struct Walk {
    items: Vec<String>,
    pages: i64,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn mfa(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:mfa/{name}")
}

fn create_user(server: &Server, name: &str) {
    server.cli(
        &[
            "user",
            "create",
            "--account",
            "demo",
            "--user-name",
            name,
            "--policy",
            "self-service",
        ],
        Some(&format!("{name}-password-1\n")),
    );
}

fn import_device(server: &Server, user: &str, serial: &str, kind: &str) {
    server.cli(
        &[
            "device",
            "import",
            "--account",
            "demo",
            "--user-name",
            user,
            "--serial",
            serial,
            "--kind",
            kind,
        ],
        Some(&format!("{SEED}\n")),
    );
}

async fn set(server: &Server, statement: &'static str, value: i64, key: &str) {
    let done = on_store!(server, |pool, sql| sqlx::query(sql(statement))
        .bind(value)
        .bind(key)
        .execute(&pool)
        .await
        .unwrap()
        .rows_affected());
    assert_eq!(done, 1, "{statement} {key}");
}

/// The administrator, signed in with MFA, on the JSON API.
async fn admin(server: &Server) -> Api<'_> {
    let mut admin = server.client();
    admin
        .sign_in_with_mfa("admin", &server.device(ADMIN_VIRTUAL))
        .await;
    Api::Json(admin)
}

/// Users, virtual devices, one user's devices and one user's keys, each long enough to page,
/// with ties in the sort dates; each list walked on both protocols.
#[tokio::test]
async fn every_walk_gives_the_whole_list_in_order_exactly_once() {
    let server = Server::start();
    let root = create_key(&server, &["--root"]);

    // Users, by name without regard to case (byte order would put "Dave" and "Zed" first).
    for name in ["carol", "Dave", "bob.smith", "bob_jones", "Zed", "eve"] {
        create_user(&server, name);
    }
    let users = strings(&[
        "admin",
        "alice",
        "bob",
        "bob.smith",
        "bob_jones",
        "carol",
        "Dave",
        "eve",
        "Zed",
    ]);

    // Virtual devices by serial number: four of the demo, two imported, two unassigned.
    import_device(&server, "carol", &mfa("carol"), "virtual");
    import_device(&server, "Dave", &mfa("Dave"), "virtual");
    for name in ["spare-1", "Spare-2"] {
        let body =
            format!("Action=CreateVirtualMFADevice&Version=2010-05-08&VirtualMFADeviceName={name}");
        let (status, _, xml) = post(&server, &Signing::new(&root), &body).await;
        assert_eq!(status, 200, "{xml}");
    }
    let mut assigned: Vec<String> = [
        "admin",
        "alice",
        "bob",
        "carol",
        "Dave",
        "root-account-mfa-device",
    ]
    .iter()
    .map(|n| mfa(n))
    .collect();
    assigned.sort();
    let unassigned = vec![mfa("Spare-2"), mfa("spare-1")];
    let mut any = [assigned.clone(), unassigned.clone()].concat();
    any.sort();
    assert_eq!(any[..3], [mfa("Dave"), mfa("Spare-2"), mfa("admin")]);

    // Alice's devices by enable date, then serial number (bytewise): a token enabled earlier
    // than the demo's three, which share one date (so only the serial orders them: `G` < `a`,
    // `mfa` < `u2f`, the opposite of the order they were created in for the first two).
    import_device(&server, "alice", "GAHT10000009", "hardware-totp");
    set(
        &server,
        "UPDATE mfa_devices SET enabled_at = ? WHERE serial_number = ?",
        1_000,
        "GAHT10000009",
    )
    .await;
    for serial in [ALICE_VIRTUAL, ALICE_FOB, ALICE_FIDO] {
        set(
            &server,
            "UPDATE mfa_devices SET enabled_at = ? WHERE serial_number = ?",
            5_000,
            serial,
        )
        .await;
    }
    let devices = strings(&["GAHT10000009", ALICE_FOB, ALICE_VIRTUAL, ALICE_FIDO]);

    // Alice's two keys (IAM's quota), first by creation date, then with one date (by key id).
    let mut ids = [
        create_key(&server, &["--user-name", "alice"]).id,
        create_key(&server, &["--user-name", "alice"]).id,
    ];
    ids.sort();
    let keyed = "UPDATE access_keys SET created_at = ? WHERE access_key_id = ?";
    set(&server, keyed, 2_000, &ids[0]).await;
    set(&server, keyed, 1_000, &ids[1]).await;
    let by_date = strings(&[&ids[1], &ids[0]]);

    let alice = [("UserName", "alice")];
    let mut apis = [admin(&server).await, Api::Query(&server, root)];
    for api in &mut apis {
        api.check(USERS, &[], &users).await;
        api.check(VIRTUAL, &[], &any).await;
        api.check(VIRTUAL, &[("AssignmentStatus", "Any")], &any)
            .await;
        api.check(VIRTUAL, &[("AssignmentStatus", "Assigned")], &assigned)
            .await;
        api.check(VIRTUAL, &[("AssignmentStatus", "Unassigned")], &unassigned)
            .await;
        api.check(DEVICES, &alice, &devices).await;
        api.check(KEYS, &alice, &by_date).await;
    }
    set(&server, keyed, 1_500, &ids[0]).await;
    set(&server, keyed, 1_500, &ids[1]).await;
    for api in &mut apis {
        api.check(KEYS, &alice, &ids).await;
    }

    // A walk continues after the last item it saw, whatever changed meanwhile: a user added
    // before the marker is not shown, one after it is; a device deleted from an earlier page
    // shifts nothing (an offset would skip one).
    let [json, _] = &mut apis;
    let first = json.page(USERS, &[], Some(2), None).await;
    assert_eq!(first.items, users[..2]);
    create_user(&server, "Aaron");
    create_user(&server, "zoe");
    let mut rest = Vec::new();
    let mut marker = first.marker;
    while let Some(m) = marker {
        let page = json.page(USERS, &[], Some(2), Some(&m)).await;
        rest.extend(page.items);
        marker = page.marker;
    }
    assert_eq!(rest, [&users[2..], &strings(&["zoe"])].concat());

    let first = json.page(VIRTUAL, &[], Some(2), None).await;
    assert_eq!(first.items, any[..2]);
    let r = match json {
        Api::Json(client) => {
            client
                .post(
                    "/api/iam/DeleteVirtualMFADevice",
                    json!({"SerialNumber": mfa("Spare-2")}),
                )
                .await
        }
        Api::Query(..) => unreachable!(),
    };
    assert_eq!(r.status, 200, "{r:?}");
    let next = json
        .page(VIRTUAL, &[], Some(2), first.marker.as_deref())
        .await;
    assert_eq!(next.items, any[2..4]);
    drop(apis);
    server.finish();
}

/// `MaxItems` 0 and 1001, a marker that is not one, or one of another list: `ValidationError`
/// 400 on both protocols; values of the wrong type too. Nothing is listed.
#[tokio::test]
async fn bad_paging_members_are_validation_errors() {
    let server = Server::start();
    let root = create_key(&server, &["--root"]);
    create_key(&server, &["--user-name", "alice"]);
    create_key(&server, &["--user-name", "alice"]);
    let mut apis = [admin(&server).await, Api::Query(&server, root)];
    let alice = [("UserName", "alice")];
    let members = |list: List| -> &[(&str, &str)] {
        match list.action {
            "ListMFADevices" | "ListAccessKeys" => &alice,
            _ => &[],
        }
    };
    for api in &mut apis {
        let name = api.name();
        // A real marker of each list.
        let mut markers = Vec::new();
        for list in LISTS {
            let page = api.page(list, members(list), Some(1), None).await;
            assert!(page.truncated, "{list:?}: {page:?}");
            markers.push((list.action, page.marker.unwrap()));
        }
        for list in LISTS {
            let m = members(list);
            let refused = |r: Result<Page, (u16, String)>, what: &str| {
                assert_eq!(
                    r.map(|p| p.items).unwrap_err(),
                    (400, "ValidationError".to_owned()),
                    "{name} {} {what}",
                    list.action
                );
            };
            for max in [0, 1001, -1] {
                refused(
                    api.list(list, m, Some(max), None).await,
                    &format!("MaxItems={max}"),
                );
            }
            for bad in ["not-a-marker", "", "e30", "eyJ1IjoiYWxpY2UifQ=="] {
                refused(api.list(list, m, Some(1), Some(bad)).await, bad);
            }
            for (other, marker) in &markers {
                if *other != list.action {
                    refused(
                        api.list(list, m, None, Some(marker)).await,
                        &format!("a marker of {other}"),
                    );
                }
            }
            // The refused requests changed nothing: the first page is as before.
            let again = api.page(list, m, Some(1), None).await;
            assert!(again.truncated, "{list:?}");
        }
    }

    // Wrong types: a JSON string, a form value that is no whole number.
    let [json, query] = &mut apis;
    if let Api::Json(client) = json {
        for bad in [
            json!("2"),
            json!(2.5),
            json!(true),
            json!(4_294_967_297_u64),
        ] {
            let r = client
                .post("/api/iam/ListUsers", json!({"MaxItems": bad}))
                .await;
            assert_eq!((r.status, r.code()), (400, "ValidationError"), "{bad}");
        }
        let r = client
            .post("/api/iam/ListUsers", json!({"Marker": 5}))
            .await;
        assert_eq!((r.status, r.code()), (400, "ValidationError"));
    }
    if let Api::Query(server, key) = query {
        for bad in ["x", "2.5", "", "99999999999"] {
            let body = format!("Action=ListUsers&Version=2010-05-08&MaxItems={bad}");
            let (status, _, xml) = post(server, &Signing::new(key), &body).await;
            assert_eq!(
                (status, error_code(&xml)),
                (400, "ValidationError"),
                "{bad}"
            );
        }
        // PathPrefix matching no user: nothing, and no marker to walk on.
        let body = "Action=ListUsers&Version=2010-05-08&MaxItems=1&PathPrefix=%2Felsewhere%2F";
        let (status, _, xml) = post(server, &Signing::new(key), body).await;
        assert_eq!(status, 200, "{xml}");
        assert!(
            xml.contains(
                "<ListUsersResult><Users></Users><IsTruncated>false</IsTruncated></ListUsersResult>"
            ),
            "{xml}"
        );
    }
    drop(apis);
    server.finish();
}

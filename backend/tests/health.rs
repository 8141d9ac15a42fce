//! `GET /healthz` and `GET /readyz` (issue 12) against the real binary: the process answers;
//! ready only while the database answers and holds this binary's every migration, and ready
//! again by itself when it does.

mod common;

use common::{Server, probe};

#[tokio::test]
async fn healthz_and_readyz_answer_200_on_a_current_database() {
    let server = Server::start();
    assert_eq!(probe(&server, "/healthz").await, (200, None, "ok\n".into()));
    assert_eq!(
        probe(&server, "/readyz").await,
        (200, None, "ready\n".into())
    );
    server.finish();
}

/// A database whose latest migration is not applied (another binary's, or one half-applied) is
/// not ready, and is ready again once it is; the process stays healthy throughout.
#[tokio::test]
async fn readyz_is_503_while_the_schema_is_not_current() {
    let server = Server::start();
    server
        .exec(
            "UPDATE _sqlx_migrations SET success = FALSE \
             WHERE version = (SELECT MAX(version) FROM _sqlx_migrations) AND description <> ?",
            "",
        )
        .await;
    let (status, retry, body) = probe(&server, "/readyz").await;
    assert_eq!(
        (status, retry.as_deref(), body.as_str()),
        (503, Some("1"), "schema not current\n")
    );
    assert_eq!(probe(&server, "/healthz").await.0, 200);
    server
        .exec(
            "UPDATE _sqlx_migrations SET success = TRUE WHERE description <> ?",
            "",
        )
        .await;
    assert_eq!(probe(&server, "/readyz").await.0, 200);
    server.finish();
}

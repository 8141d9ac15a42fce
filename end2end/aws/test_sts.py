"""STS on the Query API (issue 15), with the unmodified aws CLI and boto3: `get-session-token`
with a code of the caller's own MFA device gives temporary credentials that carry MFA, so a
script can do what its user can do after MFA in the browser; the code is checked like every
other (wrong, malformed, replayed, throttled: nothing issued); the credentials end with the key
that asked for them and with the device whose code they carry. Expiry and the age of MFA are
tested in process with a moved clock (backend/tests/in_process.rs)."""

import datetime

import botocore.exceptions
import pytest

from conftest import JsonApi, error_of, ledger


def temporary(out):
    """The credentials of a GetSessionToken answer (aws CLI JSON or boto3), in the ledger."""
    creds = out["Credentials"]
    ledger("access-key-secret", creds["SecretAccessKey"])
    ledger("session-token", creds["SessionToken"])
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    return creds


def an_admin(env):
    """A fresh administrator (the admin policy: every iam: action, only with MFA), its virtual
    device and its access key."""
    user = env.new_user(policy="admin")
    return user, env.import_device(user), env.access_key(user)


def session_token(env, key, device, *extra):
    """`aws sts get-session-token` with the device's current code: (exit code, JSON, stderr)."""
    code = device.code(device.step())
    return env.aws(
        key, "get-session-token", "--serial-number", device.serial, "--token-code", code,
        *extra, service="sts",
    )


def temporary_rows(env, user):
    [row] = env.rows(
        "SELECT COUNT(*) AS n FROM temporary_credentials t JOIN principals p "
        "ON p.id = t.principal_id WHERE p.user_name = :name",
        name=user.name,
    )
    return row["n"]


def test_the_admins_key_alone_is_denied_and_session_credentials_with_a_code_are_not(env):
    user, phone, key = an_admin(env)
    rc, _, err = env.aws(key, "list-users")
    assert rc != 0 and "AccessDenied" in err, err
    rc, out, err = session_token(env, key, phone, "--duration-seconds", "3600")
    assert rc == 0, err
    creds = temporary(out)
    expires = datetime.datetime.fromisoformat(creds["Expiration"].replace("Z", "+00:00"))
    left = expires - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(minutes=55) < left <= datetime.timedelta(hours=1), left
    rc, out, err = env.aws(creds, "list-users")
    assert rc == 0, err
    assert user.name in [u["UserName"] for u in out["Users"]]
    # Who the credentials are: the user, with the temporary and with the long-term key.
    for who in (creds, key):
        rc, out, err = env.aws(who, "get-caller-identity", service="sts")
        assert rc == 0, err
        assert (out["Arn"], out["Account"]) == (user.arn, env.account)
    # The request and its answer are audited, with STS's actions.
    rows = env.rows(
        "SELECT action, outcome FROM audit_events WHERE target_user = :name "
        "AND action IN ('GetSessionToken', 'GetCallerIdentity') ORDER BY id",
        name=user.name,
    )
    assert [(r["action"], r["outcome"]) for r in rows] == [
        ("GetSessionToken", "Success"),
        ("GetCallerIdentity", "Success"),
        ("GetCallerIdentity", "Success"),
    ]


def test_the_root_users_identity_and_its_one_hour_limit(env, root_key):
    sts = env.iam(root_key, service="sts")
    who = sts.get_caller_identity()
    assert (who["Arn"], who["Account"], who["UserId"]) == (
        f"arn:aws:iam::{env.account}:root", env.account, env.account,
    )
    creds = temporary(sts.get_session_token(DurationSeconds=36 * 3600))
    left = creds["Expiration"] - datetime.datetime.now(datetime.timezone.utc)
    assert left <= datetime.timedelta(hours=1), left


def test_a_wrong_malformed_replayed_or_throttled_code_issues_nothing(env):
    user, phone, key = an_admin(env)
    sts = env.iam(key, service="sts")
    step = phone.step()
    wrong = f"{(int(phone.code(step)) + 1) % 1_000_000:06d}"
    for code, expected in ((wrong, "InvalidAuthenticationCode"), ("12ab56", "ValidationError")):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            sts.get_session_token(SerialNumber=phone.serial, TokenCode=code)
        assert error_of(e)[0] == expected, code
    assert temporary_rows(env, user) == 0
    # The right code works once; the same code again (in another request) is refused.
    temporary(sts.get_session_token(SerialNumber=phone.serial, TokenCode=phone.code(step)))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_session_token(SerialNumber=phone.serial, TokenCode=phone.code(step), DurationSeconds=999)
    assert error_of(e)[0] == "InvalidAuthenticationCode"
    assert temporary_rows(env, user) == 1
    # Wrong codes until the device's throttle holds: then even a right code is refused here,
    # and at the browser's sign-in, which counts on the same device.
    # (Each request differs in DurationSeconds: a signed request that changes state is
    # accepted once, security rule 22, and identical ones within a second sign alike.)
    for n in range(20):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            sts.get_session_token(SerialNumber=phone.serial, TokenCode=wrong, DurationSeconds=1000 + n)
        if error_of(e)[0] == "LimitExceeded":
            break
    assert error_of(e)[0] == "LimitExceeded", error_of(e)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_session_token(SerialNumber=phone.serial, TokenCode=phone.code(step + 1))
    assert error_of(e)[0] == "LimitExceeded"
    browser = JsonApi(env.url)
    status, _ = browser.sign_in(user)
    assert status == 200
    status, body = browser.mfa(phone, phone.code(step + 1))
    assert (status, body["Error"]["Code"]) == (429, "LimitExceeded"), body
    assert temporary_rows(env, user) == 1


def test_boto3_session_credentials_resync_the_callers_own_device(env):
    user = env.new_user(policy="self-service")
    phone = env.import_device(user)
    key = env.access_key(user)
    creds = temporary(
        env.iam(key, service="sts").get_session_token(
            SerialNumber=phone.serial, TokenCode=phone.code(phone.step())
        )
    )
    # The device's clock now runs four steps fast: a resync with the temporary credentials.
    fast = phone.step() + 4
    env.iam(creds).resync_mfa_device(
        UserName=user.name,
        SerialNumber=phone.serial,
        AuthenticationCode1=phone.code(fast - 1),
        AuthenticationCode2=phone.code(fast),
    )
    drift, last_used, _, _ = env.device_state(phone.serial)
    assert (drift, last_used) == (4, fast)


def test_session_credentials_end_with_their_key_and_with_their_device(env, root_key):
    user = env.new_user(policy="manage-own-mfa")
    phone = env.import_device(user)
    key = env.access_key(user)
    rc, out, err = session_token(env, key, phone)
    assert rc == 0, err
    with_mfa = temporary(out)
    rc, out, err = env.aws(key, "get-session-token", service="sts")
    assert rc == 0, err
    without_mfa = temporary(out)
    for creds in (with_mfa, without_mfa):
        rc, _, err = env.aws(creds, "list-mfa-devices", "--user-name", user.name)
        assert rc == 0, err
    # Deactivating needs MFA under this policy: the credentials with MFA may; then they end
    # (they carry that device's code), the others do not.
    rc, _, err = env.aws(
        with_mfa, "deactivate-mfa-device", "--user-name", user.name, "--serial-number", phone.serial
    )
    assert rc == 0, err
    rc, _, err = env.aws(with_mfa, "list-mfa-devices", "--user-name", user.name)
    assert rc != 0 and "InvalidClientTokenId" in err, err
    rc, _, err = env.aws(without_mfa, "list-mfa-devices", "--user-name", user.name)
    assert rc == 0, err
    # The long-term key deleted: every credential it asked for ends.
    env.iam(root_key).delete_access_key(UserName=user.name, AccessKeyId=key["AccessKeyId"])
    rc, _, err = env.aws(without_mfa, "list-mfa-devices", "--user-name", user.name)
    assert rc != 0 and "InvalidClientTokenId" in err, err


def test_a_temporary_key_without_its_token_or_with_anothers_is_refused(env):
    user, phone, key = an_admin(env)
    sts = env.iam(key, service="sts")
    first = temporary(sts.get_session_token(DurationSeconds=900))
    second = temporary(sts.get_session_token(DurationSeconds=901))
    bare = {k: first[k] for k in ("AccessKeyId", "SecretAccessKey")}
    swapped = dict(first, SessionToken=second["SessionToken"])
    for creds in (bare, swapped):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            env.iam(creds, service="sts").get_caller_identity()
        assert error_of(e)[:2] == ("InvalidClientTokenId", 403)
    assert env.iam(first, service="sts").get_caller_identity()["Arn"] == user.arn

"""ResyncMFADevice through the real AWS CLI and boto3: the AWS guide's CLI and API paths."""

import botocore.exceptions
import pytest

from conftest import JsonApi, error_of, now_step

RESYNC_FAILED = "An error occurred (InvalidAuthenticationCode) when calling the ResyncMFADevice operation"


def test_cli_resyncs_a_drifted_device_and_its_next_code_signs_in(env, self_service):
    user, key, phone = self_service
    # Before: the phone runs 7 steps fast, so its code is refused at sign-in.
    web = JsonApi(env.url)
    status, body = web.sign_in(user)
    assert (status, body["MfaRequired"]) == (200, True)
    status, body = web.mfa(phone, phone.code(phone.step()))
    assert (status, body["Error"]["Code"]) == (403, "InvalidAuthenticationCode")

    i = phone.step()
    rc, out, err = env.aws(
        key, "resync-mfa-device", "--user-name", user.name, "--serial-number", phone.serial,
        "--authentication-code1", phone.code(i), "--authentication-code2", phone.code(i + 1),
    )
    assert (rc, out, err) == (0, None, "")
    drift, last_used, failures, _ = env.device_state(phone.serial)
    assert drift in (7, 8)  # (i + 1) - now, one less if a step boundary passed meanwhile
    assert (last_used, failures) == (i + 1, 0)

    # After: the phone's next code signs in (a fresh session), and the resync codes are burned.
    web = JsonApi(env.url)
    assert web.sign_in(user)[0] == 200
    status, body = web.mfa(phone, phone.code(i + 2))
    assert (status, body) == (200, {"MfaPresent": True})
    # Signed for another region, so a new request and not a replay of the first (rule 22,
    # which the same command within the same second would be): the codes themselves are burned.
    rc, _, err = env.aws(
        key, "resync-mfa-device", "--user-name", user.name, "--serial-number", phone.serial,
        "--authentication-code1", phone.code(i), "--authentication-code2", phone.code(i + 1),
        region="eu-west-1",
    )
    assert rc != 0 and RESYNC_FAILED in err


def test_boto3_resyncs_a_device_running_slow(env):
    user = env.new_user()
    phone = env.import_device(user, drift=-5)
    iam = env.iam(env.access_key(user))
    i = phone.step()
    r = iam.resync_mfa_device(
        UserName=user.name, SerialNumber=phone.serial,
        AuthenticationCode1=phone.code(i), AuthenticationCode2=phone.code(i + 1),
    )
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert set(r) == {"ResponseMetadata"}  # IAM's ResyncMFADevice has no output members
    assert env.device_state(phone.serial)[0] in (-5, -4)
    # Audited as the key's user, success, with the device.
    rows = env.audit(r["ResponseMetadata"]["RequestId"])
    assert rows == [{
        "actor": user.arn, "action": "ResyncMFADevice", "target_user": user.name,
        "serial_number": phone.serial, "outcome": "Success", "error_code": None, "repeats": 1,
    }]
    web = JsonApi(env.url)
    assert web.sign_in(user)[0] == 200
    assert web.mfa(phone, phone.code(i + 2)) == (200, {"MfaPresent": True})


def test_wrong_codes_are_invalid_authentication_code_and_change_nothing(env, self_service):
    user, key, phone = self_service
    before = env.device_state(phone.serial)
    i = phone.step()
    wrong = f"{(int(phone.code(i)) + 1) % 1_000_000:06d}"

    rc, out, err = env.aws(
        key, "resync-mfa-device", "--user-name", user.name, "--serial-number", phone.serial,
        "--authentication-code1", wrong, "--authentication-code2", phone.code(i + 1),
    )
    assert rc != 0 and out is None
    assert RESYNC_FAILED in err

    iam = env.iam(key)
    # Swapped order: both codes right, not a consecutive pair in order.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.resync_mfa_device(
            UserName=user.name, SerialNumber=phone.serial,
            AuthenticationCode1=phone.code(i + 1), AuthenticationCode2=phone.code(i),
        )
    assert error_of(e) == ("InvalidAuthenticationCode", 403, "Sender")
    request_id = e.value.response["ResponseMetadata"]["RequestId"]
    [row] = env.audit(request_id)
    assert (row["actor"], row["outcome"], row["error_code"]) == (user.arn, "Failure", "InvalidAuthenticationCode")

    drift, last_used, failures, _ = env.device_state(phone.serial)
    assert (drift, last_used) == before[:2]  # nothing changed but the failure count
    assert failures == before[2] + 2
    # The right pair still works: the refusals burned nothing.
    iam.resync_mfa_device(
        UserName=user.name, SerialNumber=phone.serial,
        AuthenticationCode1=phone.code(i), AuthenticationCode2=phone.code(i + 1),
    )
    assert env.device_state(phone.serial)[2] == 0


def test_malformed_codes_are_refused_before_any_lookup(env, self_service):
    user, key, phone = self_service
    iam = env.iam(key)
    # botocore checks the length (6) itself; digits are the server's to check.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.resync_mfa_device(
            UserName=user.name, SerialNumber=phone.serial,
            AuthenticationCode1="12345a", AuthenticationCode2="123456",
        )
    assert error_of(e)[:2] == ("ValidationError", 400)
    assert env.device_state(phone.serial)[2] == 0  # not even a failure counted


def test_another_users_device_is_no_such_entity(env, self_service):
    user, key, _ = self_service
    other = env.new_user()
    their_phone = env.import_device(other)
    i = their_phone.step()
    codes = dict(AuthenticationCode1=their_phone.code(i), AuthenticationCode2=their_phone.code(i + 1))
    iam = env.iam(key)
    # Named as theirs, or as one's own: both answer exactly like a device that does not exist.
    answers = []
    for name in (other.name, user.name):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            iam.resync_mfa_device(UserName=name, SerialNumber=their_phone.serial, **codes)
        answers.append((error_of(e), e.value.response["Error"]["Message"]))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.resync_mfa_device(UserName=user.name, SerialNumber=f"arn:aws:iam::{env.account}:mfa/none", **codes)
    missing = (error_of(e), e.value.response["Error"]["Message"])
    assert answers == [missing, missing]
    assert missing[0] == ("NoSuchEntity", 404, "Sender")

    # Their device was not touched: no failure counted, and these codes still resync it.
    assert env.device_state(their_phone.serial)[2] == 0
    env.iam(env.access_key(other)).resync_mfa_device(UserName=other.name, SerialNumber=their_phone.serial, **codes)


def test_throttle_is_shared_with_the_browser_path(env, self_service):
    user, key, phone = self_service
    iam = env.iam(key)
    i = phone.step()
    # Five different wrong pairs: the same signed request twice would be a replay (rule 22).
    for n in range(5):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            iam.resync_mfa_device(
                UserName=user.name, SerialNumber=phone.serial,
                AuthenticationCode1=f"00000{n}", AuthenticationCode2=f"00000{n}",
            )
        assert error_of(e)[0] == "InvalidAuthenticationCode"
    # Throttled: even the right pair is not evaluated. IAM's LimitExceeded is 409.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.resync_mfa_device(
            UserName=user.name, SerialNumber=phone.serial,
            AuthenticationCode1=phone.code(i), AuthenticationCode2=phone.code(i + 1),
        )
    assert error_of(e) == ("LimitExceeded", 409, "Sender")
    retry_after = int(e.value.response["ResponseMetadata"]["HTTPHeaders"]["retry-after"])
    assert 0 < retry_after <= 30
    # The same device's throttle holds on the browser's sign-in path.
    web = JsonApi(env.url)
    assert web.sign_in(user)[0] == 200
    status, body = web.mfa(phone, phone.code(now_step() + 7))
    assert (status, body["Error"]["Code"]) == (429, "LimitExceeded")


def test_a_self_service_key_may_only_list_and_resync_its_own(env, self_service):
    """Access-key calls carry no MFA: the seed policy's BlockAllExceptListedIfNoMFA applies."""
    user, key, phone = self_service
    iam = env.iam(key)
    assert [d["SerialNumber"] for d in iam.list_mfa_devices()["MFADevices"]] == [phone.serial]
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName=user.name)["MFADevices"]] == [phone.serial]
    assert phone.serial in [d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]]
    refused = {
        "get_user": lambda: iam.get_user(),
        "list_users": lambda: iam.list_users(),
        "list_access_keys": lambda: iam.list_access_keys(),
        "list_mfa_devices(other)": lambda: iam.list_mfa_devices(UserName="admin"),
        "create_virtual_mfa_device": lambda: iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{user.name}-2"),
        "deactivate_mfa_device": lambda: iam.deactivate_mfa_device(UserName=user.name, SerialNumber=phone.serial),
        "delete_access_key": lambda: iam.delete_access_key(AccessKeyId=key["AccessKeyId"]),
    }
    for name, call in refused.items():
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call()
        assert error_of(e) == ("AccessDenied", 403, "Sender"), name
    assert len(iam.list_mfa_devices()["MFADevices"]) == 1  # the key still works: nothing was deleted

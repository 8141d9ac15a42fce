"""Signature Version 4 refusals: a wrong secret, an unknown key, an expired request, and the
shape of IAM's ErrorResponse. Signed by botocore itself (boto3, or its SigV4Auth for requests
that boto3 would not send)."""

import datetime
import secrets
import urllib.parse

import botocore.exceptions
import pytest

import botocore.auth
import botocore.awsrequest
import botocore.credentials

from conftest import NS, error_of, send, send_signed, utc_now

LIST = {"Action": "ListVirtualMFADevices"}


def error_xml(root):
    """(Type, Code, Message, RequestId) of an ErrorResponse, checking its shape on the way."""
    assert root.tag == f"{NS}ErrorResponse"
    [error] = root.findall(f"{NS}Error")
    assert [c.tag for c in error] == [f"{NS}Type", f"{NS}Code", f"{NS}Message"]
    assert [c.tag for c in root] == [f"{NS}Error", f"{NS}RequestId"]
    return (
        error.findtext(f"{NS}Type"),
        error.findtext(f"{NS}Code"),
        error.findtext(f"{NS}Message"),
        root.findtext(f"{NS}RequestId"),
    )


def test_a_correct_signature_is_accepted_in_any_region(env, self_service):
    _, key, _ = self_service
    for region in ("us-east-1", "ap-southeast-2"):
        status, headers, root = send_signed(env.signed(key, LIST, region=region))
        assert status == 200
        assert root.tag == f"{NS}ListVirtualMFADevicesResponse"
        assert [c.tag for c in root] == [f"{NS}ListVirtualMFADevicesResult", f"{NS}ResponseMetadata"]
        assert root.findtext(f"{NS}ListVirtualMFADevicesResult/{NS}IsTruncated") == "false"
        assert root.findtext(f"{NS}ResponseMetadata/{NS}RequestId") == headers["x-amzn-requestid"]
        assert headers["Content-Type"].startswith("text/xml")
        # The security headers apply here too; the JSON API's CSRF rules do not.
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_get_with_the_query_string_is_served_too(env, self_service):
    user, key, phone = self_service
    query = urllib.parse.urlencode(
        {"Action": "ListMFADevices", "Version": "2010-05-08", "UserName": user.name},
        quote_via=urllib.parse.quote,
        safe="-_.~",
    )
    request = botocore.awsrequest.AWSRequest(method="GET", url=f"{env.url.rstrip('/')}/?{query}")
    creds = botocore.credentials.Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    botocore.auth.SigV4Auth(creds, "iam", "us-west-2").add_auth(request)
    status, _, root = send(request.url, None, request.headers, method="GET")
    assert status == 200
    serials = root.findall(f"{NS}ListMFADevicesResult/{NS}MFADevices/{NS}member/{NS}SerialNumber")
    assert [s.text for s in serials] == [phone.serial]


def test_a_wrong_secret_is_signature_does_not_match(env, self_service):
    user, key, _ = self_service
    iam = env.iam(key, secret=secrets.token_urlsafe(30))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.list_mfa_devices()
    assert error_of(e) == ("SignatureDoesNotMatch", 403, "Sender")
    # Audited under the key's owner: someone holds the key id with a wrong secret.
    [row] = env.audit(e.value.response["ResponseMetadata"]["RequestId"])
    assert (row["actor"], row["action"], row["error_code"]) == (user.arn, "ListMFADevices", "SignatureDoesNotMatch")


def test_an_unknown_key_is_invalid_client_token_id(env):
    unknown = {"AccessKeyId": "AKIA" + secrets.token_hex(8).upper(), "SecretAccessKey": secrets.token_urlsafe(30)}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        env.iam(unknown).list_users()
    assert error_of(e) == ("InvalidClientTokenId", 403, "Sender")
    rc, out, err = env.aws(unknown, "list-users")
    assert rc != 0 and out is None
    assert "An error occurred (InvalidClientTokenId) when calling the ListUsers operation" in err


def test_a_deleted_key_stops_working(env, root_key):
    user = env.new_user()
    key = env.access_key(user)
    root = env.iam(root_key)
    listed = root.list_access_keys(UserName=user.name)["AccessKeyMetadata"]
    assert [(k["UserName"], k["AccessKeyId"], k["Status"]) for k in listed] == [(user.name, key["AccessKeyId"], "Active")]
    assert env.iam(key).list_virtual_mfa_devices()["IsTruncated"] is False
    root.delete_access_key(UserName=user.name, AccessKeyId=key["AccessKeyId"])
    assert root.list_access_keys(UserName=user.name)["AccessKeyMetadata"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        env.iam(key).list_virtual_mfa_devices()
    assert error_of(e) == ("InvalidClientTokenId", 403, "Sender")
    # Signed for another region: not the same signature as the first delete (rule 22).
    with pytest.raises(botocore.exceptions.ClientError) as e:
        env.iam(root_key, region="eu-west-1").delete_access_key(UserName=user.name, AccessKeyId=key["AccessKeyId"])
    assert error_of(e) == ("NoSuchEntity", 404, "Sender")


@pytest.mark.parametrize("minutes", [-20, 20])
def test_a_request_signed_20_minutes_off_has_expired(env, self_service, minutes):
    _, key, _ = self_service
    when = utc_now() + datetime.timedelta(minutes=minutes)
    request = env.signed(key, LIST, when=when)
    assert request.headers["X-Amz-Date"] == when.strftime("%Y%m%dT%H%M%SZ")
    status, _, root = send_signed(request)
    kind, code, message, request_id = error_xml(root)
    assert (status, kind, code) == (400, "Sender", "RequestExpired")
    assert request.headers["X-Amz-Date"] in message and request_id
    # Within the 15 minutes it is accepted: only the skew was refused.
    status, _, _ = send_signed(env.signed(key, LIST, when=utc_now() - datetime.timedelta(minutes=14)))
    assert status == 200


def test_a_request_changed_after_signing_does_not_match(env, self_service):
    user, key, phone = self_service
    params = {
        "Action": "ResyncMFADevice", "UserName": user.name, "SerialNumber": phone.serial,
        "AuthenticationCode1": "111111", "AuthenticationCode2": "222222",
    }
    request = env.signed(key, params)
    tampered = request.body.replace(b"111111", b"333333")
    status, _, root = send(request.url, tampered, request.headers)
    assert (status, error_xml(root)[1]) == (403, "SignatureDoesNotMatch")
    assert env.device_state(phone.serial)[2] == 0  # no code was evaluated


def test_a_signature_for_another_service_does_not_match(env, self_service):
    _, key, _ = self_service
    status, _, root = send_signed(env.signed(key, LIST, service="sts"))
    kind, code, message, _ = error_xml(root)
    assert (status, kind, code) == (403, "Sender", "SignatureDoesNotMatch")
    assert "'iam'" in message


def test_unsigned_and_malformed_requests(env, self_service):
    _, key, _ = self_service
    url = env.url.rstrip("/") + "/"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = "Action=ListVirtualMFADevices&Version=2010-05-08"
    status, _, root = send(url, body, form)
    assert (status, error_xml(root)[:2]) == (403, ("Sender", "MissingAuthenticationToken"))
    status, _, root = send(url + "?" + body, None, {}, method="GET")
    assert (status, error_xml(root)[1]) == (403, "MissingAuthenticationToken")
    signed = env.signed(key, LIST)
    no_signature = dict(signed.headers)
    no_signature["Authorization"] = no_signature["Authorization"].split(", Signature=")[0]
    status, _, root = send(signed.url, signed.body, no_signature)
    assert (status, error_xml(root)[1]) == (400, "IncompleteSignature")
    status, _, root = send_signed(env.signed(key, {"Action": "CreateUser", "UserName": "x"}))
    assert (status, error_xml(root)[1]) == (400, "InvalidAction")


def test_a_captured_state_change_is_refused_the_second_time(env, root_key):
    """Security rule 22: botocore's own signature of a DeactivateMFADevice, sent twice. The
    owner re-enables nothing in between here; the point is that the copy is never run."""
    user = env.new_user()
    phone = env.import_device(user)
    request = env.signed(
        root_key,
        {"Action": "DeactivateMFADevice", "UserName": user.name, "SerialNumber": phone.serial},
    )
    status, _, root = send_signed(request)
    assert status == 200, root
    assert env.iam(root_key).list_mfa_devices(UserName=user.name)["MFADevices"] == []
    status, _, root = send_signed(request)
    kind, code, message, _ = error_xml(root)
    assert (status, kind, code) == (403, "Sender", "RequestAlreadyUsed")
    assert "accepted only once" in message
    # A read signed once may be sent again: boto3 pages and polls with identical signatures.
    read = env.signed(root_key, {"Action": "ListMFADevices", "UserName": user.name})
    assert [send_signed(read)[0] for _ in range(2)] == [200, 200]

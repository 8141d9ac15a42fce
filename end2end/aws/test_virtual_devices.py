"""A virtual MFA device's life through the real AWS CLI and boto3: create, enable with two
codes, list, deactivate, delete. Done with a root access key (the root user may do everything in
its account; an IAM user's access key carries no MFA, so the seed policies forbid it)."""

import botocore.exceptions
import pytest

from conftest import Device, error_of


def cli_ok(env, key, *args):
    rc, out, err = env.aws(key, *args)
    assert rc == 0, err
    return out


def cli_error(env, key, *args, region="us-east-1"):
    rc, out, err = env.aws(key, *args, region=region)
    assert rc != 0 and out is None
    return err


def test_cli_creates_enables_lists_deactivates_and_deletes(env, root_key, tmp_path):
    user = env.new_user()
    name = f"{user.name}-phone"
    seed_file = tmp_path / "seed.txt"
    out = cli_ok(
        env, root_key, "create-virtual-mfa-device", "--virtual-mfa-device-name", name,
        "--outfile", str(seed_file), "--bootstrap-method", "Base32StringSeed",
    )
    serial = f"arn:aws:iam::{env.account}:mfa/{name}"
    assert out == {"VirtualMFADevice": {"SerialNumber": serial}}
    phone = Device(serial, seed_file.read_text())
    assert len(phone.seed) == 32  # 160 bits in Base32

    listed = cli_ok(env, root_key, "list-virtual-mfa-devices", "--assignment-status", "Unassigned")
    assert {"SerialNumber": serial} in listed["VirtualMFADevices"]

    # Wrong codes are refused (the AWS emulators accept any), then two consecutive codes enable it.
    i = phone.step()
    err = cli_error(
        env, root_key, "enable-mfa-device", "--user-name", user.name, "--serial-number", serial,
        "--authentication-code1", phone.code(i), "--authentication-code2", phone.code(i + 2),
    )
    assert "An error occurred (InvalidAuthenticationCode) when calling the EnableMFADevice operation" in err
    assert cli_ok(
        env, root_key, "enable-mfa-device", "--user-name", user.name, "--serial-number", serial,
        "--authentication-code1", phone.code(i), "--authentication-code2", phone.code(i + 1),
    ) is None

    devices = cli_ok(env, root_key, "list-mfa-devices", "--user-name", user.name)["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in devices] == [(user.name, serial)]
    assert set(devices[0]) == {"UserName", "SerialNumber", "EnableDate"}
    assigned = cli_ok(env, root_key, "list-virtual-mfa-devices", "--assignment-status", "Assigned")
    [mine] = [d for d in assigned["VirtualMFADevices"] if d["SerialNumber"] == serial]
    assert mine["User"]["UserName"] == user.name and mine["User"]["Arn"] == user.arn
    assert mine["EnableDate"] == devices[0]["EnableDate"]

    err = cli_error(env, root_key, "delete-virtual-mfa-device", "--serial-number", serial)
    assert "(DeleteConflict) when calling the DeleteVirtualMFADevice operation" in err

    assert cli_ok(env, root_key, "deactivate-mfa-device", "--user-name", user.name, "--serial-number", serial) is None
    assert cli_ok(env, root_key, "list-mfa-devices", "--user-name", user.name) == {"MFADevices": []}
    unassigned = cli_ok(env, root_key, "list-virtual-mfa-devices", "--assignment-status", "Unassigned")
    assert {"SerialNumber": serial} in unassigned["VirtualMFADevices"]

    assert cli_ok(env, root_key, "delete-virtual-mfa-device", "--serial-number", serial) is None
    every = cli_ok(env, root_key, "list-virtual-mfa-devices")["VirtualMFADevices"]
    assert serial not in [d["SerialNumber"] for d in every]
    # Another region's signature: the same command within a second would be a replay (rule 22).
    err = cli_error(env, root_key, "delete-virtual-mfa-device", "--serial-number", serial, region="eu-west-1")
    assert "(NoSuchEntity) when calling the DeleteVirtualMFADevice operation" in err


def test_boto3_lifecycle_with_qr_code_png(env, root_key):
    user = env.new_user()
    iam = env.iam(root_key, region="eu-central-1")  # any region the client signs for
    name = f"{user.name}-app"
    created = iam.create_virtual_mfa_device(VirtualMFADeviceName=name, Path="/")["VirtualMFADevice"]
    serial = created["SerialNumber"]
    assert serial == f"arn:aws:iam::{env.account}:mfa/{name}"
    assert set(created) == {"SerialNumber", "Base32StringSeed", "QRCodePNG"}
    # Blobs in IAM's model: boto3 hands back bytes, the Base32 text and a PNG file.
    assert created["QRCodePNG"][:8] == b"\x89PNG\r\n\x1a\n"
    phone = Device(serial, created["Base32StringSeed"].decode("ascii"))

    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_virtual_mfa_device(VirtualMFADeviceName=name)
    assert error_of(e) == ("EntityAlreadyExists", 409, "Sender")

    i = phone.step()
    iam.enable_mfa_device(
        UserName=user.name, SerialNumber=serial,
        AuthenticationCode1=phone.code(i), AuthenticationCode2=phone.code(i + 1),
    )
    # An assigned device cannot be enabled again, for anyone.
    other = env.new_user()
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.enable_mfa_device(
            UserName=other.name, SerialNumber=serial,
            AuthenticationCode1=phone.code(i), AuthenticationCode2=phone.code(i + 1),
        )
    assert error_of(e) == ("EntityAlreadyExists", 409, "Sender")

    [dev] = iam.list_mfa_devices(UserName=user.name)["MFADevices"]
    assert (dev["UserName"], dev["SerialNumber"]) == (user.name, serial)
    assert dev["EnableDate"].tzinfo is not None  # parsed by botocore as a timestamp

    iam.deactivate_mfa_device(UserName=user.name, SerialNumber=serial)
    assert iam.list_mfa_devices(UserName=user.name)["MFADevices"] == []
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    # The same call again within one second would be the same signature, refused as a replay
    # (security rule 22); signed for another region it is a new request.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        env.iam(root_key, region="eu-west-1").deactivate_mfa_device(UserName=user.name, SerialNumber=serial)
    assert error_of(e) == ("NoSuchEntity", 404, "Sender")


def test_invalid_members_are_validation_errors(env, root_key):
    iam = env.iam(root_key)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_virtual_mfa_device(VirtualMFADeviceName="has space")
    assert error_of(e)[:2] == ("ValidationError", 400)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.list_mfa_devices(UserName="no such user at all".replace(" ", "-"))
    assert error_of(e) == ("NoSuchEntity", 404, "Sender")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_virtual_mfa_device(VirtualMFADeviceName="tagged", Tags=[{"Key": "k", "Value": "v"}])
    assert error_of(e)[:2] == ("ValidationError", 400)
    assert iam.list_users(PathPrefix="/elsewhere/")["Users"] == []
    assert len(iam.list_users(PathPrefix="/")["Users"]) >= 3
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.list_users(PathPrefix="no-slash")
    assert error_of(e)[:2] == ("ValidationError", 400)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.list_users(Marker="not-ours")
    assert error_of(e)[:2] == ("ValidationError", 400)

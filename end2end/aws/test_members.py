"""The CLI's JSON output of every action has the members IAM's service model documents (the model
botocore ships), and actions without output print nothing."""

import botocore.session
import pytest

from conftest import Device

MODEL = botocore.session.get_session().get_service_model("iam")


def members(shape):
    return set(shape.members)


def check_shape(value, shape, where):
    """Every member of `value` is one of `shape`'s, every required one is there, recursively."""
    if shape.type_name == "structure":
        assert isinstance(value, dict), where
        assert set(value) <= members(shape), f"{where}: {set(value) - members(shape)} not in IAM's model"
        missing = set(shape.required_members) - set(value)
        assert not missing, f"{where}: required {missing} missing"
        for name, v in value.items():
            check_shape(v, shape.members[name], f"{where}.{name}")
    elif shape.type_name == "list":
        assert isinstance(value, list), where
        for n, v in enumerate(value):
            check_shape(v, shape.member, f"{where}[{n}]")
    elif shape.type_name == "string":
        assert isinstance(value, str) and value, where
    elif shape.type_name == "boolean":
        assert isinstance(value, bool), where


def cli_output(env, key, operation, *args):
    command = operation.replace("MFA", "Mfa")
    command = "".join("-" + c.lower() if c.isupper() else c for c in command).lstrip("-")
    rc, out, err = env.aws(key, command, *args)
    assert rc == 0, f"{command}: {err}"
    output_shape = MODEL.operation_model(operation).output_shape
    if output_shape is None:
        assert out is None, f"{command} printed {out}"
    else:
        # The CLI's paginators drop IsTruncated/Marker; every other member must be IAM's.
        check_shape(out, output_shape, operation)
    return out


def test_cli_json_output_has_iams_members(env, root_key, tmp_path):
    user = env.new_user()
    user_key = env.access_key(user)
    phone = env.import_device(user)

    users = cli_output(env, root_key, "ListUsers")["Users"]
    assert user.name in [u["UserName"] for u in users]
    mine = next(u for u in users if u["UserName"] == user.name)
    assert set(mine) == {"Path", "UserName", "UserId", "Arn", "CreateDate"}
    assert (mine["Path"], mine["Arn"]) == ("/", user.arn)
    assert mine["UserId"].startswith("AIDA")

    got = cli_output(env, root_key, "GetUser", "--user-name", user.name)
    assert got == {"User": mine}

    devices = cli_output(env, user_key, "ListMFADevices")["MFADevices"]
    assert [set(d) for d in devices] == [{"UserName", "SerialNumber", "EnableDate"}]
    assert devices[0]["SerialNumber"] == phone.serial

    keys = cli_output(env, root_key, "ListAccessKeys", "--user-name", user.name)["AccessKeyMetadata"]
    assert keys == [{
        "UserName": user.name, "AccessKeyId": user_key["AccessKeyId"], "Status": "Active",
        "CreateDate": user_key["CreateDate"],
    }]
    assert user_key["AccessKeyId"].startswith("AKIA") and len(user_key["AccessKeyId"]) == 20
    assert len(user_key["SecretAccessKey"]) == 40

    name = f"{user.name}-m"
    qr = tmp_path / "qr.png"
    created = cli_output(
        env, root_key, "CreateVirtualMFADevice", "--virtual-mfa-device-name", name,
        "--outfile", str(qr), "--bootstrap-method", "QRCodePNG",
    )
    assert qr.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    serial = created["VirtualMFADevice"]["SerialNumber"]

    listed = cli_output(env, root_key, "ListVirtualMFADevices")["VirtualMFADevices"]
    assert {"SerialNumber": serial} in listed
    assigned = next(d for d in listed if d["SerialNumber"] == phone.serial)
    assert set(assigned) == {"SerialNumber", "User", "EnableDate"}

    # Actions without output print nothing: resync, enable, deactivate, delete, delete key.
    i = phone.step()
    cli_output(
        env, user_key, "ResyncMFADevice", "--user-name", user.name, "--serial-number", phone.serial,
        "--authentication-code1", phone.code(i), "--authentication-code2", phone.code(i + 1),
    )
    cli_output(env, root_key, "DeactivateMFADevice", "--user-name", user.name, "--serial-number", phone.serial)
    cli_output(env, root_key, "DeleteVirtualMFADevice", "--serial-number", phone.serial)
    cli_output(env, root_key, "DeleteVirtualMFADevice", "--serial-number", serial)
    cli_output(env, root_key, "DeleteAccessKey", "--user-name", user.name, "--access-key-id", user_key["AccessKeyId"])


@pytest.mark.parametrize("operation", [
    "ResyncMFADevice", "ListMFADevices", "ListVirtualMFADevices", "EnableMFADevice",
    "DeactivateMFADevice", "CreateVirtualMFADevice", "DeleteVirtualMFADevice", "GetUser",
    "ListUsers", "ListAccessKeys", "DeleteAccessKey",
])
def test_every_action_of_the_issue_is_in_iams_model(operation):
    """The names served are IAM's exactly (a typo would make the CLI unable to call it)."""
    assert operation in MODEL.operation_names
    assert MODEL.operation_model(operation).http["requestUri"] == "/"


def test_enable_with_the_cli_then_list_shows_the_date(env, root_key, tmp_path):
    user = env.new_user()
    seed_file = tmp_path / "seed"
    created = cli_output(
        env, root_key, "CreateVirtualMFADevice", "--virtual-mfa-device-name", user.name,
        "--outfile", str(seed_file), "--bootstrap-method", "Base32StringSeed",
    )
    phone = Device(created["VirtualMFADevice"]["SerialNumber"], seed_file.read_text())
    i = phone.step()
    cli_output(
        env, root_key, "EnableMFADevice", "--user-name", user.name, "--serial-number", phone.serial,
        "--authentication-code1", phone.code(i - 1), "--authentication-code2", phone.code(i),
    )
    [dev] = cli_output(env, root_key, "ListMFADevices", "--user-name", user.name)["MFADevices"]
    assert dev["EnableDate"].endswith("Z") and dev["EnableDate"][:4].isdigit()

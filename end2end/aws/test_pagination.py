"""IAM's pagination as the unmodified AWS CLI and boto3 use it: `MaxItems`, `IsTruncated` and
`Marker`. Walking every page — with boto3's paginators, by hand, and with the CLI's
`--page-size` — gives exactly the unpaginated list, in its order, each item once."""

import base64
import secrets

from conftest import NS, send_signed


def walk(pages, key):
    """The items of `pages` (one response each), checking IsTruncated and Marker on every page."""
    pages = list(pages)
    for page in pages[:-1]:
        assert page["IsTruncated"] is True and page["Marker"], page
    assert pages[-1]["IsTruncated"] is False and "Marker" not in pages[-1], pages[-1]
    return [item for page in pages for item in page[key]]


def test_every_page_of_list_users_with_boto3_and_the_cli(env, root_key):
    for _ in range(3):
        env.new_user()
    iam = env.iam(root_key)
    everyone = iam.list_users(MaxItems=1000)
    assert everyone["IsTruncated"] is False and "Marker" not in everyone
    users = everyone["Users"]
    names = [u["UserName"] for u in users]
    assert len(names) >= 6 and len(set(names)) == len(names)
    assert names == sorted(names, key=str.lower)  # IAM's order: by name, case ignored

    # boto3's paginator, one user a page: IsTruncated and a Marker on every page but the last.
    pages = list(iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 1}))
    assert len(pages) == len(users)
    assert walk(pages, "Users") == users

    # By hand, two a page.
    responses, marker = [], None
    while True:
        response = iam.list_users(MaxItems=2, **({"Marker": marker} if marker else {}))
        responses.append(response)
        if not response["IsTruncated"]:
            break
        assert len(response["Users"]) == 2
        marker = response["Marker"]
    assert len(responses) == (len(users) + 1) // 2
    assert walk(responses, "Users") == users

    # The CLI follows the markers itself: `--page-size 1` prints the whole list.
    rc, out, err = env.aws(root_key, "list-users", "--page-size", "1")
    assert rc == 0, err
    assert [u["UserName"] for u in out["Users"]] == names
    # `--max-items` stops early and hands out the CLI's own NextToken to go on from.
    rc, out, err = env.aws(root_key, "list-users", "--page-size", "1", "--max-items", "2")
    assert rc == 0, err
    assert [u["UserName"] for u in out["Users"]] == names[:2] and out["NextToken"]
    rc, out, err = env.aws(root_key, "list-users", "--page-size", "1", "--starting-token", out["NextToken"])
    assert rc == 0, err
    assert [u["UserName"] for u in out["Users"]] == names[2:]


def test_devices_keys_and_virtual_devices_page_with_boto3(env, root_key):
    user = env.new_user()
    keys = {env.access_key(user)["AccessKeyId"] for _ in range(2)}
    phone = env.import_device(user)
    seed = base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")
    token = f"GAHT{secrets.token_hex(6).upper()}"
    env.cli(
        "device", "import", "--account", "demo", "--user-name", user.name,
        "--serial", token, "--kind", "hardware-totp", stdin=seed,
    )
    iam = env.iam(root_key)
    for operation, key, params in [
        ("list_mfa_devices", "MFADevices", {"UserName": user.name}),
        ("list_access_keys", "AccessKeyMetadata", {"UserName": user.name}),
        ("list_virtual_mfa_devices", "VirtualMFADevices", {}),
        ("list_virtual_mfa_devices", "VirtualMFADevices", {"AssignmentStatus": "Assigned"}),
    ]:
        everything = getattr(iam, operation)(MaxItems=1000, **params)
        assert everything["IsTruncated"] is False and "Marker" not in everything
        items = everything[key]
        assert len(items) >= 2, (operation, items)
        for size in (1, 2):
            pages = iam.get_paginator(operation).paginate(**params, PaginationConfig={"PageSize": size})
            assert walk(pages, key) == items, (operation, params, size)
    devices = iam.list_mfa_devices(UserName=user.name)["MFADevices"]
    assert [d["SerialNumber"] for d in devices] == [phone.serial, token]  # enabled in this order
    assert {k["AccessKeyId"] for k in iam.list_access_keys(UserName=user.name)["AccessKeyMetadata"]} == keys


def test_bad_paging_members_are_validation_errors(env, root_key):
    """boto3 itself refuses MaxItems 0; a signed request shows what the server says."""
    user = env.new_user()
    env.access_key(user)
    env.access_key(user)
    iam = env.iam(root_key)
    first = iam.list_users(MaxItems=1)
    assert first["IsTruncated"] is True
    foreign = iam.list_access_keys(UserName=user.name, MaxItems=1)
    assert foreign["IsTruncated"] is True
    for params in (
        {"Action": "ListUsers", "MaxItems": "0"},
        {"Action": "ListUsers", "MaxItems": "1001"},
        {"Action": "ListUsers", "MaxItems": "many"},
        {"Action": "ListUsers", "Marker": "not-a-marker"},
        {"Action": "ListUsers", "Marker": foreign["Marker"]},
        {"Action": "ListAccessKeys", "Marker": first["Marker"]},
        {"Action": "ListMFADevices", "Marker": first["Marker"]},
        {"Action": "ListVirtualMFADevices", "Marker": first["Marker"]},
    ):
        status, _, root = send_signed(env.signed(root_key, params))
        assert (status, root.findtext(f"{NS}Error/{NS}Code")) == (400, "ValidationError"), params
    # The marker itself still works.
    assert iam.list_users(MaxItems=1, Marker=first["Marker"])["Users"]

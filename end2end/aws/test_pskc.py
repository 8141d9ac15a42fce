"""PSKC token files (RFC 6030, issue 16) written by an independent implementation, python-pskc,
imported with `mfa-resync device import-pskc`: encrypted under a pre-shared key (AES-128-CBC and
AES-256-CBC, each value with its HMAC-SHA1 MAC) and plain; a wrong key imports nothing. What is
stored is read back from the database beside the running server. Then the AWS console's
"Assign hardware TOTP token" with the real aws CLI: `enable-mfa-device` with the token's serial
and two consecutive codes of its seed (so the seed decrypted is the one written), and a sign-in
with its next code."""

import base64
import secrets
import subprocess

import pskc

from conftest import Device, JsonApi, now_step, totp

HOTP = "urn:ietf:params:xml:ns:keyprov:pskc:hotp"
TOTP = "urn:ietf:params:xml:ns:keyprov:pskc:totp"


def tokens_file(path, psk=None, algorithm=None):
    """A PSKC file of one HOTP and two TOTP tokens with fresh serials; (path, serials)."""
    container = pskc.PSKC()
    tag = secrets.token_hex(4).upper()
    serials = [f"PY{tag}{i}" for i in range(3)]
    container.add_key(
        serial=serials[0], secret=secrets.token_bytes(20), algorithm=HOTP,
        response_length=8, counter=41, manufacturer="Independent",
    )
    for serial, drift in zip(serials[1:], (3, -2)):
        container.add_key(
            serial=serial, secret=secrets.token_bytes(32), algorithm=TOTP,
            response_length=6, time_interval=30, time_drift=drift,
        )
    if psk is not None:
        container.encryption.setup_preshared_key(key=psk, algorithm=algorithm)
    container.write(str(path))
    return serials


def stored(env, serials):
    found = env.rows(
        "SELECT serial_number, kind, owner_id, digits, period, drift_steps, hotp_counter "
        "FROM mfa_devices WHERE serial_number IN (:a, :b, :c) ORDER BY serial_number",
        a=serials[0], b=serials[1], c=serials[2],
    )
    return [
        (r["serial_number"], r["kind"], r["owner_id"], r["digits"], r["period"],
         r["drift_steps"], r["hotp_counter"])
        for r in found
    ]


def expected(serials):
    return [
        (serials[0], "hardware-hotp", None, 8, 30, 0, 41),
        (serials[1], "hardware-totp", None, 6, 30, 3, 0),
        (serials[2], "hardware-totp", None, 6, 30, -2, 0),
    ]


def import_pskc(env, path, stdin=None):
    return env.cli("device", "import-pskc", "--account", "demo", str(path), stdin=stdin)


def test_encrypted_files_written_by_python_pskc_are_imported(env, tmp_path):
    for algorithm, size in (("AES128-CBC", 16), ("AES256-CBC", 32)):
        psk = secrets.token_bytes(size)
        path = tmp_path / f"{algorithm}.pskcxml"
        serials = tokens_file(path, psk, algorithm)
        text = path.read_text()
        assert "EncryptedValue" in text and "ValueMAC" in text, text
        out = import_pskc(env, path, stdin=psk.hex())
        assert out.strip() == "imported 3 hardware token(s) into demo"
        assert stored(env, serials) == expected(serials), algorithm


def test_a_plain_file_is_imported_and_a_wrong_key_imports_nothing(env, tmp_path):
    path = tmp_path / "plain.pskcxml"
    serials = tokens_file(path)
    import_pskc(env, path)
    assert stored(env, serials) == expected(serials)
    path = tmp_path / "encrypted.pskcxml"
    serials = tokens_file(path, secrets.token_bytes(16), "AES128-CBC")
    p = subprocess.run(
        [env.bin, "--db", env.db, "device", "import-pskc", "--account", "demo", str(path)],
        input=secrets.token_bytes(16).hex(), capture_output=True, text=True, timeout=120,
    )
    assert p.returncode != 0
    # The container's MAC key is the first value it decrypts.
    assert "does not decrypt" in p.stderr and "nothing was imported" in p.stderr, p.stderr
    assert stored(env, serials) == []


def test_an_imported_hardware_token_is_assigned_with_two_codes_and_signs_in(env, tmp_path):
    user = env.new_user(policy="manage-own-mfa")
    key = env.access_key(user)
    seed = secrets.token_bytes(20)
    seed_b32 = base64.b32encode(seed).decode().rstrip("=")
    serial = f"GAHT{secrets.token_hex(4).upper()}"
    container = pskc.PSKC()
    container.add_key(
        serial=serial, secret=seed, algorithm=TOTP, response_length=6, time_interval=30,
    )
    psk = secrets.token_bytes(16)
    container.encryption.setup_preshared_key(key=psk, algorithm="AES128-CBC")
    path = tmp_path / "one.pskcxml"
    container.write(str(path))
    import_pskc(env, path, stdin=psk.hex())
    step = now_step()
    rc, _, err = env.aws(
        key, "enable-mfa-device", "--user-name", user.name, "--serial-number", serial,
        "--authentication-code1", totp(seed_b32, step - 1),
        "--authentication-code2", totp(seed_b32, step),
    )
    assert rc == 0, err
    rc, out, err = env.aws(key, "list-mfa-devices", "--user-name", user.name)
    assert rc == 0, err
    assert [d["SerialNumber"] for d in out["MFADevices"]] == [serial]
    # Another user cannot take it now.
    other = env.new_user(policy="manage-own-mfa")
    rc, _, err = env.aws(
        env.access_key(other), "enable-mfa-device", "--user-name", other.name,
        "--serial-number", serial, "--authentication-code1", totp(seed_b32, step),
        "--authentication-code2", totp(seed_b32, step + 1),
    )
    assert rc != 0 and "EntityAlreadyExists" in err, err
    # The browser's sign-in takes its next code.
    browser = JsonApi(env.url)
    status, _ = browser.sign_in(user)
    assert status == 200
    status, body = browser.mfa(Device(serial, seed_b32), totp(seed_b32, step + 1))
    assert status == 200, body

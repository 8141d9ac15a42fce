"""The unmodified AWS CLI and boto3 against a running mfa-resync (issue 6).

`cargo xtask test` starts the server on a demo database and sets:
  MFA_RESYNC_URL   the server's base URL (the `--endpoint-url`)
  MFA_RESYNC_DEMO  the path of `mfa-resync demo --json`'s output
  MFA_RESYNC_BIN   the `mfa-resync` binary (`user create`, `device import`, `access-key create`)
  MFA_RESYNC_DB    the database the server uses (the CLI writes to it while the server runs):
                   a SQLite file, or a `postgres://` URL (`cargo xtask test` runs these tests
                   once on each engine; rows are read with sqlite3 or pg8000, read-only)

Every test makes its own IAM user, device and access key, so tests never share a device, a
throttle or a burned step. Device codes are computed here with hmac/hashlib (RFC 6238), not with
the project's Rust code, so a shared mistake cannot hide.
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import secrets
import shutil
import sqlite3
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from unittest import mock

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import pg8000.native
import pytest

NS = "{https://iam.amazonaws.com/doc/2010-05-08/}"
NS_STS = "{https://sts.amazonaws.com/doc/2011-06-15/}"
STEP = 30

# The tests' AWS configuration is what each call passes, nothing from the machine's ~/.aws.
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
for leftover in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    os.environ.pop(leftover, None)


def aws_executable():
    """The `aws` of the virtual environment pytest runs in, else the one on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), "aws")
    return beside if os.path.exists(beside) else shutil.which("aws")


_LEDGER_WRITTEN = set()


def ledger(kind, value):
    """Appends a secret of the run to the secrets ledger (issue 14): a file of its own in
    MFA_RESYNC_SECRET_LEDGER, which `cargo xtask test` sets and searches every log and artifact
    for at its end (xtask/src/leaks.rs). One entry a line, `KIND<TAB>VALUE`, as the Rust and
    Playwright harnesses write: `seed` (Base32), `code`, `password`, `session-token`,
    `access-key-secret`. Without the variable nothing is written."""
    folder = os.environ.get("MFA_RESYNC_SECRET_LEDGER")
    if not folder or not value or (kind, value) in _LEDGER_WRITTEN:
        return
    assert not any(c in value for c in "\t\r\n"), "a ledger entry is one line"
    _LEDGER_WRITTEN.add((kind, value))
    with open(os.path.join(folder, f"pytest-{os.getpid()}.tsv"), "a") as f:
        f.write(f"{kind}\t{value}\n")


def totp(seed_b32, step):
    """RFC 6238 with SHA-1 and six digits (RFC 4226 §5.3 dynamic truncation). Every code these
    tests send comes from here: the seed and the code go to the ledger."""
    key = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    code = f"{value % 1_000_000:06d}"
    ledger("seed", seed_b32)
    ledger("code", code)
    return code


def now_step():
    return int(time.time()) // STEP


@dataclass
class Device:
    """A virtual device whose clock runs `drift` steps off the server's."""

    serial: str
    seed: str
    drift: int = 0

    def step(self):
        """The step the device shows now."""
        return now_step() + self.drift

    def code(self, step):
        return totp(self.seed, step)


@dataclass
class User:
    name: str
    password: str
    arn: str


@dataclass
class Env:
    url: str
    demo: dict
    bin: str
    db: str

    @property
    def account(self):
        return self.demo["Account"]["Id"]

    def cli(self, *args, stdin=None):
        """Runs `mfa-resync --db DB ARGS`; returns stdout, fails the test on an error."""
        p = subprocess.run(
            [self.bin, "--db", self.db, *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert p.returncode == 0, f"mfa-resync {args}: {p.stderr}"
        return p.stdout

    def new_user(self, policy="self-service"):
        name = f"q-{secrets.token_hex(5)}"
        password = f"pw-{secrets.token_hex(8)}"
        ledger("password", password)
        self.cli("user", "create", "--account", "demo", "--user-name", name, "--policy", policy, stdin=password)
        return User(name, password, f"arn:aws:iam::{self.account}:user/{name}")

    def import_device(self, user, drift=0):
        """A virtual device for `user` whose clock runs `drift` steps off (the server's stored
        drift is 0, so with a drift beyond ±1 its codes fail until it is resynced)."""
        seed = base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")
        ledger("seed", seed)
        serial = f"arn:aws:iam::{self.account}:mfa/{user.name}"
        self.cli(
            "device", "import", "--account", "demo", "--user-name", user.name,
            "--serial", serial, "--kind", "virtual", stdin=seed,
        )
        return Device(serial, seed, drift)

    def access_key(self, user=None):
        """A new access key for `user`, or the root user's when `user` is None."""
        who = ["--user-name", user.name] if user else ["--root"]
        out = self.cli("access-key", "create", "--account", "demo", *who, "--json")
        key = json.loads(out)["AccessKey"]
        ledger("access-key-secret", key["SecretAccessKey"])
        return key

    def iam(self, key, secret=None, region="us-east-1", service="iam"):
        """A boto3 client of `service` (IAM, or STS) for `key` — temporary credentials when it
        holds a `SessionToken` — without retries so that every refusal shows at once."""
        return boto3.session.Session().client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=secret or key["SecretAccessKey"],
            aws_session_token=key.get("SessionToken"),
            config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}),
        )

    def aws(self, key, *args, region="us-east-1", service="iam"):
        """`aws SERVICE ARGS --endpoint-url URL --output json` as `key` (temporary credentials
        when it holds a `SessionToken`): (exit code, JSON or None, stderr)."""
        environ = dict(os.environ)
        environ.update(
            AWS_ACCESS_KEY_ID=key["AccessKeyId"],
            AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"],
            AWS_DEFAULT_REGION=region,
            AWS_PAGER="",
            AWS_MAX_ATTEMPTS="1",
        )
        if key.get("SessionToken"):
            environ["AWS_SESSION_TOKEN"] = key["SessionToken"]
        p = subprocess.run(
            [aws_executable(), service, *args, "--endpoint-url", self.url, "--output", "json"],
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
        )
        out = json.loads(p.stdout) if p.stdout.strip() else None
        return p.returncode, out, p.stderr

    def rows(self, sql, **params):
        """The rows of a read-only query on the server's database, as dicts; `sql` names its
        parameters `:name` (both drivers read that form)."""
        if self.db.startswith(("postgres://", "postgresql://")):
            url = urllib.parse.urlsplit(self.db)
            db = pg8000.native.Connection(
                user=url.username or "postgres",
                host=url.hostname,
                port=url.port or 5432,
                database=url.path.lstrip("/"),
                password=url.password,
            )
            try:
                db.run("SET default_transaction_read_only = on")
                found = db.run(sql, **params)
                names = [c["name"] for c in db.columns or []]
            finally:
                db.close()
            return [dict(zip(names, row)) for row in found]
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute(sql, params).fetchall()]

    def audit(self, request_id):
        """The audit rows of one request (read-only, beside the running server): the row it wrote,
        or the row of identical refusals it was counted on last (security rule 25)."""
        return self.rows(
            "SELECT actor, action, target_user, serial_number, outcome, error_code, repeats "
            "FROM audit_events WHERE request_id = :rid OR last_request_id = :rid",
            rid=request_id,
        )

    def device_state(self, serial):
        found = self.rows(
            "SELECT drift_steps, last_used_step, failures, throttled_until FROM mfa_devices "
            "WHERE serial_number = :serial",
            serial=serial,
        )
        if not found:
            return None
        r = found[0]
        return (r["drift_steps"], r["last_used_step"], r["failures"], r["throttled_until"])

    def signed(self, key, params, *, secret=None, region="us-east-1", service="iam", when=None):
        """A Query request signed by botocore's own SigV4Auth; `when` (UTC) replaces its clock."""
        body = urllib.parse.urlencode({"Version": "2010-05-08", **params})
        request = botocore.awsrequest.AWSRequest(
            method="POST",
            url=self.url.rstrip("/") + "/",
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        creds = botocore.credentials.Credentials(key["AccessKeyId"], secret or key["SecretAccessKey"])
        signer = botocore.auth.SigV4Auth(creds, service, region)
        if when is None:
            signer.add_auth(request)
        else:
            with mock.patch("botocore.auth.get_current_datetime", return_value=when):
                signer.add_auth(request)
        return request


def send(url, body, headers, method="POST"):
    """Sends a raw request: (status, headers, XML root)."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, headers=dict(headers), method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            status, hdrs, raw = res.status, res.headers, res.read()
    except urllib.error.HTTPError as e:
        status, hdrs, raw = e.code, e.headers, e.read()
    return status, hdrs, ET.fromstring(raw)


def send_signed(request):
    return send(request.url, request.body, request.headers)


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class JsonApi:
    """The browser's JSON API with a session cookie (kept by hand: it is `Secure`, which
    http.cookiejar would not send over http://127.0.0.1)."""

    def __init__(self, url):
        self.url = url.rstrip("/")
        self.cookie = None

    def post(self, path, body):
        headers = {"Content-Type": "application/json", "X-Requested-With": "mfa-resync"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                status, hdrs, raw = res.status, res.headers, res.read()
        except urllib.error.HTTPError as e:
            status, hdrs, raw = e.code, e.headers, e.read()
        cookie = hdrs.get("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";")[0]
            ledger("session-token", self.cookie.partition("=")[2])
        return status, json.loads(raw or b"{}")

    def sign_in(self, user):
        return self.post("/api/sign-in", {"Account": "demo", "UserName": user.name, "Password": user.password})

    def mfa(self, device, code):
        return self.post("/api/sign-in/mfa", {"AuthenticationCode": code, "SerialNumber": device.serial})


def error_of(exc_info):
    """(code, HTTP status, type) of a botocore ClientError."""
    r = exc_info.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Type")


@pytest.fixture(scope="session")
def env():
    missing = [v for v in ("MFA_RESYNC_URL", "MFA_RESYNC_DEMO", "MFA_RESYNC_BIN", "MFA_RESYNC_DB") if v not in os.environ]
    if missing:
        pytest.fail(f"set {', '.join(missing)} (cargo xtask test does)")
    with open(os.environ["MFA_RESYNC_DEMO"]) as f:
        demo = json.load(f)
    ledger("password", demo["Root"]["Password"])
    for u in demo["Users"]:
        ledger("password", u["Password"])
    for d in demo["Devices"]:
        ledger("seed", d.get("Base32Seed"))
    assert aws_executable(), "the aws CLI is not installed beside this Python"
    return Env(os.environ["MFA_RESYNC_URL"], demo, os.environ["MFA_RESYNC_BIN"], os.environ["MFA_RESYNC_DB"])


@pytest.fixture(scope="session")
def root_key(env):
    """A root access key for the session (deleted at the end: root may hold only two)."""
    key = env.access_key()
    yield key
    env.iam(key).delete_access_key(AccessKeyId=key["AccessKeyId"])


@pytest.fixture
def self_service(env):
    """A fresh IAM user under the AWS guide's self-service policy, its access key and a virtual
    device running 7 steps fast."""
    user = env.new_user()
    device = env.import_device(user, drift=7)
    return user, env.access_key(user), device

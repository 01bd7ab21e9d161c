"""A throwaway PostgreSQL cluster on loopback for the database bootstrap tests, set up the way an
RDS instance is: TLS only with SCRAM passwords over TCP, `log_statement = ddl`, an `rds_iam`
role, and a master user that is not a superuser but has CREATEROLE and CREATEDB and belongs to
an `rds_superuser` role, owning the application database.

Debian's `postgresql` package provides the binaries (`/usr/lib/postgresql/<major>/bin`; `.ci/run`
installs it). Running as root, the server runs as the `postgres` user (initdb refuses root).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pg8000.native

SUPERUSER = "cluster_admin"
MASTER = "app_admin"
MASTER_PASSWORD = "Mast3r-Passw0rd-Never-Logged"
DATABASE = "app"
SETUP = [
    # What RDS creates: rds_iam marks IAM-authenticated users, rds_superuser is what the master
    # user belongs to; the master is not a superuser.
    "CREATE ROLE rds_iam NOLOGIN",
    "CREATE ROLE rds_superuser NOLOGIN",
    f"CREATE ROLE {MASTER} LOGIN CREATEROLE CREATEDB IN ROLE rds_superuser",
    f"CREATE DATABASE {DATABASE} OWNER {MASTER}",
]


def binaries() -> Path | None:
    """The newest Debian PostgreSQL bin directory, if one is installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


@dataclass
class Cluster:
    bin_dir: Path
    base: Path
    port: int
    ca_file: Path
    log_file: Path
    run_as: str | None

    @property
    def socket_dir(self) -> Path:
        return self.base / "socket"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.run_as, "--"] if self.run_as else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=60)

    def superuser(self, database: str = DATABASE) -> pg8000.native.Connection:
        """A superuser session over the Unix socket (trust), for setup and catalog checks. Without
        TLS (ssl_context=False): PostgreSQL offers none on a Unix socket, and pg8000 would first
        build a default SSL context to ask, loading the system's trust store (40 ms of CPU)."""
        return pg8000.native.Connection(
            SUPERUSER, unix_sock=str(self.socket_dir / f".s.PGSQL.{self.port}"), database=database, ssl_context=False
        )

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace")

    def stop(self) -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.base / "data"), "-m", "fast", "-w")


def start(bin_dir: Path) -> Iterator[Cluster]:
    base = Path(tempfile.mkdtemp(prefix="pg-bootstrap-"))
    run_as = "postgres" if os.geteuid() == 0 else None
    for directory in (base, base / "socket"):
        directory.mkdir(exist_ok=True)
        directory.chmod(0o755)
    ca_file, cert_file, key_file = _certificates(base)
    if run_as:
        user = pwd.getpwnam(run_as)
        for path in [base, *base.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid)
    cluster = Cluster(bin_dir, base, _free_port(), ca_file, base / "server.log", run_as)
    data = str(base / "data")
    cluster._run(str(bin_dir / "initdb"), "-D", data, "-U", SUPERUSER, "--auth-local=trust", "-A", "reject", "-N")
    (base / "data" / "pg_hba.conf").write_text(
        "local all all trust\n"
        "hostssl all all 127.0.0.1/32 scram-sha-256\n"
        # What rds.force_ssl=1 does: no unencrypted connection.
        "hostnossl all all 0.0.0.0/0 reject\n"
    )
    options = {
        "listen_addresses": "127.0.0.1",
        "port": str(cluster.port),
        "unix_socket_directories": str(cluster.socket_dir),
        "ssl": "on",
        "ssl_cert_file": str(cert_file),
        "ssl_key_file": str(key_file),
        "password_encryption": "scram-sha-256",
        "log_statement": "ddl",
        "fsync": "off",
    }
    settings = " ".join(f"-c {key}={value}" for key, value in options.items())
    pg_ctl = str(bin_dir / "pg_ctl")
    cluster._run(pg_ctl, "start", "-D", data, "-w", "-t", "60", "-l", str(cluster.log_file), "-o", settings)
    try:
        with _closing(cluster.superuser("postgres")) as admin:
            for statement in SETUP:
                admin.run(statement)
            # Set the password as a SCRAM verifier computed here, so no log line ever holds it.
            admin.run(f"ALTER ROLE {MASTER} PASSWORD {pg8000.native.literal(_verifier(MASTER_PASSWORD))}")
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


class _closing:
    def __init__(self, connection: pg8000.native.Connection):
        self.connection = connection

    def __enter__(self) -> pg8000.native.Connection:
        return self.connection

    def __exit__(self, *exc: object) -> None:
        self.connection.close()


def _verifier(password: str, iterations: int = 4096) -> str:
    """PostgreSQL's stored SCRAM-SHA-256 verifier of `password` (RFC 5802, RFC 7677)."""
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    stored_key = hashlib.sha256(hmac.digest(salted, b"Client Key", "sha256")).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")
    b64 = base64.b64encode
    return f"SCRAM-SHA-256${iterations}:{b64(salt).decode()}${b64(stored_key).decode()}:{b64(server_key).decode()}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _certificates(base: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for localhost / 127.0.0.1 signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test RDS Root CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = base / "ca.pem", base / "server.crt", base / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    return ca_file, cert_file, key_file

"""The broker's private certificate authority, made with the `openssl`
command (installed by tools/bootstrap.sh) so Pickgun needs no crypto
package.

The CA is made once and kept: every gun carries its certificate, so
replacing it means re-provisioning the fleet.  The server certificate is
reissued, by the same CA, whenever the names the broker answers to change.
Keys are P-256: small, and handled by the mbedTLS in MicroPython.

A site broker's folder holds the CA's certificate without its key: its
server certificate is issued on the server (`issue_into`, for `pickgun
site add`), and there `ensure` only checks that it is in place."""
import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

CA_DAYS = 7300
SERVER_DAYS = 3650
_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


class TLSError(RuntimeError):
    pass


def _openssl(*args, cwd):
    exe = shutil.which("openssl")
    if exe is None:
        raise TLSError("openssl is not installed: run tools/bootstrap.sh")
    proc = subprocess.run([exe, *args], cwd=cwd, capture_output=True,
                          text=True)
    if proc.returncode:
        raise TLSError("openssl %s failed: %s" % (args[0], proc.stderr))


def _is_ip(name):
    return name.replace(".", "").isdigit() or ":" in name


def san(names):
    """subjectAltName value.  An IP goes in as IP and as DNS too: older
    mbedTLS releases compare the host name only with DNS entries."""
    out = []
    for n in names:
        out.append(("IP:%s" % n) if _is_ip(n) else "DNS:%s" % n)
        if _is_ip(n) and ":" not in n:
            out.append("DNS:%s" % n)
    return ",".join(out)


class Authority:
    """Files in `folder`: ca.key, ca.pem, ca.der (what guns load),
    server.key, server.pem, server.san (names the server cert holds)."""

    def __init__(self, folder):
        self.dir = Path(folder)
        self.ca_key = self.dir / "ca.key"
        self.ca_pem = self.dir / "ca.pem"
        self.ca_der = self.dir / "ca.der"
        self.key = self.dir / "server.key"
        self.cert = self.dir / "server.pem"
        self.names_file = self.dir / "server.san"

    def ensure(self, names):
        """Make what is missing; return True if anything was (re)made."""
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o755)
        if self.ca_pem.exists() and not self.ca_key.exists():
            return self._check_issued()
        made = False
        if not (self.ca_key.exists() and self.ca_pem.exists()):
            self._make_ca()
            made = True
        elif not self.ca_der.exists():
            _openssl("x509", "-in", str(self.ca_pem), "-outform", "DER",
                     "-out", str(self.ca_der), cwd=self.dir)
        want = san(names)
        if made or not self.cert.exists() or not self.key.exists() or \
                self._read(self.names_file) != want:
            self._make_server(want, names[0])
            made = True
        return made

    def _check_issued(self):
        """A folder whose certificate was issued elsewhere: nothing to
        make here (no CA key), only to find."""
        for path in (self.ca_der, self.cert, self.key):
            if not path.exists():
                raise TLSError("%s is missing and the CA's key is not here: "
                               "issue it on the Pickgun server (pickgun "
                               "site add)" % path)
        return False

    def issue_into(self, folder, names):
        """Another broker's TLS folder (a site's): this CA's certificate,
        and a server certificate and key for `names` signed by this CA,
        never the CA's key.  Returns that folder's Authority."""
        if not (self.ca_key.exists() and self.ca_der.exists()):
            raise TLSError("no CA in %s: start the server's broker with TLS "
                           "once (pickgun up)" % self.dir)
        other = Authority(folder)
        other.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(other.dir, 0o755)
        for mine, theirs in ((self.ca_pem, other.ca_pem),
                             (self.ca_der, other.ca_der)):
            shutil.copyfile(mine, theirs)
            os.chmod(theirs, 0o644)
        self._make_server(san(names), names[0], into=other)
        return other

    @staticmethod
    def _read(path):
        try:
            return path.read_text().strip()
        except OSError:
            return None

    def _make_ca(self):
        with tempfile.TemporaryDirectory(dir=self.dir) as tmp:
            _openssl("req", "-x509", *_EC, "-keyout", "ca.key",
                     "-out", "ca.pem", "-days", str(CA_DAYS),
                     # a random tag tells two installations' CAs apart
                     "-subj", "/CN=Pickgun broker CA %s"
                     % secrets.token_hex(4),
                     "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                     cwd=tmp)
            _openssl("x509", "-in", "ca.pem", "-outform", "DER",
                     "-out", "ca.der", cwd=tmp)
            self._install(tmp, ("ca.key", 0o600), ("ca.der", 0o644),
                          ("ca.pem", 0o644))
        for stale in (self.cert, self.names_file):
            stale.unlink(missing_ok=True)

    def _make_server(self, want, common_name, into=None):
        """A server certificate signed by this CA, installed in `into`'s
        folder (a site's; this one when None)."""
        into = into or self
        with tempfile.TemporaryDirectory(dir=into.dir) as tmp:
            Path(tmp, "ext.cnf").write_text(
                "subjectAltName=%s\nbasicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\n" % want)
            _openssl("req", "-new", *_EC, "-keyout", "server.key",
                     "-out", "server.csr", "-subj", "/CN=%s" % common_name,
                     cwd=tmp)
            _openssl("x509", "-req", "-in", "server.csr",
                     "-CA", str(self.ca_pem), "-CAkey", str(self.ca_key),
                     "-set_serial", "0x" + secrets.token_hex(12),
                     "-days", str(SERVER_DAYS), "-extfile", "ext.cnf",
                     "-out", "server.pem", cwd=tmp)
            Path(tmp, "server.san").write_text(want + "\n")
            # The name stamp goes last: if we stop half-way, the next
            # start sees no stamp and reissues the pair.
            into.names_file.unlink(missing_ok=True)
            into._install(tmp, ("server.key", 0o600), ("server.pem", 0o644),
                          ("server.san", 0o644))

    def _install(self, tmp, *files):
        for name, mode in files:
            os.chmod(os.path.join(tmp, name), mode)
            os.replace(os.path.join(tmp, name), self.dir / name)

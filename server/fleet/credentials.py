"""What a broker account's password is kept as: Mosquitto 2.0's password
file hash.  Guns are broker accounts (server.fleet.provisioning writes
their hashes); the broker (server.gunlink.broker) writes the file
Mosquitto reads, with the worker's own account beside theirs.  Only the
hash is ever stored."""
import base64
import hashlib
import hmac
import secrets

# PBKDF2-SHA512 rounds of a broker password hash.  Mosquitto 2.0 reads
# the count from each hash ($7$<rounds>$salt$digest), so older hashes
# (mosquitto_passwd's 101 rounds) keep working beside new ones.  It
# checks a password on its one thread: about 0.4 ms per 1,000 rounds on
# a 2-core server, so 20,000 rounds cost 8 ms per login and a few hundred
# guns reconnecting together (after a broker restart or a WiFi outage)
# about 2-3 s of broker time, well inside a gun's 10 s wait for CONNACK.
# bench/broker_login.py measures it; docs/protocol.md says why not more.
HASH_ROUNDS = 20_000


def password_hash(password, salt=None, iterations=HASH_ROUNDS):
    """A Mosquitto 2.0 password-file hash ($7$: PBKDF2-SHA512)."""
    salt = salt or secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt,
                                 iterations)
    return "$7$%d$%s$%s" % (iterations, base64.b64encode(salt).decode(),
                            base64.b64encode(digest).decode())


def hash_rounds(hashed):
    """The PBKDF2 rounds of a $7$ hash, 0 for anything else."""
    parts = (hashed or "").split("$")
    if len(parts) == 5 and parts[1] == "7" and parts[2].isdigit():
        return int(parts[2])
    return 0


def password_matches(password, hashed):
    """Whether `password` is the one `hashed` (a $7$ hash) was made of,
    as Mosquitto checks it."""
    parts = (hashed or "").split("$")
    if len(parts) != 5 or parts[1] != "7" or not parts[2].isdigit() or \
            not isinstance(password, str):
        return False
    try:
        salt = base64.b64decode(parts[3], validate=True)
        want = base64.b64decode(parts[4], validate=True)
    except ValueError:
        return False
    got = hashlib.pbkdf2_hmac("sha512", password.encode(), salt,
                              int(parts[2]))
    return hmac.compare_digest(got, want)

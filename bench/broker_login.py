"""What a gun's broker login costs, by PBKDF2 rounds of its password hash.

    python bench/broker_login.py [--guns N] [--rounds R,R,...] [--tls]

For each round count, starts a real Mosquitto (Pickgun's configuration)
whose password file holds N guns hashed with that many rounds, then:

1. one login: the median CONNECT -> CONNACK time of 20 logins in a row;
2. a reconnect storm: all N guns send CONNECT at once (as after a broker
   restart); prints the time until the last CONNACK, i.e. how long the
   broker's one thread is busy checking passwords (with --tls, the TLS
   handshakes are done before the clock starts).

The default round count is server.fleet.credentials.HASH_ROUNDS."""
import argparse
import os
import socket
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.fleet.credentials import HASH_ROUNDS, password_hash
from server.gunlink.broker import Broker

PASSWORD = "bench-password-24-chars!"


def connect_packet(user, password):
    def field(text):
        data = text.encode()
        return len(data).to_bytes(2, "big") + data
    body = (field("MQTT") + bytes([4, 0xC2]) + (60).to_bytes(2, "big") +
            field(user) + field(user) + field(password))
    length, size = b"", len(body)
    while True:
        byte, size = size % 128, size // 128
        length += bytes([byte | (0x80 if size else 0)])
        if not size:
            break
    return b"\x10" + length + body


def open_socket(broker, context):
    host, port = ("127.0.0.1", broker.tls_port) if context else \
        ("127.0.0.1", broker.port)
    sock = socket.create_connection((host, port), timeout=60)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if context:
        sock = context.wrap_socket(sock, server_hostname="127.0.0.1")
    return sock


def connack(sock):
    data = b""
    while len(data) < 4:
        chunk = sock.recv(4 - len(data))
        if not chunk:
            raise RuntimeError("broker closed the connection")
        data += chunk
    if data[0] != 0x20 or data[3] != 0:
        raise RuntimeError("login refused: %r" % data)


def one_login(broker, context, user):
    sock = open_socket(broker, context)
    try:
        start = time.perf_counter()
        sock.sendall(connect_packet(user, PASSWORD))
        connack(sock)
        return time.perf_counter() - start
    finally:
        sock.close()


def storm(broker, context, users):
    socks = [open_socket(broker, context) for _ in users]
    try:
        start = time.perf_counter()
        for sock, user in zip(socks, users, strict=True):
            sock.sendall(connect_packet(user, PASSWORD))
        for sock in socks:
            connack(sock)
        return time.perf_counter() - start
    finally:
        for sock in socks:
            sock.close()


def run(rounds, guns, tls):
    hashed = password_hash(PASSWORD, iterations=rounds)
    users = ["G%03d" % i for i in range(1, guns + 1)]
    with tempfile.TemporaryDirectory() as workdir:
        broker = Broker(workdir, device_hashes={u: hashed for u in users},
                        tls=tls)
        with broker:
            context = None
            if tls:
                context = ssl.create_default_context(
                    cafile=str(broker.ca_pem_path))
            single = statistics.median(one_login(broker, context, users[0])
                                       for _ in range(20))
            burst = storm(broker, context, users)
    print("%9d rounds  one login %7.1f ms  %d guns at once %6.2f s"
          % (rounds, single * 1000, guns, burst))


def main():
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--guns", type=int, default=300)
    parser.add_argument("--rounds", default="101,%d,50000,100000"
                        % HASH_ROUNDS)
    parser.add_argument("--tls", action="store_true",
                        help="log in over the TLS listener, as guns do")
    args = parser.parse_args()
    print("Mosquitto login cost (%s, %d CPUs)"
          % ("TLS" if args.tls else "plain", os.cpu_count()))
    for rounds in sorted({int(r) for r in args.rounds.split(",")}):
        run(rounds, args.guns, args.tls)


if __name__ == "__main__":
    main()

# The gun's config.json, checked before anything uses it, so a bad
# provisioning shows what is wrong on the screen instead of a crash loop.
from shared import wire


def problems(cfg, board=None):
    """A list of short messages; empty when the config is usable.  With a
    board that has a pin table, its "pins" too."""
    if not isinstance(cfg, dict):
        return ["config.json is not a JSON object"]
    out = []
    dev = cfg.get("id")
    if not isinstance(dev, str) or not wire.is_device_id(dev):
        out.append("bad gun id")
    pw = cfg.get("password")
    if not isinstance(pw, str) or not pw:
        out.append("no password")
    host = cfg.get("broker")
    if not isinstance(host, str) or not host:
        out.append("no broker address")
    tls = cfg.get("tls", False)
    if not isinstance(tls, bool):
        out.append("bad tls flag")
    elif tls and not _der(cfg.get("ca")):
        out.append("tls: no CA certificate")
    for key in ("ssid", "wifi_password", "board", "ntp"):
        if key in cfg and not isinstance(cfg[key], str):
            out.append("bad " + key)
    # Numbers (pins: each value): name, lowest, highest.  A wrong type
    # would otherwise fail deep in the MQTT session, over and over, or
    # (max_packet, allocated at start-up) stop the gun at every boot.
    for key, lo, hi in (("port", 1, 65535), ("ntp_port", 1, 65535),
                        ("keepalive", 0, 65535),
                        ("window", 1, 64), ("resend_ms", 100, 86400000),
                        ("backoff_ms", 10, 86400000),
                        ("backoff_max_ms", 10, 86400000),
                        ("status_ms", 0, 86400000),
                        ("dim_ms", 0, 86400000), ("blank_ms", 0, 86400000),
                        ("max_packet", 1024, 16384), ("pins", 0, 1000000)):
        if key not in cfg:
            continue
        v = cfg[key]
        if not all(isinstance(n, int) and not isinstance(n, bool) and
                   lo <= n <= hi for n in (v.values() if key == "pins" and
                                           isinstance(v, dict) else (v,))):
            out.append("bad broker port" if key == "port" else "bad " + key)
    if "camera" in cfg:             # a camera gun's trigger and frames
        from gun import camera
        out.extend(camera.problems(cfg["camera"], board))
    # The pins against the board's pin table (boards/_esp32.py), once
    # they are numbers; a board without pins (the simulator) has no check.
    check = getattr(board, "pin_problems", None)
    if check and "pins" in cfg and not out:
        out.extend(check(cfg["pins"]))
    return out


def _der(ca):
    """The CA certificate: DER, base64 in config.json (one file to copy,
    and what MicroPython's ssl loads)."""
    if not isinstance(ca, str) or not ca:
        return None
    from binascii import a2b_base64
    try:
        return a2b_base64(ca)
    except ValueError:
        return None


def load(board):
    """(cfg, problems): a missing or unreadable file is a problem too."""
    try:
        cfg = board.config()
    except OSError:
        return None, ["no config.json: provision the gun"]
    except ValueError:
        return None, ["config.json is not valid JSON"]
    return cfg, problems(cfg, board)

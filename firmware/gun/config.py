# The gun's config.json, checked before anything uses it, so a bad
# provisioning shows what is wrong on the screen instead of a crash loop.
from shared import wire


def problems(cfg):
    """A list of short messages; empty when the config is usable."""
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
    port = cfg.get("port", 8883 if tls is True else 1883)
    if not isinstance(port, int) or isinstance(port, bool) \
            or not 0 < port < 65536:
        out.append("bad broker port")
    for key in ("ssid", "wifi_password"):
        if key in cfg and not isinstance(cfg[key], str):
            out.append("bad " + key)
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
    return cfg, problems(cfg)

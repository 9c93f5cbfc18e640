# TLS for the broker link: the ssl context the board wraps the socket
# with, and TLS failures named for the log and the screen.  A module of
# its own so guns without TLS do not carry its code on their heap.
from gun.mqtt import MQTTError


def context(ca):
    """(context, None) or (None, error).  Built once per boot: the parsed CA
    lives in the context, and rebuilding it at each reconnect would churn
    the small heap."""
    try:
        import ssl
        from binascii import a2b_base64
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cadata=a2b_base64(ca))
        return ctx, None
    except Exception:
        return None, MQTTError("TLS: bad CA certificate in config")


def link_error(e):
    """A TLS failure under a name a technician can act on.  mbedTLS raises
    ValueError for a certificate it refuses, OSError with a negative
    (mbedTLS) code for other handshake failures."""
    if isinstance(e, ValueError):
        msg = str(e)
        if "CN" in msg or "name" in msg:
            return MQTTError("TLS: certificate is not for this broker name")
        if "valid" in msg:
            return MQTTError("TLS: certificate out of date (check clock)")
        return MQTTError("TLS: certificate not trusted")
    if isinstance(e, OSError) and not isinstance(e, MQTTError) and e.args \
            and isinstance(e.args[0], int) and e.args[0] < 0:
        return MQTTError("TLS: handshake failed (%d)" % e.args[0])
    return e

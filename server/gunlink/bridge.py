"""A site broker's bridge to the central broker (docs/scale.md, Sites).

A site runs its own Mosquitto that the site's guns connect to; it carries
their traffic to the central broker, where the worker runs, over one MQTT
connection of its own: the bridge.  This module says what that connection
is: the `connection` section of the site broker's mosquitto.conf (Broker's
`bridge`) and, on the central broker, the ACL block of the bridge's user
(Broker's `bridge_users`), which gives it exactly the topics it carries.

The bridge's session is persistent on both sides (`cleansession false`):
while the link is down the site broker queues the guns' events and
statuses for it, and the central broker queues the acks, answers, hold
lists and snapshot changes for it; both are delivered when it returns.
Events that cross twice (in flight when the link dropped) are harmless:
the server keeps one per (device, ep, seq) and the gun's journal clears
only on the server's ack."""
from dataclasses import dataclass

from shared import wire

# (topic filter, direction seen from the site, QoS).  "out": published at
# the site, sent to central; "in": published centrally, brought to the site.
TOPICS = (
    (wire.EVT_FILTER, "out", 1),
    (wire.STATUS_FILTER, "out", 1),
    (wire.GET_FILTER, "out", 1),
    (wire.ROOT + "/dev/+/" + wire.ACK, "in", 1),
    (wire.ROOT + "/dev/+/" + wire.ANSWER, "in", 1),
    (wire.ROOT + "/dev/+/" + wire.HOLD, "in", 1),
    (wire.ROOT + "/order/#", "in", 1),
    (wire.FW_TOPIC, "in", 1),
    (wire.ROSTER_TOPIC, "in", 1),
    (wire.LOTS_TOPIC, "in", 1),
)

USER_PREFIX = "pickgun-site-"
# Seconds before trying to reach the central broker again: Mosquitto's
# back-off form, "base cap" (jittered, growing up to the cap).  Always
# the two-value form: Mosquitto 2.0.11 with a single value was seen to
# wait about 5 s after a dropped link whatever the value.
RESTART_TIMEOUT = (5, 60)
KEEPALIVE = 60


def bridge_user(site):
    """The bridge's user name on the central broker, also its client id
    there (the central broker uses user names as client ids)."""
    return USER_PREFIX + site


@dataclass
class Bridge:
    """What the site broker needs to reach the central broker."""
    site: str
    host: str
    port: int
    password: str
    cafile: str                          # Pickgun's CA (PEM)
    restart_timeout: tuple[int, int] = RESTART_TIMEOUT
    keepalive: int = KEEPALIVE           # Mosquitto's floor is 5 seconds

    @property
    def user(self):
        return bridge_user(self.site)

    def section(self):
        """The `connection` section for the site broker's mosquitto.conf:
        last in the file, since bridge options apply to the connection
        above them."""
        lines = [
            "# The bridge to the central broker (server/gunlink/bridge.py).",
            "connection central",
            "address %s:%d" % (self.host, self.port),
            "bridge_protocol_version mqttv311",
            # Verify central's certificate against Pickgun's CA and its
            # name against `address`, as a gun does.
            "bridge_cafile %s" % self.cafile,
            "bridge_insecure false",
            "remote_username %s" % self.user,
            "remote_password %s" % self.password,
            # Stable: the central broker keeps this session's queue while
            # the link is down.  (Central's use_username_as_clientid would
            # make it the user name anyway: the two are the same.)
            "remote_clientid %s" % self.user,
            "local_clientid %s.local" % self.user,
            # Persistent on both ends: central queues what the site missed,
            # the site queues what central missed (local_cleansession
            # follows cleansession unless told otherwise).
            "cleansession false",
            "local_cleansession false",
            # Tell central this is a bridge: no loops, retained flags kept
            # (snapshots and hold lists stay retained at the site).
            "try_private true",
            "start_type automatic",
            "restart_timeout %s" % " ".join(
                str(int(t)) for t in self.restart_timeout),
            "keepalive_interval %d" % self.keepalive,
            # The link's state, retained on the site broker only:
            # 1 connected, 0 not.
            "notifications true",
            "notifications_local_only true",
            "notification_topic %s" % link_topic(self.site),
        ]
        lines += ["topic %s %s %d" % t for t in TOPICS]
        return "\n".join(lines) + "\n"


def link_topic(site):
    return "%s/site/%s/link" % (wire.ROOT, site)


def acl_block(user):
    """The central broker's ACL for one bridge user: what it carries, no
    more (its `out` topics it writes, its `in` topics it reads)."""
    lines = ["", "# The bridge of site %s." % user[len(USER_PREFIX):],
             "user %s" % user]
    for topic, direction, _qos in TOPICS:
        lines.append("topic %s %s" % (
            "write" if direction == "out" else "read", topic))
    return "\n".join(lines) + "\n"

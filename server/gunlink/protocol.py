"""The messages between the worker's two processes (server.gunlink.worker,
paho's side, and server.gunlink.ingest_process, the SQLite writer), over
a pair of multiprocessing pipes.  Each message is a tuple: its kind, then
the kind's arguments.

  MQTT side -> ingest                 ingest -> MQTT side
  BATCH [(topic, payload)]            ACKS n [(topic, payload)]
  CONNECTED                           DROPPED n
  DISCONNECTED                        SNAPSHOTS [(order, rev, payload)]
  PUBLISHED [(order, rev)]            CLEARS [(order, rev)]
  CLEARED [(order, rev)]              FIRMWARE payload
  STOP                                HOLDS [(topic, payload)]
                                      RETAIN [(topic, payload)]

Every BATCH gets exactly one ACKS or DROPPED (ACKS' publishes are the
acks and the answers to gets).  HOLDS: the guns' hold lists to retain
(an empty payload clears one).  RETAIN: other messages to retain for
every gun (the roster, the lots message).  POLL is the ingest
process's own timer, handled like a message.  Each side handles a kind by
its dispatch table ({kind: handler}, `dispatch`), so a kind this module
does not name is an error, not a silently missing method."""

# MQTT side -> ingest process
BATCH = "batch"
CONNECTED = "connected"
DISCONNECTED = "disconnected"
PUBLISHED = "published"
CLEARED = "cleared"
STOP = "stop"
POLL = "poll"           # the ingest process's own timer

# ingest process -> MQTT side
ACKS = "acks"
DROPPED = "dropped"
SNAPSHOTS = "snapshots"
CLEARS = "clears"
FIRMWARE = "firmware"   # the roll-out to retain (server.fleet.releases)
HOLDS = "holds"         # the guns' hold lists to retain
RETAIN = "retain"       # messages for every gun to retain: roster, lots

TO_INGEST = (BATCH, CONNECTED, DISCONNECTED, PUBLISHED, CLEARED, STOP, POLL)
TO_MQTT = (ACKS, DROPPED, SNAPSHOTS, CLEARS, FIRMWARE, HOLDS, RETAIN)


def dispatch(handlers, message):
    """Call the handler of `message`'s kind with its arguments."""
    handlers[message[0]](*message[1:])

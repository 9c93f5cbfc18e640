"""Between the database and the guns.

  broker.py          the local Mosquitto: configuration, accounts, start
  tls.py             the certificate authority guns trust (TLS on 8883)
  worker.py          the worker's MQTT process (paho): receives gun events,
                     publishes acks and snapshots
  ingest_process.py  the worker's SQLite process: records each batch, owns
                     the snapshot outbox
  protocol.py        the messages between those two processes
  ingest.py          what one gun event does to the database (a pick once)
  ingest_parse.py    reading one message against the wire contract
  ingest_acks.py     which acks a batch earns
  gun_payloads.py    the server's checks of what guns send
  snapshots.py       what a gun is told about an order, and when
"""

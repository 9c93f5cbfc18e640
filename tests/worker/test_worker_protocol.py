"""The messages between the worker's two processes: each side handles
every kind the protocol sends it, and no other (server.gunlink.protocol)."""
import multiprocessing

from server.gunlink import protocol
from server.gunlink.ingest_process import Ingester
from server.gunlink.worker import Worker


def test_the_mqtt_side_handles_what_the_ingest_process_sends():
    worker = Worker(":memory:")
    assert set(worker._handlers) == set(protocol.TO_MQTT)


def test_the_ingest_process_handles_what_the_mqtt_side_sends():
    ours, theirs = multiprocessing.Pipe()
    try:
        ingester = Ingester(ours, ours, ":memory:", 1.0)
        # STOP ends the loop before any handler.
        assert set(ingester._handlers) | {protocol.STOP} == \
            set(protocol.TO_INGEST)
    finally:
        ours.close()
        theirs.close()


def test_dispatch_calls_the_kind_handler_with_its_arguments():
    seen = []
    protocol.dispatch({protocol.DROPPED: seen.append}, (protocol.DROPPED, 3))
    assert seen == [3]

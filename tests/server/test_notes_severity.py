"""Note severity (must-acknowledge or information) through the service,
the page and the API, and who acknowledged each note on which gun."""
import re

import pytest

from order_helpers import history_count, order_row
from server.orders import records
from server.core import errors
from server.orders import actions
from server.orders import queries
from server.core.db import transaction
from server.gunlink.ingest import ingest_batch
from shared import wire

GUN_AT = 1700000000                      # 2023-11-14 22:13:20 UTC
GUN_AT_TEXT = "2023-11-14 22:13:20"


def notes_ack(order_id, note_ids, seq=1, device="G01", ep=7, at=GUN_AT):
    obj = wire.event(ep, seq, wire.NOTES_ACK, order_id, at, notes=note_ids)
    return wire.dev_topic(device, wire.EVT), wire.encode(obj)


def note_ids(db, order_id):
    return [r["id"] for r in db.execute(
        "SELECT id FROM notes WHERE order_id = ? ORDER BY id", [order_id])]


def note_item(html, note_id):
    """The <li> of one note in the Notes section."""
    start = html.index('id="note-%d"' % note_id)
    end = html.find('<li class="note', start + 1)
    return html[start:end if end != -1 else html.index("</ul>", start)]


# ---------------------------------------------------------------- service
def test_default_severity_is_ack(demo):
    note_id = actions.add_note(demo, 1004, "Check ID at the door", "csr")
    assert demo["notes"].get(note_id)["severity"] == "ack"


def test_info_note_bumps_rev_and_history(demo):
    rev = order_row(demo, 1004)["rev"]
    count = history_count(demo, 1004)
    note_id = actions.add_note(demo, 1004, "Client prefers mornings", "csr",
                              severity="info")
    assert demo["notes"].get(note_id)["severity"] == "info"
    assert order_row(demo, 1004)["rev"] == rev + 1     # guns see it too
    assert history_count(demo, 1004) == count + 1
    assert queries.order_history(demo, 1004)[0]["detail"] == \
        "[info] Client prefers mornings"


@pytest.mark.parametrize("severity", ["", "urgent", "ACK", 1, ["ack"]])
def test_bad_severity_changes_nothing(demo, severity):
    before = (note_ids(demo, 1004), order_row(demo, 1004)["rev"],
              history_count(demo, 1004))
    with pytest.raises(errors.BadInput, match="severity"):
        actions.add_note(demo, 1004, "Text", "csr", severity=severity)
    assert (note_ids(demo, 1004), order_row(demo, 1004)["rev"],
            history_count(demo, 1004)) == before


def test_apply_action_passes_severity(demo):
    result = actions.apply_action(demo, 1004, "add_note", "csr",
                                 {"text": "FYI", "severity": "info"})
    assert demo["notes"].get(result["note_id"])["severity"] == "info"


def test_order_notes_carry_severity_label(demo):
    actions.add_note(demo, 1005, "FYI only", "csr", severity="info")
    notes = records.order_notes(demo, 1005)
    assert [(n["severity"], n["severity_label"]) for n in notes] == [
        ("ack", "Must acknowledge"), ("info", "Information")]


# -------------------------------------------------------------------- page
def test_note_form_offers_severity(client, demo):
    html = client.get("/orders/1004").get_data(as_text=True)
    form = html[html.index('class="note-form"'):]
    form = form[:form.index("</form>")]
    assert re.search(r'name="severity" value="ack" checked', form)
    assert 'name="severity" value="info"' in form
    assert 'name="csrf_token"' in form


@pytest.mark.parametrize("severity,label", [("info", "Information"),
                                            ("ack", "Must acknowledge")])
def test_severity_round_trip_through_page(client, demo, severity, label):
    response = client.post("/orders/1004/notes", data={
        "text": "Round trip %s" % severity, "severity": severity},
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Note added" in html
    note = queries.order_notes(demo, 1004)[-1]
    assert demo["notes"].get(note["id"])["severity"] == severity
    item = note_item(html, note["id"])
    assert "Round trip %s" % severity in item
    assert 'data-severity="%s"' % severity in item and label in item
    assert "t-admin" in item


def test_page_without_severity_defaults_to_ack(client, demo):
    client.post("/orders/1004/notes", data={"text": "Plain"})
    note = queries.order_notes(demo, 1004)[-1]
    assert demo["notes"].get(note["id"])["severity"] == "ack"


def test_bad_severity_via_page_is_refused(client, demo):
    rev = order_row(demo, 1004)["rev"]
    count = len(note_ids(demo, 1004))
    html = client.post("/orders/1004/notes", data={
        "text": "Bad", "severity": "urgent"},
        follow_redirects=True).get_data(as_text=True)
    assert "flash-error" in html and "severity" in html
    assert order_row(demo, 1004)["rev"] == rev
    assert len(note_ids(demo, 1004)) == count


# --------------------------------------------------------------------- API
def test_severity_round_trip_through_api(client, demo):
    response = client.post("/api/orders/1004/notes",
                           json={"text": "Via API", "severity": "info"})
    assert response.status_code == 201
    note = response.get_json()["note"]
    assert (note["text"], note["severity"]) == ("Via API", "info")
    response = client.post("/api/orders/1004/notes", json={"text": "Plain"})
    assert response.get_json()["note"]["severity"] == "ack"
    listed = client.get("/api/orders/1004/notes").get_json()["notes"]
    assert [(n["text"], n["severity"]) for n in listed[-2:]] == [
        ("Via API", "info"), ("Plain", "ack")]


@pytest.mark.parametrize("severity", ["", "warning", 3, True, {"a": 1}])
def test_bad_severity_via_api_is_400(client, demo, severity):
    rev = order_row(demo, 1004)["rev"]
    response = client.post("/api/orders/1004/notes",
                           json={"text": "X", "severity": severity})
    assert response.status_code == 400
    assert "severity" in response.get_json()["error"]
    assert order_row(demo, 1004)["rev"] == rev


def test_notes_api_unknown_order_is_404(client, demo):
    response = client.get("/api/orders/999999/notes")
    assert response.status_code == 404
    assert response.get_json()["error"]


def test_notes_api_needs_sign_in(anon_client, demo):
    assert anon_client.get("/api/orders/1004/notes").status_code == 401


# -------------------------------------------------------------------- acks
def test_note_acks_from_gun_events(demo):
    first, second = note_ids(demo, 1004)
    ingest_batch(demo, [notes_ack(1004, [first, second])],
                 received_at="2024-05-01 12:00:00")
    ingest_batch(demo, [notes_ack(1004, [second], seq=1, device="G02",
                                  at=0)],
                 received_at="2024-05-01 12:05:00")
    acks = records.note_acks(demo, 1004)
    assert [(a["device_id"], a["device_name"], a["gun_at"], a["received_at"])
            for a in acks[first]] == [
        ("G01", "Packing bench 1", GUN_AT_TEXT, "2024-05-01 12:00:00")]
    assert [(a["device_id"], a["gun_at"]) for a in acks[second]] == [
        ("G01", GUN_AT_TEXT), ("G02", None)]


def test_acks_ignore_other_orders_rejected_events_and_foreign_ids(demo):
    note_1004 = note_ids(demo, 1004)[0]
    note_1005 = note_ids(demo, 1005)[0]
    # An ack for order 1005 naming a note of 1004 is refused (unknown_note)
    # and acknowledges neither; one naming only 1005's note is recorded.
    ingest_batch(demo, [notes_ack(1005, [note_1004, note_1005]),
                        notes_ack(1005, [note_1005], seq=3)])
    # A rejected event (unknown order) and a non-integer id count for
    # nothing either.
    ingest_batch(demo, [notes_ack(999999, [note_1004], seq=2)])
    with transaction(demo):
        demo.execute(
            "INSERT INTO device_events (device_id, ep, seq, kind, order_id, "
            "gun_at, received_at, outcome, payload) VALUES "
            "('G02', 9, 1, 'notes_ack', 1004, 0, '2024-01-01 00:00:00', "
            "'accepted', ?)",
            ['{"v": 1, "k": "notes_ack", "n": ["%d"]}' % note_1004])
        demo.execute(
            "INSERT INTO device_events (device_id, ep, seq, kind, order_id, "
            "gun_at, received_at, outcome, payload) VALUES "
            "('G02', 9, 2, 'notes_ack', 1004, 0, '2024-01-01 00:00:00', "
            "'accepted', 'not json')")
    assert records.note_acks(demo, 1004) == {}
    assert list(records.note_acks(demo, 1005)) == [note_1005]


def test_acks_shown_on_the_page(client, demo):
    first, second = note_ids(demo, 1004)
    ingest_batch(demo, [notes_ack(1004, [first])],
                 received_at="2024-05-01 12:00:00")
    html = client.get("/orders/1004").get_data(as_text=True)
    acked, pending = note_item(html, first), note_item(html, second)
    assert "Acknowledged on gun" in acked
    assert "G01" in acked and "Packing bench 1" in acked
    assert GUN_AT_TEXT in acked and "2024-05-01 12:00:00" in acked
    assert "Not yet acknowledged" in pending and "G01" not in pending


def test_unknown_gun_and_unset_clock_on_the_page(client, demo):
    (note_id,) = note_ids(demo, 1005)
    ingest_batch(demo, [notes_ack(1005, [note_id], device="G77", at=0)],
                 received_at="2024-05-02 08:00:00")
    item = note_item(client.get("/orders/1005").get_data(as_text=True),
                     note_id)
    assert "G77" in item and "gun time not set" in item
    assert "2024-05-02 08:00:00" in item


def test_info_note_shows_nothing_to_acknowledge(client, demo):
    note_id = actions.add_note(demo, 1005, "Just so you know", "csr",
                              severity="info")
    item = note_item(client.get("/orders/1005").get_data(as_text=True),
                     note_id)
    assert "nothing to acknowledge" in item


def test_acks_in_the_api(client, demo):
    first, _ = note_ids(demo, 1004)
    ingest_batch(demo, [notes_ack(1004, [first], device="G02")],
                 received_at="2024-05-01 12:00:00")
    notes = client.get("/api/orders/1004/notes").get_json()["notes"]
    assert [(a["device_id"], a["device_name"], a["gun_at"])
            for a in notes[0]["acks"]] == [
        ("G02", "Packing bench 2", GUN_AT_TEXT)]
    assert notes[1]["acks"] == []

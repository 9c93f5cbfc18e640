"""The JSON API: order detail, actions (409 when refused), notes."""
import pytest

from order_helpers import history_count, order_row
from server.orders import states
from shared import wire


def test_get_order(client, demo):
    response = client.get("/api/orders/1003")
    assert response.status_code == 200
    body = response.get_json()
    assert body["order"]["id"] == 1003
    assert body["order"]["status"] == "placed"
    assert body["order"]["status_label"] == "Order Placed"
    assert body["order"]["code"] == wire.order_code(1003)
    assert body["client"]["name"] == "Priya Raman"
    assert [(line["sku"], line["qty"], line["picked"])
            for line in body["lines"]] == [
        ("CBD-OIL-30", 1, 1), ("CBD-SFT-20", 2, 0)]
    assert {p["status"] for p in body["picks"]} == {"accepted", "rejected"}
    rejected = [p for p in body["picks"] if p["status"] == "rejected"][0]
    assert rejected["reason_text"] == wire.reason_text("wrong_product")
    assert body["notes"][0]["text"] == "Client requested discreet packaging"
    assert [a["name"] for a in body["actions"]] == [
        a.name for a in states.allowed_actions("placed")]


def test_unknown_order_is_404(client, demo):
    for response in (client.get("/api/orders/999999"),
                     client.post("/api/orders/999999/actions/take_payment",
                                 json={}),
                     client.post("/api/orders/999999/notes",
                                 json={"text": "x"})):
        assert response.status_code == 404
        assert "not found" in response.get_json()["error"]


@pytest.mark.parametrize("order_id,action", [
    (1007, "ship"), (1003, "delete"), (1001, "cancel"), (1008, "take_payment"),
    (1003, "teleport")])
def test_illegal_action_is_409_and_changes_nothing(client, demo, order_id,
                                                   action):
    before = order_row(demo, order_id)
    entries = history_count(demo, order_id)
    response = client.post("/api/orders/%d/actions/%s" % (order_id, action),
                           json={})
    assert response.status_code == 409
    assert "is not allowed for an order in status" in \
        response.get_json()["error"]
    assert order_row(demo, order_id) == before
    assert history_count(demo, order_id) == entries


def test_ship_not_fully_picked_is_409(client, demo):
    response = client.post("/api/orders/1003/actions/ship", json={})
    assert response.status_code == 409
    assert "not every line is fully picked" in response.get_json()["error"]
    assert order_row(demo, 1003)["status"] == "placed"


def test_action_returns_the_updated_order(client, demo):
    rev = order_row(demo, 1002)["rev"]
    response = client.post("/api/orders/1002/actions/mark_delivered",
                           json={"actor": "dispatch"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["result"]["to"] == "delivered"
    assert body["order"]["status"] == "delivered"
    # The signed-in staff member acts; the body cannot claim otherwise.
    assert body["history"][0]["actor"] == "t-admin"
    assert order_row(demo, 1002)["rev"] == rev + 1


def test_delete_returns_no_order(client, demo):
    body = client.post("/api/orders/1007/actions/delete",
                       json={}).get_json()
    assert body["result"]["deleted"] and body["order"] is None
    assert client.get("/api/orders/1007").status_code == 404


def test_post_note_bumps_rev(client, demo):
    rev = order_row(demo, 1004)["rev"]
    response = client.post("/api/orders/1004/notes",
                           json={"text": "Ring twice", "actor": "csr2"})
    assert response.status_code == 201
    note = response.get_json()["note"]
    assert (note["text"], note["author"]) == ("Ring twice", "t-admin")
    assert order_row(demo, 1004)["rev"] == rev + 1


@pytest.mark.parametrize("kwargs", [
    {"json": {"text": ""}}, {"json": {}}, {"json": {"text": 5}},
    {"json": ["text"]},
    {"data": "not json", "content_type": "application/json"}])
def test_bad_note_is_400(client, demo, kwargs):
    rev = order_row(demo, 1004)["rev"]
    response = client.post("/api/orders/1004/notes", **kwargs)
    assert response.status_code == 400
    assert response.get_json()["error"]
    assert order_row(demo, 1004)["rev"] == rev


def test_action_with_bad_input_is_400(client, demo):
    response = client.post("/api/orders/1007/actions/select_shipping",
                           json={"carrier": ""})
    assert response.status_code == 400
    response = client.post("/api/orders/1007/actions/select_shipping",
                           json={"carrier": "Canpar", "order_id": 1})
    assert response.status_code == 200
    assert order_row(demo, 1007)["carrier"] == "Canpar"


def test_list_orders_and_devices(client, demo):
    body = client.get("/api/orders?status=placed").get_json()
    assert {o["status"] for o in body["orders"]} == {"placed"}
    assert client.get("/api/orders?status=bogus").status_code == 400
    devices = client.get("/api/devices").get_json()["devices"]
    assert [d["id"] for d in devices] == ["G01", "G02"]

"""HTTP Basic is for the JSON API only, and API writes take a JSON body,
so a browser that remembers Basic credentials cannot be made to post a
form (or a bodiless request) on its user's behalf."""
import pytest

from order_helpers import order_row
from server.demo_data import DEMO_PASSWORD
from sign_in_helpers import csrf_app, page_token, staff_sign_in

CSR = ("csr", DEMO_PASSWORD)


@pytest.fixture
def web(app, demo):
    return csrf_app(app.config["DATABASE"])


def notes_count(db, order_id):
    return db.execute("SELECT count(*) FROM notes WHERE order_id = ?",
                      [order_id]).fetchone()[0]


@pytest.mark.parametrize("path", ["/orders/", "/orders/1004", "/clients/",
                                  "/staff/", "/devices/"])
def test_basic_credentials_do_not_open_pages(web, path):
    r = web.test_client().get(path, auth=("admin", DEMO_PASSWORD))
    assert r.status_code == 302 and r.headers["Location"].startswith(
        "/login")


def test_basic_credentials_cannot_post_a_form(web, demo):
    before = (order_row(demo, 1004), notes_count(demo, 1004))
    c = web.test_client()
    r = c.post("/orders/1004/notes", data={"text": "Forged"}, auth=CSR)
    assert r.status_code == 302 and r.headers["Location"].startswith(
        "/login")
    r = c.post("/orders/1004/actions/cancel", auth=CSR)
    assert r.status_code == 302
    assert (order_row(demo, 1004), notes_count(demo, 1004)) == before


@pytest.mark.parametrize("headers,body", [
    ({}, None),                                          # no body at all
    ({"Content-Type": "text/plain"}, '{"text": "x"}'),
    ({"Content-Type": "application/x-www-form-urlencoded"}, "text=x"),
    ({"Content-Type": "multipart/form-data; boundary=b"},
     '--b\r\nContent-Disposition: form-data; name="text"\r\n\r\nx\r\n--b--'),
])
@pytest.mark.parametrize("path", [
    "/api/orders/1004/actions/cancel", "/api/orders/1004/notes",
    "/api/orders/1001/complaints", "/api/orders/1001/returned-grams"])
def test_api_writes_need_a_json_body(web, demo, path, headers, body):
    before = (order_row(demo, 1004), order_row(demo, 1001),
              notes_count(demo, 1004))
    r = web.test_client().post(path, data=body, headers=headers, auth=CSR)
    assert r.status_code == 415
    assert "application/json" in r.get_json()["error"]
    assert (order_row(demo, 1004), order_row(demo, 1001),
            notes_count(demo, 1004)) == before


def test_api_write_with_basic_and_json(web, demo):
    r = web.test_client().post("/api/orders/1004/actions/cancel", json={},
                               auth=CSR)
    assert r.status_code == 200
    assert order_row(demo, 1004)["status"] == "cancelled"


def test_api_reads_need_no_body(web):
    r = web.test_client().get("/api/orders/1004", auth=CSR)
    assert r.status_code == 200


def test_session_api_writes_need_json_too(web, demo):
    c = web.test_client()
    staff_sign_in(c, "csr")
    token = page_token(c, "/orders/1004")
    r = c.post("/api/orders/1004/notes", data={"text": "Form"},
               headers={"X-CSRF-Token": token})
    assert r.status_code == 415 and r.get_json()["error"]
    r = c.post("/api/orders/1004/notes", json={"text": "JSON"},
               headers={"X-CSRF-Token": token})
    assert r.status_code == 201


def test_wrong_basic_credentials_get_json(web):
    r = web.test_client().post("/api/orders/1004/notes", json={"text": "x"},
                               auth=("csr", "wrong"))
    assert r.status_code == 401 and r.get_json()["error"]

"""Staff account rules hold however an account is made or changed: the
Staff page, `pickgun add-staff` and the service itself refuse the same
values with the same message, and a refusal writes nothing (a name is
never cut short to fit).  Client Portal passwords follow the same
password rule."""
import pytest
from click.testing import CliRunner

from order_helpers import everything
from server.clients import profiles
from server.web import auth
from server.staff import accounts as staff
from server.core import fields
from server.core.db import connect

GOOD = {"username": "nadia", "password": "long-enough", "role": "csr",
        "name": "Nadia B"}
# (field, value, words of the message)
BAD = [
    ("password", "x" * 201, "Password must be 8 to 200 characters"),
    ("password", "short", "Password must be 8 to 200 characters"),
    ("password", "long\x00enough", "Password must not contain control"),
    ("name", "N" * 81, "Full name is too long (at most 80 characters)"),
    ("name", "Nadia\x07B", "Full name must not contain control"),
    ("username", "n" * 41, "Username: 1 to 40 characters"),
    ("username", "\u0430dmin", "Username: 1 to 40 characters"),  # Cyrillic
    ("username", "nadia²", "Username: 1 to 40 characters"),
    ("role", "boss", "Role must be one of"),
]


def add_staff(path, **given):
    values = dict(GOOD, **given)
    return CliRunner().invoke(auth.add_staff_command, [
        values["username"], "--role", values["role"], "--name",
        values["name"], "--password", values["password"], "--db", path])


@pytest.mark.parametrize("field, value, message", BAD)
def test_cli_refuses_what_the_page_refuses(tmp_path, field, value, message):
    path = str(tmp_path / "p.db")
    if field == "role":
        # click refuses it before Pickgun sees it, naming the choices.
        result = add_staff(path, role=value)
        assert result.exit_code != 0 and "boss" in result.output
        return
    result = add_staff(path, **{field: value})
    assert result.exit_code != 0
    assert message in result.output
    db = connect(path)
    assert db["staff"].count == 0
    db.conn.close()


@pytest.mark.parametrize("field, value, message", BAD)
def test_service_and_page_refuse_the_same(client, demo, field, value,
                                          message):
    values = dict(GOOD, **{field: value})
    before = everything(demo)
    with pytest.raises(fields.BadInput, match=message.split("(")[0]):
        staff.create(demo, values["username"], values["password"],
                     values["role"], values["name"])
    response = client.post("/staff/", data=values)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert everything(demo) == before


def test_cli_keeps_the_full_name_as_given(tmp_path):
    path = str(tmp_path / "p.db")
    name = "N" * 80
    result = add_staff(path, username=" Nadia.B ", name=name)
    assert result.exit_code == 0, result.output
    assert "Staff account nadia.b (Customer service) created" in \
        result.output
    db = connect(path)
    assert db.execute("SELECT name FROM staff WHERE username = 'nadia.b'"
                      ).fetchone()[0] == name
    db.conn.close()


@pytest.mark.parametrize("password, message", [
    ("x" * 201, "Password must be 8 to 200 characters"),
    ("new\x00password", "Password must not contain control")])
def test_password_reset_follows_the_rule(client, demo, password, message):
    staff_id = demo.execute("SELECT id FROM staff WHERE username = 'csr'"
                            ).fetchone()[0]
    before = everything(demo)
    client.post("/staff/%d" % staff_id, data={"password": password})
    with client.session_transaction() as session:
        [(category, text)] = session["_flashes"]
    assert category == "error" and message in text
    assert everything(demo) == before


@pytest.mark.parametrize("password, message", [
    ("x" * 201, "Portal password must be 8 to 200 characters"),
    ("short", "Portal password must be 8 to 200 characters"),
    ("portal\x00password", "Portal password must not contain control")])
def test_portal_password_follows_the_same_rule(demo, password, message):
    form = {k: v for k, v in profiles.get_client(demo, 3).items()
            if k in {f[0] for f in profiles.FIELDS}}
    before = everything(demo)
    with pytest.raises(fields.BadInput, match=message):
        profiles.update_client(demo, 3, dict(
            {k: "" if v is None else str(v) for k, v in form.items()},
            portal_password=password))
    assert everything(demo) == before

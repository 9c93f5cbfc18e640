from gun import screens as S
from screens_show import notes, show

snap = {
    "o": 1042,
    "cl": "Jane Doe-Longname-Client",
    "pick": True,
    "notes": [],
    "lines": [
        {"sku": "SKU-%d" % i, "name": "N", "qty": 3, "got": 1}
        for i in range(7)
    ],
}
full = {
    "o": 1042,
    "cl": "",
    "pick": True,
    "notes": [],
    "lines": [{"sku": "SKU-0", "name": "N", "qty": 3, "got": 3}],
}
two = notes("x" * 200, "Client prefers morning pickup")
views = [
    show("idle"),
    show("idle", "offline", 12, msg="Order 1042 done and a long message"),
    show("order", "connecting", 3, snap=snap, oid=1042, todo_notes=two),
    show("note", todo_notes=two),
    show("info", items=two, note_i=1),
    show(
        "picking",
        "offline",
        400,
        snap=snap,
        oid=1042,
        cur_sku="SKU-0",
        last="OK B000123",
    ),
    show("picking", "offline", 1, snap=full, oid=1042),
    show(
        "refused",
        "online",
        1,
        message="Bottle on other order",
        detail="B000123",
        todo="Take it out of the order",
    ),
    show("complete", snap=snap, oid=1042),
]
for rows, big in views:
    assert len(rows) == 8, rows
    for r in rows:
        assert len(r) <= 16, (r, rows)
    if big >= 0:
        assert len(rows[big]) <= 8 and rows[big + 1] == "", rows
rows = views[2][0]
assert (
    rows[3] == "1/3 SKU-0"
    and rows[6] == "+4 more lines"
    and rows[7] == "OK: read 2 notes"
), rows
assert views[6] == (
    ["Offline   1 wait", "Order 1042", "", "", "", "", "", "0 bottles left"],
    -1,
), views[6]
assert views[8][0][5].strip() == "7 bottles", views[8]
assert S.status("online", 0) == "Online    synced"
assert S.status("offline", 3) == "Offline   3 wait"
assert S.status("connecting", 12) == "Linking  12 wait"
assert show("idle", "offline", 2)[0][4].strip() == "2 waiting"
assert S.wrap("Fragile: handle with care please") == [
    "Fragile: handle",
    "with care please",
]
assert S.wrap("ABCDEFGHIJKLMNOPQRS") == ["ABCDEFGHIJKLMNOP", "QRS"]
assert len(S.note_pages("word " * 40)) == 4  # 3 words a row, 4 rows a page
# information notes: INFO header; OK or a scan goes on, nothing to confirm
info = notes("Client prefers morning pickup", "Blue box")
rows, big = show("info", "offline", 2, items=info)
assert big == 1 and rows[1] == "INFO 1/2" and rows[2] == "", rows
assert rows[3:5] == ["Client prefers", "morning pickup"], rows
assert rows[7] == "OK: more", rows
assert show("info", items=info, note_i=1)[0][7] == "OK/scan to go on"
assert show("info", items=notes("word " * 40))[0][7] == "OK: more"
assert show("note", todo_notes=notes("Blue box"))[0][1] == "NOTE 1/1"
assert show("note", todo_notes=notes("Blue box"))[0][7] == "OK to confirm"

from shared import wire


def notes_refused(a, b, why="unknown_note", order=1042):
    assert a.screen == "refused" and b.beeps[-1] == "warn", a.screen
    rows = a.refresh()
    text = " ".join(rows)
    assert rows[3] == "Notes refused:", rows
    assert wire.reason_text(why) in text and "Order %d" % order in text, rows
    assert "Read the notes" in text, rows


def refusal(seq, why="unknown_note", order=1042, ids=(3, 9)):
    # as sync.py hands a rejection over: the event as the gun wrote it
    return {
        "seq": seq,
        "why": why,
        "o": order,
        "c": "",
        "k": "notes_ack",
        "n": list(ids),
    }


def acks(j):
    return [e["n"] for e in j.decoded() if e["k"] == "notes_ack"]


def confirm(a, n):
    for _ in range(n):
        a.on_key("OK")

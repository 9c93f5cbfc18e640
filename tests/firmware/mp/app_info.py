from shared import wire


def info(i, text):
    return wire.note(i, text, True)


def must(i, text):
    return wire.note(i, text)


def acks(j):
    return [e["n"] for e in j.decoded() if e["k"] == "notes_ack"]

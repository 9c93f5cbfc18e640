"""`pickgun labels`: writes a PDF of bottle labels and records the print;
bad input fails with a clear message and leaves no file behind."""
import os

import pytest
from click.testing import CliRunner

from server.core.db import prepare_database
from server.core.db import connect
from server.seed import seed_demo
from shared import wire
from tools.cli import cli
from tools.labels import labels_command

import pypdf
import zxingcpp


@pytest.fixture
def demo_path(tmp_path):
    path = str(tmp_path / "pickgun.db")
    prepare_database(path)
    db = connect(path)
    seed_demo(db)
    db.conn.close()
    return path


def query(path, sql, args=()):
    db = connect(path)
    try:
        return [dict(r) for r in db.execute(sql, args)]
    finally:
        db.conn.close()


def run(*args):
    return CliRunner().invoke(labels_command, list(args))


def pdf_text(path):
    reader = pypdf.PdfReader(path)
    return [p.extract_text() for p in reader.pages]


def test_registered_in_pickgun_group():
    result = CliRunner().invoke(cli, ["labels", "--help"])
    assert result.exit_code == 0 and "--order" in result.output


def test_order_labels(demo_path, tmp_path):
    out = str(tmp_path / "labels.pdf")
    result = run("--db", demo_path, "--order", "1002", "--out", out)
    assert result.exit_code == 0, result.output
    picked = query(demo_path, "SELECT k.serial, k.sku, k.lot_id FROM picks k "
                   "WHERE order_id = 1002 AND status = 'accepted' "
                   "ORDER BY id")
    assert "Wrote 3 bottle labels to " + out in result.output
    pages = pdf_text(out)
    assert len(pages) == len(picked) == 3
    for text, pick in zip(pages, picked, strict=True):
        assert pick["serial"] in text and pick["lot_id"] in text
    [row] = query(demo_path, "SELECT * FROM order_history WHERE order_id = "
                  "1002 AND action = 'print_labels'")
    assert row["detail"] == ", ".join(p["serial"] for p in picked)
    assert row["actor"].startswith("cli")


def test_serial_and_lot_labels(demo_path, tmp_path):
    out = str(tmp_path / "one.pdf")
    result = run("--db", demo_path, "--serial", "B000120", "--serial",
                 "B000120", "--out", out)
    assert result.exit_code == 0, result.output
    [text] = pdf_text(out)
    bottle = query(demo_path, "SELECT b.*, t.expires_on FROM bottles b JOIN "
                   "lots t ON t.id = b.lot_id WHERE serial = 'B000120'")[0]
    assert bottle["expires_on"] in text
    reader = pypdf.PdfReader(out)
    [code] = zxingcpp.read_barcodes(reader.pages[0].images[0].image)
    assert code.text == wire.bottle_code("B000120", bottle["sku"],
                                         bottle["lot_id"])

    sheet = str(tmp_path / "lot.pdf")
    result = run("--db", demo_path, "--lot", bottle["lot_id"], "--sheet",
                 "--out", sheet)
    assert result.exit_code == 0, result.output
    count = query(demo_path, "SELECT count(*) AS n FROM bottles WHERE "
                  "lot_id = ?", [bottle["lot_id"]])[0]["n"]
    assert "Wrote %d bottle labels" % count in result.output
    assert len(pypdf.PdfReader(sheet).pages) == 1


@pytest.mark.parametrize("args, code, message", [
    (["--serial", "B000101", "--serial", "NOPE-9"], 1, "NOPE-9"),
    ([], 2, "Choose exactly one of --order, --lot or --serial"),
    (["--order", "1002", "--lot", "L0000A"], 2, "exactly one"),
    (["--order", "4242"], 1, "Order 4242 not found"),
    (["--order", "1007"], 1, "no picked bottles"),
    (["--lot", "L0000A"], 1, "Lot L0000A not found"),
])
def test_bad_selection_writes_nothing(demo_path, tmp_path, args, code,
                                      message):
    out = tmp_path / "labels.pdf"
    result = run("--db", demo_path, *args, "--out", str(out))
    assert result.exit_code == code, result.output
    assert message in result.output
    assert not out.exists()
    assert query(demo_path, "SELECT * FROM order_history WHERE "
                 "action = 'print_labels'") == []


def test_unwritable_path_fails_without_record(demo_path, tmp_path):
    missing = tmp_path / "no-such-folder" / "labels.pdf"
    result = run("--db", demo_path, "--order", "1002", "--out", str(missing))
    assert result.exit_code == 1
    assert "Cannot write" in result.output
    assert not missing.parent.exists()
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("x")
    result = run("--db", demo_path, "--order", "1002", "--out",
                 str(not_a_folder / "labels.pdf"))
    assert result.exit_code == 1 and "Cannot write" in result.output
    assert not_a_folder.read_text() == "x"
    result = run("--db", demo_path, "--order", "1002", "--out",
                 str(tmp_path))     # a folder, not a file
    assert result.exit_code == 2
    if os.geteuid() != 0:       # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        result = run("--db", demo_path, "--order", "1002", "--out",
                     str(locked / "labels.pdf"))
        assert result.exit_code == 1 and "Cannot write" in result.output
        assert os.listdir(locked) == []
    assert query(demo_path, "SELECT * FROM order_history WHERE "
                 "action = 'print_labels'") == []


def test_missing_database_is_a_usage_error(tmp_path):
    out = tmp_path / "labels.pdf"
    result = run("--db", str(tmp_path / "none.db"), "--order", "1002",
                 "--out", str(out))
    assert result.exit_code == 2 and "no database" in result.output
    assert not out.exists() and not (tmp_path / "none.db").exists()

"""One device error or one bad value must not reset or freeze the gun: the
display, scan and key tasks, a buzzer that fails, and a flash that is full
(OSError 28) or failing (OSError 5), inside the real MicroPython.

The flash tests run the real journal and order store on littlefs over a
small simulated flash held in RAM (mplib/sim_flash.py); that image is not
part of a gun's heap, so those scripts get 160k instead of 110k.
Scripts: tests/firmware/mp/faults_*.py."""
from mp import check, script

FLASH_HEAP = "160k"


def test_display_task_survives_panel_errors_and_bad_fields():
    check(script("faults_display_task_survives_panel_errors_and_bad_fields"))


def test_display_task_waits_for_a_panel_that_fails_to_start():
    check(script("faults_display_task_waits_for_a_panel_that_fails_to_start"))


def test_input_tasks_and_buzzer_survive_device_errors():
    check(script("faults_input_tasks_and_buzzer_survive_device_errors"))


def test_unexpected_error_refuses_the_input_and_records_nothing():
    check(script("faults_unexpected_error_refuses_the_input"))


def test_flash_full_refuses_the_scan_and_loses_nothing():
    out = check(script("faults_flash_full_refuses_the_scan_and_loses_nothing"),
                heapsize=FLASH_HEAP)
    assert int(out.split("FILLED")[1].split()[0]) > 8


def test_flash_full_while_confirming_notes():
    check(script("faults_flash_full_while_confirming_notes"),
          heapsize=FLASH_HEAP)


def test_failing_flash_refuses_the_scan_and_loses_nothing():
    check(script("faults_failing_flash_refuses_the_scan_and_loses_nothing"),
          heapsize=FLASH_HEAP)


def test_flash_that_cannot_be_read_back_refuses_scans_and_loses_nothing():
    # A write fails and so does the journal's re-read of itself: the
    # journal must not start over; it refuses scans until it reads again.
    check(script("faults_flash_unreadable_refuses_scans"),
          heapsize=FLASH_HEAP)


def test_cached_snapshot_the_flash_fails_to_read_is_kept():
    # A read error at any point of reading a cached snapshot back: the
    # order does not open now, and opens once the flash reads again (the
    # file is only deleted when what was read is not a snapshot).
    check(script("faults_cached_snapshot_the_flash_fails_to_read_is_kept"),
          heapsize=FLASH_HEAP)

"""Serial QR decoder framing and debounce, inside MicroPython (scripts:
tests/firmware/mp/scanner_*.py)."""
from mp import FLOOR_HEAP, check, script


def test_terminators_and_chunking():
    check(script("scanner_terminators_and_chunking"))


def test_identical_code_debounced_within_window():
    check(script("scanner_identical_code_debounced_within_window"))


def test_overlong_line_is_a_misread_then_recovers():
    check(script("scanner_overlong_line_is_a_misread_then_recovers"))


def test_non_printable_bytes_replaced():
    check(script("scanner_non_printable_bytes_replaced"))


def test_framing_allocates_nothing_per_byte():
    check(script("scanner_framing_allocates_nothing_per_byte"))


# Hostile bytes from the decoder's UART: every kind of garbage is refused
# (foreign, format, or check for a line too long to be a code), nothing
# is recorded, and framing stays in its fixed buffers.


def test_hostile_bytes_are_refused_and_record_nothing():
    # The whole app as .mpy in the heap, as test_app's sign-in script.
    check(script("scanner_hostile_bytes_are_refused_and_record_nothing"),
          heapsize=FLOOR_HEAP)


def test_hostile_bytes_framed_without_allocating():
    check(script("scanner_hostile_bytes_framed_without_allocating"))


def test_a_read_with_nothing_is_not_the_end():
    # An ESP32 UART's readinto() returns None when it has nothing (its RX
    # buffer flushed after an overflow, say): read on, it is no EOF.
    check(script("scanner_a_read_with_nothing_is_not_the_end"))


# The decoder's replies to its commands (drivers/gm65.py) come on the same
# line as its codes: never a code, never glued to one.


def test_decoder_replies_never_become_codes():
    check(script("scanner_decoder_replies_never_become_codes"))


def test_code_without_line_end_ends_when_idle():
    # The decoder's factory setting sends no CR: the code ends after an
    # idle gap, and a reply cut short is dropped.
    check(script("scanner_code_without_line_end_ends_when_idle"))


def test_hostile_decoder_frames_never_give_a_wrong_code():
    check(script("scanner_hostile_decoder_frames"), timeout=300)

"""The gun's app state machine, run inside MicroPython (110 KB heap) with
fake journal, store, sync and board.  One script a case
(tests/firmware/mp/app_*.py, sharing app_prelude, app_memory,
app_notes_refused and app_info), so each compiles only its own case into
the heap."""
from mp import FLOOR_HEAP, check, script


def test_code_refusals_record_nothing():
    check(script("app_code_refusals_record_nothing"))


def test_order_level_refusals():
    check(script("app_order_level_refusals"))


def test_line_refusals():
    check(script("app_line_refusals"))


def test_memory_full_refused():
    check(script("app_memory_full_refused"))


def test_accepted_pick_recorded_before_the_beep_then_kicked():
    check(script("app_accepted_pick_recorded_before_the_beep_then_kicked"))


def test_notes_must_be_acknowledged_one_by_one():
    check(script("app_notes_must_be_acknowledged_one_by_one"))


def test_long_note_pages():
    check(script("app_long_note_pages"))


def test_note_shown_at_once_then_the_order_and_the_left_order():
    # Opening an order with a must-acknowledge note, another order being
    # open: the note first, then the order screen, which still says which
    # order was left open.
    check(script("app_note_shown_at_once_then_the_order_and_the_left_order"))


def test_note_of_an_order_not_pickable_waits_behind_its_order_screen():
    # Nothing can be picked, so the order screen says so first; OK there
    # still shows the notes, as before.
    check(script("app_note_of_an_order_not_pickable_waits_behind_its_order_screen"))


def test_note_added_on_the_order_screen_or_under_a_refusal_shows_at_once():
    check(script("app_note_added_on_the_order_screen_or_under_a_refusal_shows_at_once"))


def test_order_opens_offline_and_completes():
    check(script("app_order_opens_offline_and_completes"))


def test_unknown_order_opens_when_its_snapshot_arrives():
    check(script("app_unknown_order_opens_when_its_snapshot_arrives"))


def test_snapshot_refresh_counts_server_picks():
    check(script("app_snapshot_refresh_counts_server_picks"))


def test_server_rejection_shown_and_pick_dropped():
    check(script("app_server_rejection_shown_and_pick_dropped"))


def test_several_rejections_are_shown_in_turn():
    check(script("app_several_rejections_are_shown_in_turn"))


def test_refused_note_acknowledgement_is_shown_and_asked_again():
    # The server rejects a notes_ack whole (docs/protocol.md): none of its
    # notes counts as acknowledged, so the gun asks for them again.
    check(script("app_refused_note_acknowledgement_is_shown_and_asked_again"))


def test_refused_note_acknowledgement_of_an_order_not_open():
    check(script("app_refused_note_acknowledgement_of_an_order_not_open"))


def test_refused_note_acknowledgement_while_reading_information():
    check(script("app_refused_note_acknowledgement_while_reading_information"))


def test_rejections_of_picks_and_notes_are_shown_in_turn():
    check(script("app_rejections_of_picks_and_notes_are_shown_in_turn"))


def test_restart_rebuilds_pick_set():
    check(script("app_restart_rebuilds_pick_set"))


def test_other_order_switches_and_back_goes_idle():
    check(script("app_other_order_switches_and_back_goes_idle"))


def test_link_and_pending_always_shown():
    check(script("app_link_and_pending_always_shown"))


def test_many_scans_fit_the_heap():
    check(script("app_many_scans_fit_the_heap"))


def test_memory_error_before_the_append_is_retried_once():
    check(script("app_memory_error_before_the_append_is_retried_once"))


def test_memory_error_twice_refuses_busy_and_records_nothing():
    check(script("app_memory_error_twice_refuses_busy_and_records_nothing"))


def test_memory_error_after_the_append_is_not_recorded_twice():
    check(script("app_memory_error_after_the_append_is_not_recorded_twice"))


def test_memory_error_confirming_notes():
    check(script("app_memory_error_confirming_notes"))


def test_input_task_survives_a_full_heap():
    check(script("app_input_task_survives_a_full_heap"))


def test_note_acknowledgements_are_bounded():
    out = check(script("app_note_acknowledgements_are_bounded"))
    assert out.strip().endswith("ok")


# ------------------------------------------------ note severities
# Must-acknowledge notes (no "s", or "a") stop picking until OK confirms
# them; information notes ("s": "i") are shown as INFO alerts that a scan
# goes past, and never acknowledged.


def test_info_only_order_picks_without_ok():
    check(script("app_info_only_order_picks_without_ok"))


def test_mixed_notes_only_must_ack_ones_need_ok():
    check(script("app_mixed_notes_only_must_ack_ones_need_ok"))


def test_info_note_added_mid_pick_does_not_stop_picking():
    check(script("app_info_note_added_mid_pick_does_not_stop_picking"))


def test_info_note_during_a_refusal_waits_behind_it():
    check(script("app_info_note_during_a_refusal_waits_behind_it"))


def test_must_ack_note_interrupting_an_info_alert():
    check(script("app_must_ack_note_interrupting_an_info_alert"))


def test_unknown_severity_is_must_acknowledge():
    check(script("app_unknown_severity_is_must_acknowledge"))


def test_info_notes_not_pickable_order_still_refuses():
    check(script("app_info_notes_not_pickable_order_still_refuses"))


def test_returns_scanned_offline():
    # Returns mode (docs/firmware.md, Returns mode): Shipped or Delivered
    # orders only, each bottle checked against the serials shipped,
    # journaled once, refused at once otherwise; a restart remembers.
    check(script("app_returns_scanned_offline"))


def test_picking_moves_to_the_next_line():
    check(script("app_picking_moves_to_the_next_line"))


def test_returns_remembered_after_a_restart():
    check(script("app_returns_remembered_after_a_restart"))


def test_sign_in_gate_by_and_held_lots():
    # The whole app as .mpy in the heap (a gun runs it from its ROMFS
    # image): 110k plus the 6 KB the floor's code (sign-in, lots,
    # returns) added to it (docs/firmware.md, Memory budget).
    check(script("app_signin"), heapsize=FLOOR_HEAP)

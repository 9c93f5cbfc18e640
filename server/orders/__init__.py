"""The order wing: everything an order is and may do.

  states.py         the state machine: which action each status allows, where
                    it leads (the one place that decides)
  actions.py        the action runner: every change to an order goes through
                    `run` (gate, effect, status, history, revision); Order
                    Menu actions through `perform` / `apply_action`
  effects.py        what each Order Menu action does, and says it will do
  entry.py          the effects of an Open order: items, shipping, payment
  create.py         creating an order
  items.py          what an order's items and shipping may be
  queries.py        reading orders: one order's detail, the dashboard's lists
  records.py        after-shipping records: complaints, destruction, returned
                    grams; who acknowledged each note
  pricing.py        an order's money
  picks.py          recording a scanned bottle; counting a line's picks
  picking.py        the picking list
  recurring.py      recurring orders: kept, edited, paused
  recurring_run.py  when one is due; the orders a run generates
  dashboard.py      the Orders dashboard's query: filters, sorts, pages
  order_search.py   the dashboard's search: which orders match
"""

"""The client wing.

  profiles.py   clients: registration, search, their orders and history
  allowance.py  the 30-day gram allowance an order is checked against
  portal.py     the Client Portal's side: a client's own orders
"""

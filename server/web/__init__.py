"""The web pages and the JSON API: blueprints, templates, static files.

  auth.py        staff sign-in, roles' checks, CSRF, security headers,
                 error pages
  orders.py      the Orders dashboard and the Order Profile
  records.py     the Profile's after-shipping records tabs
  documents.py   the Profile's Documents section
  fulfilment.py  the picking list and labels
  clients.py     clients; recurring.py: recurring orders
  devices.py     the fleet page; staff.py: staff accounts
  portal.py      the Client Portal
  api.py         the JSON API; json_body.py: its request bodies
Nothing imports this package but the app factory (server.app).
"""

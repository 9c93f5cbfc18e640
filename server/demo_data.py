"""The demo data: who and what `pickgun seed-demo` puts in an empty
database (server.seed does the putting): clients with their registration
and prescription, products, lots, shipping rates, staff sign-ins, scanner
guns and recurring orders."""

CLIENTS = [
    # name, date of birth, email, phone, registered shipping address
    ("Margaret Tremblay", "1956-03-14", "m.tremblay@videotron.ca",
     "514-555-0142", "4120 Rue Saint-Denis, Montréal QC H2W 2M5"),
    ("Daniel Okafor", "1979-11-02", "dokafor@shaw.ca", "403-555-0187",
     "218 Cranston Dr SE, Calgary AB T3M 0R2"),
    ("Priya Raman", "1988-06-21", "priya.raman@rogers.com", "416-555-0163",
     "77 Harbord St, Toronto ON M5S 1G4"),
    ("Jean-Luc Gagnon", "1964-09-30", "jlgagnon@bell.net", "418-555-0119",
     "905 Av. Cartier, Québec QC G1R 2R9"),
    ("Sarah MacLeod", "1971-01-08", "smacleod@eastlink.ca", "902-555-0131",
     "5640 Spring Garden Rd, Halifax NS B3J 1H5"),
    ("Robert Chen", "1983-04-17", "robert.chen@telus.net", "604-555-0178",
     "2375 W 4th Ave, Vancouver BC V6K 1P1"),
]

PRODUCTS = [
    # sku, name, grams of cannabis equivalent, price in cents
    ("CBD-OIL-30", "CBD Oil 30 mL (25 mg/mL)", 6.0, 6499),
    ("THC-CAP-10", "THC Capsules 10 mg x 30", 3.0, 5499),
    ("BAL-FLWR-3G5", "Balanced Flower 3.5 g", 3.5, 3299),
    ("CBD-SFT-20", "CBD Softgels 20 mg x 60", 4.0, 7999),
    ("THC-FLWR-15G", "Indica Flower 15 g", 15.0, 10499),
]

LOTS = [
    # sku, days since packaging, shelf life in days, bottles made.  Lot ids
    # follow the producer's pattern L<yymm of packaging><letter>.
    ("CBD-OIL-30", 150, 730, 16),
    ("CBD-OIL-30", 40, 730, 6),
    ("THC-CAP-10", 120, 545, 14),
    ("BAL-FLWR-3G5", 90, 365, 16),
    ("CBD-SFT-20", 75, 730, 12),
    ("THC-FLWR-15G", 60, 365, 8),
]

# Demo sign-ins, one per role; `pickgun up --demo` prints them.
DEMO_PASSWORD = "pickgun-demo"
STAFF = [
    # username, name, role
    ("admin", "Alex Admin", "admin"),
    ("supervisor", "Sam Supervisor", "supervisor"),
    ("csr", "Casey Rep", "csr"),
    ("associate", "Ari Associate", "associate"),
]

SHIPPING_RATES = [
    # carrier, service, price in cents, delivery time
    ("Canada Post", "Expedited Parcel", 1495, "2-5 business days"),
    ("Canada Post", "Xpresspost", 2195, "1-2 business days"),
    ("Purolator", "Ground", 1795, "2-4 business days"),
    ("Purolator", "Express", 2895, "next business day"),
    ("Canpar", "Ground", 1295, "3-6 business days"),
]

# Registration and prescription per client, in CLIENTS order: registration
# number, daily grams prescribed (the 30-day allowance is 30 x this),
# prescriber, coverage policy (name, percent, cap per order in cents).
REGISTRATIONS = [
    ("HC-REG-0428817", 1.0, "Dr. Hélène Roy", ("Veterans Affairs Canada",
                                               100, None)),
    ("HC-REG-0519370", 2.0, "Dr. Ian Walsh", None),
    ("HC-REG-0611248", 0.5, "Dr. Amrit Sandhu", ("Sun Life Health",
                                                 80, 30000)),
    ("HC-REG-0377102", 3.0, "Dr. Claire Bérubé", None),
    ("HC-REG-0702655", 1.5, "Dr. Fiona Campbell", ("Blue Cross Atlantic",
                                                   50, 20000)),
    ("HC-REG-0655913", 5.0, "Dr. Kevin Lau", None),
]

DEVICES = [
    ("G01", "Packing bench 1"),
    ("G02", "Packing bench 2"),
]

FIRST_ORDER_ID = 1001
FIRST_SERIAL = 101

# Recurring monthly orders: client index, [(sku, qty)], day of month,
# shipping rate (index in SHIPPING_RATES), payment method.
RECURRING = [
    (3, [("THC-CAP-10", 2), ("CBD-OIL-30", 1)], 15, 0, "credit_card"),
    (5, [("THC-FLWR-15G", 6), ("BAL-FLWR-3G5", 4)], 1, 2, "cheque"),
]

"""Paper: what Pickgun prints and keeps for an order.

  kinds.py        the kinds of documents and their errors
  store.py        the upload store and generated documents (files, rows,
                  history, through the order action runner)
  receipts.py     receipts and the dispensing record: what each says,
                  whether it can be generated
  receipt_pdf.py  their PDF pages, one function per kind
  labels.py       bottle, order, patient and shipping labels, as PDF, and
                  the data they print
  prints.py       label prints, each recorded in the order history
  badge_card.py   an associate's badge card (credit-card size, QR code)
  pdfkit.py       the PDF toolkit: pages, fitted text, QR codes, Latin-1
  pdf_content.py  what a stored PDF holds (for showing it inline safely)
"""

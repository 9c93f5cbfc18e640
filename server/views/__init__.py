"""Blueprints: CSR pages (orders, devices) and the JSON API."""

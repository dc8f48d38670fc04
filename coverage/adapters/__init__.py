"""Payer adapters: one module per protocol, behind the PayerAdapter protocol."""

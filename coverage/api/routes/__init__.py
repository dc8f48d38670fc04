"""The JSON API under /api, one module per resource: verifications, estimates (the Good Faith
Estimate), phone (phone verifications), batches, admin (audit log, rule book status)."""

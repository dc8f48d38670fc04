"""Payer adapters, one module per protocol behind the PayerAdapter protocol (base): core_x12,
clearinghouse_json, fhir, manual (phone verification), sandbox. Shared: http (the transport and
its classified errors), payer_settings (a payer file's settings, secrets, URL checks) and guard
(per-payer rate limit and circuit breaker). Adapters never touch the store."""

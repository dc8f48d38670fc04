"""Storage: SQLModel tables, the engine and units of work (db), encryption (crypto), Alembic
migrations, and one module per aggregate with the same verbs (get, list, create, record): jobs,
payer_calls, results, reviews, phone_answers, batches, users, web_sign_in, audit, rule_versions,
consents (42 CFR Part 2).
Each data function is keyword-only, session first, and never commits: its caller owns the
transaction."""

"""Background jobs: take ids, re-read their rows, idempotent, named as verbs."""

"""Domain services: plain functions with an explicit `now`; they flush, never commit."""

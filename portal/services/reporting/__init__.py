"""Figures: dashboard, coverage, summaries, supervision, lists with capped counts."""

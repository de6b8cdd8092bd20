"""Signing in and accounts: codes, passwords, second factors, PINs, API keys, staff accounts."""

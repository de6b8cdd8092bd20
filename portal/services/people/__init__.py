"""Residents, guardians, identifiers, phones, institutions, settings, scopes, encryption."""

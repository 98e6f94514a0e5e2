"""Principals, scopes, signing keys and access-token validation."""

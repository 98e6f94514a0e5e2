"""Tests of full-text search (api/search)."""

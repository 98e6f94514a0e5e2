"""The vocabularies domain."""

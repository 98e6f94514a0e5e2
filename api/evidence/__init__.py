"""The evidence domain."""

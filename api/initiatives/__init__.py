"""The initiatives domain."""

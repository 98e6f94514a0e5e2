"""The figures domain."""

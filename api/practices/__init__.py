"""The practices domain."""

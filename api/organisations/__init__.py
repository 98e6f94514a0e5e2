"""The organisations domain."""

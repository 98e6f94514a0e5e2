"""The evidence-and-gap map."""

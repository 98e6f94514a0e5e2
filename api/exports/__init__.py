"""The registry as open data: JSON Lines and CSV files with a manifest, and loading them back."""

"""Outcome ratings: the published, versioned rule sets (seed/ratings/) and the pure engine that applies them."""

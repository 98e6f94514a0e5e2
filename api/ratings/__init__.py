"""Outcome ratings: the published rule set, the engine that applies it, and the ratings it computes."""

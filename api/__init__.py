"""coplab: the registry of the Children Online Protection Lab."""

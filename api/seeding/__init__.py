"""Loading the Lab's registry from seed/registry, and synthetic registries for scale."""

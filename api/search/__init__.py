"""Full-text search of initiatives: one interface (`backend.SearchBackend`), two engines."""

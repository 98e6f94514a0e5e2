"""The shared base every domain builds on: settings, the database, middleware, validation, domain errors, page rendering. It imports nothing else of coplab."""

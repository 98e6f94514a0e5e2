"""The portal's sign-in kept on the server (a backend for frontend): its OAuth client of coplab's own
authorization server, and the sessions that hold each signed-in person's tokens (docs/portal.md)."""

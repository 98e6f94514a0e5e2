"""The portal: server-rendered public pages (home, search, an initiative's profile) whose data comes
from GraphQL operations run in-process against the app's own schema (docs/portal.md)."""

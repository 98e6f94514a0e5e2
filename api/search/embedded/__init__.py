"""The embedded search engine, the default: in-process, no server to run."""

from api.search.embedded.engine import EmbeddedBackend

__all__ = ["EmbeddedBackend"]

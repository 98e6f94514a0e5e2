"""The audit log: what happened to an organisation's credentials, for its administrators."""

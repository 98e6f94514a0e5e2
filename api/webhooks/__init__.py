"""Signed webhooks: endpoints organisations register, the outbox of deliveries written with each activity
entry, and the worker that sends them (docs/webhooks.md)."""

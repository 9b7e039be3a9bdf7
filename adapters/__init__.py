"""Edges of wallet-service to the outside world, each behind a small interface."""

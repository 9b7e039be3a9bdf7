"""Signing batches: an official's selection of pending results (`creation`), signed and recorded
result by result by a background job that survives crashes and competing workers (`runner`)."""

"""Signing keys: the `KeyDirectory` that turns a key's name into a key source (`directory`), read
from the KEYS_CONFIG file (`config`)."""

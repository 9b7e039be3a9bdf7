"""The agent's terminal: the PIN is typed here, and only here, and signing may be confirmed here."""

from __future__ import annotations

import getpass
import sys


def read_pin(from_stdin: bool = False) -> str:
    """The token PIN: a hidden prompt on the terminal, or (scripts, tests) the first line of stdin.
    Never an argument or environment variable, which other local processes could read."""
    if from_stdin:
        pin = sys.stdin.readline().rstrip("\r\n")
    else:
        pin = getpass.getpass("Mã PIN của token / Token PIN: ")
    if not pin:
        raise ValueError("Chưa nhập mã PIN. / No PIN was given.")
    return pin


def confirm_on_terminal(question: str) -> bool:
    """Ask the official; anything but y/yes/c/có is a no (and so is end of input)."""
    print(question, end="", flush=True)
    answer = sys.stdin.readline()
    return answer.strip().lower() in {"y", "yes", "c", "có", "co"}

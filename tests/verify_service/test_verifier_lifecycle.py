"""The app's verifier: started on first use (not at app creation), one per process, closed on
request; and closing a pool whose workers are still starting is clean (the awaiting thread and
close() once both tore the same worker down, closing its pipe twice)."""
from __future__ import annotations

import threading
import time

from verification import VerificationPolicy, Verifier
from wallet_service.verify.holder import VerifierHolder


def test_the_holder_makes_the_verifier_on_first_use_and_once():
    made = []

    def make():
        made.append(Verifier(VerificationPolicy(), workers=1))
        return made[-1]

    holder = VerifierHolder(make)
    assert made == []  # creating the app starts no processes
    first = holder.get()
    assert holder.get() is first and made == [first]
    holder.close()
    assert first._closed
    second = holder.get()  # a closed holder starts a new pool when used again
    assert second is not first
    holder.close()


def test_closing_while_workers_are_still_starting_raises_nothing():
    errors = []
    previous_hook = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)
    try:
        for delay in (0.0, 0.05, 0.3, 0.8):
            verifier = Verifier(VerificationPolicy(), workers=2)
            time.sleep(delay)
            verifier.close()
            assert not verifier._all
        time.sleep(0.5)  # let the threads awaiting the workers' start finish
    finally:
        threading.excepthook = previous_hook
    assert errors == []

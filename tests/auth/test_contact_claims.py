"""The citizen's e-mail address and phone number, for arrival notices, come from the ID token's
standard claims when the provider gives them; a malformed one is left out, never a refused login."""
from __future__ import annotations

import pytest

from adapters.oidc.claims import STANDARD, VNEID, read_citizen

BASE = {"personal_id": "022186001234", "name": "Lê Thị Hoa", "citizenPid": "022186001234", "fullName": "Lê Thị Hoa"}


@pytest.mark.parametrize("profile", [STANDARD, VNEID])
def test_contacts_are_read_and_tidied(profile):
    identity = read_citizen(profile, {**BASE, "email": " hoa@example.com ", "phone_number": "+84 (90) 001-2345"})
    assert (identity.email, identity.phone) == ("hoa@example.com", "+84900012345")


@pytest.mark.parametrize("email, phone", [("not an address", "call me"), (42, ["+84900012345"]), ("a@b", "12")])
def test_malformed_contacts_are_left_out(email, phone):
    identity = read_citizen(STANDARD, {**BASE, "email": email, "phone_number": phone})
    assert (identity.email, identity.phone) == (None, None)
    assert identity.personal_id == "022186001234"

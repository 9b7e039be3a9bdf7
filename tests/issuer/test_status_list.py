"""The Token Status List encoding against the draft's own examples (§4.1), and index allocation."""
from __future__ import annotations

import base64
import zlib

import pytest

from wallet_service.issuer.status_list import LIST_SIZE, allocate_entry, encode_status_list, read_status


def compressed_hex(status_list: dict) -> str:
    lst = status_list["lst"]
    return base64.urlsafe_b64decode(lst + "=" * (-len(lst) % 4)).hex()


def test_one_bit_example_of_the_draft():
    statuses = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
    encoded = encode_status_list(enumerate(statuses), size=16, bits=1)
    assert encoded["bits"] == 1
    assert compressed_hex(encoded) == "78dadbb918000217015d"
    assert [read_status(encoded, i) for i in range(16)] == statuses


def test_two_bit_example_of_the_draft():
    statuses = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]
    encoded = encode_status_list(enumerate(statuses), size=12, bits=2)
    assert compressed_hex(encoded) == "78da3be9f2130003df0207"
    assert [read_status(encoded, i) for i in range(12)] == statuses


def test_a_large_mostly_valid_list_stays_small():
    encoded = encode_status_list([(7, 1), (LIST_SIZE - 1, 1)], size=LIST_SIZE)
    assert len(encoded["lst"]) < 400
    assert "=" not in encoded["lst"]
    assert len(zlib.decompress(base64.urlsafe_b64decode(encoded["lst"] + "=="))) == LIST_SIZE // 8
    assert read_status(encoded, 7) == 1 and read_status(encoded, 8) == 0 and read_status(encoded, LIST_SIZE - 1) == 1


@pytest.mark.parametrize("entry, bits", [((16, 1), 1), ((-1, 1), 1), ((0, 2), 1), ((0, 4), 2)])
def test_entries_that_do_not_fit_are_refused(entry, bits):
    with pytest.raises(ValueError):
        encode_status_list([entry], size=16, bits=bits)


def test_reading_outside_the_list_is_an_error():
    with pytest.raises(IndexError):
        read_status(encode_status_list([], size=16), 16)


@pytest.mark.postgres  # SQL behaviour
def test_allocation_opens_one_list_and_draws_indices_inside_it(app):
    from wallet_service.models import db

    drawn = {allocate_entry(db.session) for _ in range(20)}
    lists = {status_list.id for status_list, _ in drawn}
    assert len(lists) == 1
    assert all(0 <= index < LIST_SIZE for _, index in drawn)
    assert len({index for _, index in drawn}) > 15  # random, not sequential or constant

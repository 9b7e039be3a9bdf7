"""The domain formats (`wallet_service.results.formats`), accepted and refused."""
from __future__ import annotations

import datetime as dt

import pytest

from wallet_service.results import formats


@pytest.mark.parametrize("number", ["022186001234", "001099000001", "079301123456", "096200999999"])
def test_valid_personal_ids(number):
    formats.check_personal_id(number, today=dt.date(2026, 11, 23))


@pytest.mark.parametrize(
    "number, why",
    [
        ("02218600123", "12 digits"),
        ("0221860012345", "12 digits"),
        ("02218600123a", "12 digits"),
        ("003186001234", "province code"),  # 003 is not a birth-registration province code
        ("022327001234", "future"),  # 21st-century woman born 2027
        (22186001234, "12 digits"),
    ],
)
def test_invalid_personal_ids(number, why):
    with pytest.raises(formats.FormatError, match=why):
        formats.check_personal_id(number, today=dt.date(2026, 11, 23))


def test_birth_year_from_century_digit():
    assert formats.cccd_birth_year("022186001234") == 1986
    assert formats.cccd_birth_year("022301007890") == 2001
    assert formats.cccd_birth_year("022090004567") == 1990


@pytest.mark.parametrize("code", ["000.00.15.H40-251117-0001", "000.00.01.H29-240115-0001"])
def test_valid_dossier_codes(code):
    formats.check_dossier_code(code)


@pytest.mark.parametrize("code", ["000.00.15.H40-251117-001", "000.00.15.H40-251317-0001", "H40-251117-0001", ""])
def test_invalid_dossier_codes(code):
    with pytest.raises(formats.FormatError):
        formats.check_dossier_code(code)


@pytest.mark.parametrize("code", ["1.011442.000.00.00.H38", "1.001612"])
def test_valid_procedure_codes(code):
    formats.check_procedure_code(code)


@pytest.mark.parametrize("code", ["1.01144.000.00.00.H38", "1.011442.000.00.H38", "abc"])
def test_invalid_procedure_codes(code):
    with pytest.raises(formats.FormatError):
        formats.check_procedure_code(code)


def test_commune_codes_follow_the_2025_map():
    formats.check_commune_code("06688")  # Phường Hạ Long, Quảng Ninh
    with pytest.raises(formats.FormatError, match="not a commune code"):
        formats.check_commune_code("00001")
    with pytest.raises(formats.FormatError, match="5 digits"):
        formats.check_commune_code("6688")


# Fullwidth, Arabic-Indic and Devanagari digits: `\d` and `str.isdigit` take them, int() reads them.
# The province code stays ASCII: only the digits after it are foreign, which the province check passes.
NON_ASCII_DIGITS = {"fullwidth": "022１８６００１２３４", "arabic_indic": "022١٨٦٠٠١٢٣٤", "devanagari": "022१८६००१२३४"}


@pytest.mark.parametrize("script", sorted(NON_ASCII_DIGITS))
def test_only_ascii_digits_are_digits(script):
    number = NON_ASCII_DIGITS[script]
    with pytest.raises(formats.FormatError, match="12 digits"):
        formats.check_personal_id(number, today=dt.date(2026, 11, 23))
    with pytest.raises(formats.FormatError):
        formats.check_dossier_code(f"000.00.15.H40-251117-{number[-4:]}")
    with pytest.raises(formats.FormatError):
        formats.check_agency_code(f"{number[3:6]}.00.15.H40")
    with pytest.raises(formats.FormatError):
        formats.check_procedure_code(f"1.{number[-6:]}")
    with pytest.raises(formats.FormatError):
        formats.check_commune_code(number[-5:])

"""An administrator registers and corrects agencies with `wallet-service agencies ...` alone: codes
checked against QCVN 102:2016 and the 2025 administrative map, one-line refusals, every change audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.foundation.admin_cli import cli, refused
from wallet_service.models import AuditEvent, db

WARD = "000.00.15.H40"
DEPARTMENT = "000.00.04.H40"


def actions(*names) -> list[dict]:
    return [e.details for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(names)).order_by(AuditEvent.id))]


def test_agencies_are_added_listed_and_usable_by_case_systems(app):
    added = cli(app, "agencies", "add", DEPARTMENT, "--name", "Sở Xây dựng tỉnh Quảng Ninh", "--province", "22")
    assert added.exit_code == 0, added.output
    ward = cli(app, "agencies", "add", WARD, "--name", "Trung tâm Phục vụ hành chính công phường Hạ Long",
               "--commune-code", "06688", "--parent", DEPARTMENT)
    assert ward.exit_code == 0, ward.output
    listed = cli(app, "agencies", "list").output.splitlines()
    assert listed == [
        f"{DEPARTMENT}  province 22 (Quảng Ninh)  commune -  parent -  Sở Xây dựng tỉnh Quảng Ninh",
        f"{WARD}  province 22 (Quảng Ninh)  commune 06688  parent {DEPARTMENT}  "
        "Trung tâm Phục vụ hành chính công phường Hạ Long",
    ]
    assert [(d["code"], d["province"], d["parent"]) for d in actions("agency.added")] == [
        (DEPARTMENT, "22", None), (WARD, "22", DEPARTMENT)]
    client = cli(app, "clients", "add", "mot-cua", "--agency", WARD)  # refused before agencies could be added
    assert client.exit_code == 0, client.output
    assert cli(app, "audit", "verify").exit_code == 0


@pytest.mark.parametrize("args, message", [
    (["000.00.15", "--name", "X", "--province", "22"], "QCVN 102:2016"),
    ([WARD, "--name", "X"], "give the province"),
    ([WARD, "--name", "X", "--province", "99"], "'99' is not a province code"),
    ([WARD, "--name", "X", "--commune-code", "99999"], "99999 is not a commune code"),
    ([WARD, "--name", "X", "--commune-code", "6688"], "A commune code has 5 digits"),
    ([WARD, "--name", "X", "--province", "01", "--commune-code", "06688"], "commune 06688 is in province 22, not 01"),
    ([WARD, "--name", "X", "--parent", "000.00.99.H40"], "unknown agency code '000.00.99.H40'"),
    ([WARD, "--name", "  "], "1 to 255 characters"),
    ([WARD, "--name", "A\x00B", "--province", "22"], "control characters"),
])
def test_bad_agencies_are_refused_in_one_line(app, args, message):
    assert message in refused(app, "agencies", "add", *args)
    assert cli(app, "agencies", "list").output == ""
    assert actions("agency.added") == []


def test_a_code_is_registered_once(app):
    assert cli(app, "agencies", "add", WARD, "--name", "A", "--province", "22").exit_code == 0
    assert "exists already" in refused(app, "agencies", "add", WARD, "--name", "B", "--province", "22")


def test_agencies_are_corrected_with_update(app):
    for code in (DEPARTMENT, WARD):
        assert cli(app, "agencies", "add", code, "--name", "Tên cũ", "--province", "22").exit_code == 0
    renamed = cli(app, "agencies", "update", WARD, "--name", "Tên mới", "--parent", DEPARTMENT,
                  "--commune-code", "06688")
    assert renamed.exit_code == 0, renamed.output
    assert renamed.output.strip().endswith(f"commune 06688  parent {DEPARTMENT}  Tên mới")
    assert "cycle" in refused(app, "agencies", "update", DEPARTMENT, "--parent", WARD)
    assert "cycle" in refused(app, "agencies", "update", WARD, "--parent", WARD)
    assert "nothing to change" in refused(app, "agencies", "update", WARD, "--name", "Tên mới")
    assert "is in province 22, not 01" in refused(app, "agencies", "update", WARD, "--province", "01")
    moved = cli(app, "agencies", "update", WARD, "--no-parent", "--no-commune", "--province", "01")
    assert moved.exit_code == 0, moved.output
    assert "province 01 (Thành phố Hà Nội)  commune -  parent -  Tên mới" in moved.output
    assert "unknown agency code" in refused(app, "agencies", "update", "000.00.99.H40", "--name", "X")
    assert actions("agency.updated") == [
        {"code": WARD, "new_name": "Tên mới", "new_parent": DEPARTMENT, "new_commune": "06688"},
        {"code": WARD, "new_province": "01", "new_commune": None, "new_parent": None},
    ]
    assert cli(app, "audit", "verify").exit_code == 0

"""A result's timeline page after real signing (development PKI, live TSA/OCSP) and a real
annulment through the API: received, signed by the official, sealed by the agency, in the
citizen's wallet, each external delivery as the outbox has it, annulled with the reason."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.conftest import login_as, official_principal
from tests.official.factories import WARD
from wallet_service.batches import creation, runner
from wallet_service.models import Delivery, Result, ResultStatus, db
from wallet_service.dev.demo import demo_code


@pytest.fixture
def app(live_app):
    """Signing needs the app served for real (its TSA and OCSP answer over HTTP)."""
    return live_app


def timeline_items(page: str) -> list[tuple[str, str]]:
    """(kind, visible text) of each timeline entry, in order."""
    items = re.findall(r'<li class="event [a-z_]+" data-kind="([a-z_]+)">(.*?)</li>', page, re.S)
    return [(kind, " ".join(re.sub(r"<[^>]+>", " ", body).split())) for kind, body in items]


def test_timeline_of_a_signed_delivered_and_annulled_result(app, client, demo_results):
    result = demo_results[demo_code(WARD, 3)]
    batch = creation.create_batch(db.session, official_principal("official1"), [result.id])
    runner.run_batch(app, batch.id)
    db.session.expire_all()
    result = db.session.get(Result, result.id)
    assert result.signed_sha256 is not None
    # The outbox as external stores left it: one store took the result, another keeps refusing.
    now = dt.datetime.now(dt.timezone.utc)
    db.session.add_all([
        Delivery(result_id=result.id, target="cong-dvc", event="signed", status="sent", attempts=1, delivered_at=now),
        Delivery(result_id=result.id, target="kho-du-lieu", event="signed", status="failed", attempts=8,
                 last_error="HTTP 503 from the store"),
    ])
    db.session.commit()
    token = login_as(app, client, official_principal("official1"))
    annulled = client.post(f"/api/v1/results/{result.id}/revoke", json={"reason": "Cấp nhầm người"},
                           headers={"X-CSRFToken": token})
    assert annulled.status_code == 200

    page = client.get(f"/official/results/{result.id}").get_data(as_text=True)
    entries = timeline_items(page)
    kinds = [kind for kind, _text in entries]
    # The annulment is also due to every store that was sent the result (the outbox's own rows).
    assert kinds == ["received", "signed", "sealed", "wallet", "delivery", "annulled", "delivery", "delivery", "delivery"]
    texts = [text for _kind, text in entries]
    assert "Tiếp nhận" in texts[0]
    assert "Ký bởi Nguyễn Văn An" in texts[1] and "Chứng thư số của cán bộ" in texts[1]
    assert "Cơ quan ký số: Trung tâm Phục vụ hành chính công phường Hạ Long" in texts[2]
    assert "Đã có trong ví của công dân" in texts[3] and "Phạm Văn Minh" in texts[3]
    assert "Đã chuyển đến cong-dvc" in texts[4]
    assert "Lý do: Cấp nhầm người" in texts[5] and "bởi Nguyễn Văn An" in texts[5]
    assert "Chuyển đến kho-du-lieu không thành công" in texts[6] and "HTTP 503 from the store" in texts[6]
    assert "Số lần thử: 8" in texts[6]
    assert {t.split(" Số lần thử")[0] for t in texts[7:]} == {
        "Đang chờ gửi thông báo thu hồi đến cong-dvc", "Đang chờ gửi thông báo thu hồi đến kho-du-lieu"}
    assert 'data-testid="annul"' not in page  # annulled: nothing left to annul
    assert 'data-status="annulled"' in page
    db.session.expire_all()
    assert db.session.get(Result, result.id).status == ResultStatus.ANNULLED.value

"""Pages speak Vietnamese by default and English on request, remembered in a cookie."""
from __future__ import annotations


def test_home_is_vietnamese_by_default(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in page
    assert "Ví kết quả thủ tục hành chính" in page
    assert "Đăng nhập với tư cách công dân" in page


def test_english_on_request_and_remembered(client):
    page = client.get("/?lang=en")
    assert "Log in as a citizen" in page.get_data(as_text=True)
    assert "lang=en" in page.headers["Set-Cookie"]
    again = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in again


def test_browser_preference_is_followed(client):
    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert "Administrative results wallet" in page
    page = client.get("/", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    assert "Ví kết quả thủ tục hành chính" in page


def test_stylesheet_is_served_locally(client):
    page = client.get("/").get_data(as_text=True)
    assert "https://" not in page.split("<body>")[0]
    assert client.get("/static/app.css").status_code == 200


def test_redirect_keeps_the_language_asked_for(client):
    """A link with ?lang=en to a page that needs a login lands on the login in English too."""
    response = client.get("/wallet/?lang=en")
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith("/auth/login?")
    assert "lang=en" in response.headers["Location"]
    assert "lang=" not in client.get("/wallet/").headers["Location"]


def test_favicon_is_served_by_the_service(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.mimetype == "image/svg+xml"
    assert icon.get_data(as_text=True).startswith("<svg")
    assert 'rel="icon"' in client.get("/").get_data(as_text=True)

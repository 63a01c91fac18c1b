"""Friendly HTML errors outside /api; htmx gets a fragment; nothing is a 500 on bad input."""

from __future__ import annotations

from tests.factories import make_user, signed_in


async def test_unknown_page_is_a_friendly_404(client):
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "We could not find that page" in response.text
    assert '<a href="/">' in response.text


async def test_forbidden_page_is_a_friendly_403(client):
    await signed_in(client, await make_user("attendee"))
    response = await client.get("/admin/users")
    assert response.status_code == 403
    assert "does not give access" in response.text


async def test_htmx_error_is_a_fragment_retargeted_to_messages(client):
    await signed_in(client, await make_user("attendee"))
    response = await client.get("/admin/users", headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert "<html" not in response.text and 'role="alert"' in response.text
    assert response.headers["hx-retarget"] == "#messages"


async def test_htmx_request_for_a_signed_out_visitor_redirects_the_page(client):
    response = await client.get("/account", headers={"HX-Request": "true"})
    assert response.headers["hx-redirect"] == "/sign-in?next=/account"


async def test_bad_path_parameter_on_a_page_is_not_a_500(client):
    await signed_in(client, await make_user("admin"))
    response = await client.get("/admin/users/abc")
    assert response.status_code in (400, 404)


async def test_security_headers_are_set(client):
    response = await client.get("/sign-in")
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_pages_never_cache_a_fragment_for_a_full_page(client):
    response = await client.get("/sign-in")
    assert response.headers["vary"] == "HX-Request"


async def test_an_id_beyond_the_integer_range_is_404_not_500(client):
    from tests.factories import make_user, signed_in

    for path in ("/api/v1/offerings/99999999999", "/api/v1/offerings/99999999999999999999999"):
        response = await client.get(path)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["code"] == "not_found"
    await signed_in(client, await make_user("admin"))
    assert (await client.get("/admin/users/99999999999")).status_code == 404

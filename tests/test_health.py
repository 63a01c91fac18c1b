async def test_healthz_names_the_engine(client, engine_kind):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": engine_kind}


async def test_openapi_document_lists_the_api(client):
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/me" in paths
    assert all(path.startswith("/api/v1") for path in paths), paths

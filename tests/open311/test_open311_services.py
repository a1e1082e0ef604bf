"""Open311 discovery, services and service definitions (public), and the error shape."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import update
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.core.db import get_session
from app.units.models import Category
from tests.open311.helpers import (
    BASE,
    assert_open311_error,
    assert_open311_xml_error,
    parse_xml,
    validate,
)


async def test_discovery_lists_this_endpoint_in_json_and_xml(client):
    r = await client.get(f"{BASE}/discovery.json")
    assert r.status_code == 200
    body = r.json()
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "test"  # development mode
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}
    assert body["changeset"].endswith("+07:00")

    root = parse_xml(await client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert root.findtext("endpoints/endpoint/url") == "http://testserver/open311/v2"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "application/json",
        "text/xml",
    ]


async def test_services_are_the_active_categories(client, db):
    r = await client.get(f"{BASE}/services.json")
    assert r.status_code == 200
    services = r.json()
    validate(services, "services.json")
    by_code = {s["service_code"]: s for s in services}
    drugs = by_code["drugs"]
    assert drugs["service_name"] == "Ma túy"
    assert drugs["group"] == "crime"
    assert drugs["type"] == "realtime"
    assert drugs["metadata"] is True
    assert by_code["public_disorder"]["group"] == "security_order"

    english = (await client.get(f"{BASE}/services.json", headers={"Accept-Language": "en"})).json()
    assert {s["service_code"]: s["service_name"] for s in english}["drugs"] == "Drugs"

    await db.execute(update(Category).where(Category.code == "environment").values(active=False))
    await db.commit()
    try:
        codes = [s["service_code"] for s in (await client.get(f"{BASE}/services.json")).json()]
        assert "environment" not in codes
        assert len(codes) == len(services) - 1
        r = await client.get(f"{BASE}/services/environment.json")
        assert_open311_error(r, 404)
    finally:
        await db.execute(update(Category).where(Category.code == "environment").values(active=True))
        await db.commit()


async def test_services_xml_has_one_service_element_per_service(client):
    services = (await client.get(f"{BASE}/services.json")).json()
    root = parse_xml(await client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    elements = root.findall("service")
    assert [e.findtext("service_code") for e in elements] == [s["service_code"] for s in services]
    drugs = next(e for e in elements if e.findtext("service_code") == "drugs")
    assert drugs.findtext("service_name") == "Ma túy"
    assert drugs.findtext("metadata") == "true"
    assert drugs.findtext("type") == "realtime"
    assert drugs.findtext("group") == "crime"


async def test_service_definition_lists_the_accepted_attributes(client):
    r = await client.get(f"{BASE}/services/drugs.json")
    assert r.status_code == 200
    definition = r.json()
    validate(definition, "service-definition.json")
    assert definition["service_code"] == "drugs"
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert set(attributes) == {
        "commune_code",
        "legacy_commune_code",
        "urgent",
        "anonymous",
        "occurred_at",
        "persons_involved",
    }
    assert not any(a["required"] for a in attributes.values())
    assert [v["key"] for v in attributes["urgent"]["values"]] == ["true", "false"]
    assert attributes["occurred_at"]["datatype"] == "datetime"
    assert sorted(a["order"] for a in attributes.values()) == list(range(1, 7))

    root = parse_xml(await client.get(f"{BASE}/services/drugs.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "drugs"
    xml_codes = [a.findtext("code") for a in root.findall("attributes/attribute")]
    assert xml_codes == [a["code"] for a in definition["attributes"]]
    urgent = root.findall("attributes/attribute")[xml_codes.index("urgent")]
    assert [v.findtext("key") for v in urgent.findall("values/value")] == ["true", "false"]


async def test_unknown_service_is_an_open311_404(client):
    body = assert_open311_error(await client.get(f"{BASE}/services/nope.json"), 404)
    assert (
        "No such service"
        in assert_open311_error(
            await client.get(f"{BASE}/services/nope.json", headers={"Accept-Language": "en"}), 404
        )[0]["description"]
    )
    assert body[0]["description"] == "Không có dịch vụ này."
    assert_open311_xml_error(await client.get(f"{BASE}/services/nope.xml"), 404)


async def test_unknown_paths_formats_and_methods_answer_open311_errors(client):
    assert_open311_error(await client.get(f"{BASE}/services.csv"), 404)
    assert_open311_error(await client.get(f"{BASE}/nothing.json"), 404)
    assert_open311_xml_error(await client.get(f"{BASE}/nothing.xml"), 404)
    r = await client.post(f"{BASE}/services.json")
    assert_open311_error(r, 405)
    assert r.headers["allow"] == "GET"
    assert_open311_xml_error(await client.delete(f"{BASE}/requests.xml"), 405)
    # Paths outside the adapter keep the API's problem+json.
    r = await client.get("/api/v1/nothing")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "failure",
    [TimeoutError(), PoolTimeout("no pooled connection in time")],
    ids=["statement timeout", "pool checkout timeout"],
)
async def test_a_silent_database_is_an_open311_503_not_a_500(app, client, failure):
    """A partitioned database times out rather than failing: on Open311's routes too that is
    503 with Retry-After, in the adapter's error format, as its OpenAPI document says."""

    async def silent() -> AsyncIterator[None]:
        raise failure
        yield

    app.dependency_overrides[get_session] = silent
    try:
        for fmt in ("json", "xml"):
            r = await client.get(f"/open311/v2/services.{fmt}")
            assert r.status_code == 503, r.text
            assert r.headers["Retry-After"] == "5"
            assert "problem" not in r.headers["content-type"]
    finally:
        app.dependency_overrides.clear()

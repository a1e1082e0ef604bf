from pathlib import Path

from app.openapi_export import generate, render

COMMITTED = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def test_committed_openapi_matches_the_app() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(generate()), (
        "openapi/openapi.json is stale: run `make openapi` and review the diff"
    )


def test_operation_ids_are_unique_and_stable() -> None:
    document = generate()
    ids = [
        op["operationId"]
        for path in document["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    ]
    assert len(ids) == len(set(ids))
    assert all("-" in op_id for op_id in ids)


PROBLEM = "application/problem+json"
PROBLEM_CONTENT = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def untruthful_errors(document: dict) -> list[tuple[str, str, str]]:  # type: ignore[type-arg]
    """(method, path, status) of each documented error that is not exactly the project's
    problem+json, and each JSON or upload operation without its 400/422. Open311 keeps its own
    error format, but for the guards' 413 and 503 (answered before routing)."""
    wrong = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            for status, response in responses.items():
                content = response.get("content") or {}
                if path.startswith("/open311/"):
                    # the guards' 413 and 503 are problem+json; the database's 503 is Open311's
                    if status == "413" and content != PROBLEM_CONTENT:
                        wrong.append((method, path, status))
                    if status == "503" and method == "post" and PROBLEM not in content:
                        wrong.append((method, path, status))
                    continue
                if status[0] in "45" and content != PROBLEM_CONTENT:
                    wrong.append((method, path, status))
            body = operation.get("requestBody", {}).get("content", {})
            takes_json = "application/json" in body or "multipart/form-data" in body
            if takes_json and not path.startswith("/open311/"):
                wrong += [(method, path, s) for s in ("400", "422") if s not in responses]
    if "HTTPValidationError" in document.get("components", {}).get("schemas", {}):
        wrong.append(("-", "components", "HTTPValidationError"))
    return wrong


def test_every_documented_error_is_the_projects_problem_json() -> None:
    assert untruthful_errors(generate()) == []


def test_the_check_finds_fastapis_own_shapes() -> None:
    """Without app.core.openapi's rewrite, FastAPI documents its own 422 shape and problem
    models under application/json: the check above sees them."""
    from fastapi import FastAPI

    from app.main import create_app

    raw = FastAPI.openapi(create_app())
    wrong = untruthful_errors(raw)
    assert len({(m, p) for m, p, s in wrong if s == "422"}) > 10


def test_every_operation_that_opens_a_session_documents_the_databases_503() -> None:
    """A database down, silent or out of pooled connections answers 503 with Retry-After on
    any operation that opens a session (app.core.errors), not only on intake."""
    from app.core.openapi import database_operations
    from app.main import create_app

    document = generate()
    opening = database_operations(create_app().routes)
    assert len(opening) > 90
    for method, path in opening:
        unavailable = document["paths"][path][method]["responses"].get("503")
        assert unavailable is not None, (method, path)
        assert "Retry-After" in unavailable["headers"], (method, path)
        assert unavailable["content"], (method, path)
    documented = {(m, p) for p, item in document["paths"].items() for m in item}
    assert documented - opening == {
        ("get", "/healthz"),  # no database
        ("get", "/readyz"),  # its own 503: the database is not reachable or not migrated
        ("get", "/metrics"),  # database gauges keep their last values when it is away
        ("get", "/api/v1/notifications/vapid-public-key"),
        ("get", "/open311/v2/discovery.{response_format}"),
    }


def test_attachment_downloads_document_the_types_they_send() -> None:
    from app.media.sniff import ALL_KINDS

    document = generate()
    sent = {kind.stored_kind.content_type for kind in ALL_KINDS}
    for path in (
        "/api/v1/tips/{tip_id}/attachments/{attachment_id}",
        "/api/v1/track/attachments/{attachment_id}",
    ):
        content = document["paths"][path]["get"]["responses"]["200"]["content"]
        assert sent <= set(content), (path, sent - set(content))
        assert "application/json" not in content

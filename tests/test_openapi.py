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

"""Response shapes of the JSON API, one module per area, so that /openapi.json
(and the /docs page built from it) documents what each route returns.

The shapes are those the domain already produces (catalog/record_json.py,
IngestResult.to_json, SearchResult.to_json, retention/procedure.py …); the
models describe them, they do not reshape them. Every model allows keys it
does not name, so a key the domain adds is never silently dropped from a
response; tests/test_openapi.py fails instead when a response carries a key its
documented schema lacks."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ApiModel(BaseModel):
    """Base of every response model: keys the model does not name pass through."""

    model_config = ConfigDict(extra="allow")


def file_download(description: str, *media_types: str) -> dict:
    """`responses=` for a route that sends a file rather than JSON: the media
    types it may have, as /openapi.json shows them."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {200: {"description": description, "content": dict.fromkeys(media_types, binary)}}

"""Whole-request refusals, mapped once to a status and a JSON body."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.responses import Response


class ApiError(Exception):
    """A refusal the client caused or must wait out; never a 5xx for client input."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = dict(headers or {})


def json_response(
    body: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, headers=headers, media_type="application/json"
    )


def error_response(error: ApiError, extra_headers: Mapping[str, str] | None = None) -> Response:
    headers = dict(extra_headers or {})
    headers.update(error.headers)
    return json_response({"error": error.code, "detail": error.detail}, error.status, headers)

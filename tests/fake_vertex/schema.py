"""Check request bodies against the real protos, as Google's JSON front end does.

The real service parses every REST body into the request's proto and answers 400
for anything that does not fit: an unknown field (`epochCountt`), a field in the
wrong message, a value of the wrong type (`epochCount: "three"`) or an enum string
that is not one of the enum's names (it is never silently 0). The fakes do the same
with the protos shipped in the installed SDKs, so a request the SDKs would build
wrongly is refused in tests exactly as it would be in production.

`check_body(message_class, body, what)` raises `ApiError` (400, INVALID_ARGUMENT) with
Google's error shape: a message naming the field and a `BadRequest` field violation
at its snake_case path.
"""

from __future__ import annotations

import re
from typing import Any

from tests.fake_vertex.state import ApiError

_AT = re.compile(r'at "(?P<path>[^"]+)"')
_NO_FIELD = re.compile(r'has no field named "(?P<name>[^"]+)"')


def _snake(path: str) -> str:
    """`TuningJob.supervisedTuningSpec.hyperParameters` -> `tuning_job.supervised_tuning_spec.hyper_parameters`."""
    parts = path.split(".")
    return ".".join(re.sub(r"(?<!^)(?=[A-Z])", "_", part).lower() for part in parts)


def _pb_class(message_class: Any) -> Any:
    """The raw protobuf class behind a proto-plus class (or the class itself)."""
    pb = getattr(message_class, "pb", None)
    return pb() if callable(pb) else message_class


def check_body(message_class: Any, body: Any, what: str) -> None:
    """Parse `body` into `message_class` with unknown fields and enum names refused."""
    from google.protobuf import json_format

    if body is None:
        return
    if not isinstance(body, dict):
        raise ApiError(400, "INVALID_ARGUMENT",
                       f"Invalid JSON payload received. {what}: the body is not a JSON object.")
    try:
        json_format.ParseDict(body, _pb_class(message_class)(), ignore_unknown_fields=False)
    except json_format.ParseError as err:
        text = str(err)
        where = _AT.search(text)
        path = _snake(where.group("path")) if where else _snake(_pb_class(message_class).DESCRIPTOR.name)
        unknown = _NO_FIELD.search(text)
        if unknown:
            message = (f'Invalid JSON payload received. Unknown name "{unknown.group("name")}" at '
                       f"'{path}': Cannot find field.")
        else:
            message = f"Invalid value at '{path}': {text}"
        raise ApiError(400, "INVALID_ARGUMENT", message, [(path, message)]) from err

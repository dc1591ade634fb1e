"""Writes voice/simulator/vapi_deprecated.py from Vapi's OpenAPI document. Run by hand, never at
run or test time (the document is not part of the project):

    python voice/simulator/make_vapi_deprecated.py path/to/openapi.json \
        > voice/simulator/vapi_deprecated.py && ruff format voice/simulator/vapi_deprecated.py

For each request DTO we send it walks the schema ($ref, allOf/oneOf/anyOf merged, `[]` for array
items, `*` for map values; a schema is not re-entered below itself, depth ≤ 12) and lists every
property path marked `deprecated: true`.
"""

import json
import sys
from typing import Any

# The request bodies this app sends (vapi-reference.md §3.1, §4.1, §12.4).
DTOS = {
    "CREATE_ASSISTANT": "CreateAssistantDTO",
    "UPDATE_ASSISTANT": "UpdateAssistantDTO",
    "CREATE_CALL": "CreateCallDTO",
    "CREATE_STRUCTURED_OUTPUT": "CreateStructuredOutputDTO",
    "UPDATE_STRUCTURED_OUTPUT": "UpdateStructuredOutputDTO",
}
MAX_DEPTH = 12


def deprecated_paths(schemas: dict[str, Any], root: str) -> list[str]:
    found: set[str] = set()

    def walk(node: dict[str, Any], path: str, seen: frozenset[str], depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[1]
            if name in seen:
                return
            seen, node = seen | {name}, schemas[name]
        for key in ("allOf", "oneOf", "anyOf"):
            for sub in node.get(key, []):
                walk(sub, path, seen, depth + 1)
        if node.get("type") == "array" and "items" in node:
            walk(node["items"], f"{path}[]", seen, depth + 1)
        for prop, sub in (node.get("properties") or {}).items():
            child = f"{path}.{prop}" if path else prop
            if sub.get("deprecated"):
                found.add(child)
            walk(sub, child, seen, depth + 1)
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            walk(extra, f"{path}.*", seen, depth + 1)

    walk({"$ref": f"#/components/schemas/{root}"}, "", frozenset(), 0)
    return sorted(found)


def main(path: str) -> None:
    with open(path) as handle:
        schemas = json.load(handle)["components"]["schemas"]
    out = sys.stdout
    out.write(
        '"""Property paths that Vapi\'s OpenAPI marks `deprecated: true`, per request DTO we '
        "send.\n\nGenerated once by `python voice/simulator/make_vapi_deprecated.py openapi.json`"
        " from the\nOpenAPI document vapi-reference.md §0 cites (VapiAI/docs "
        "`fern/apis/api/openapi.json`\n@eabfa53). A path is dotted property names, `[]` for the"
        " items of an array, `*` for the\nvalues of a map; union variants are merged. Tests "
        "check every body we push against these\n(tests/voice/test_deprecated_fields.py); the "
        'product never reads the OpenAPI file.\n"""\n'
    )
    for constant, dto in DTOS.items():
        paths = deprecated_paths(schemas, dto)
        out.write(f"\n# {dto}: {len(paths)} paths\n{constant} = frozenset(\n    {{\n")
        out.writelines(f"        {json.dumps(p)},\n" for p in paths)
        out.write("    }\n)\n")


if __name__ == "__main__":
    main(sys.argv[1])

"""The API's documentation page, drawn on the server from the OpenAPI document: Ninja's own
Swagger and Redoc pages load their scripts from a CDN, which government intranets cannot reach."""

from django.shortcuts import render
from ninja.openapi.docs import DocsBase


def _type_of(schema: dict) -> str:
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if "anyOf" in schema:
        return " | ".join(_type_of(s) for s in schema["anyOf"] if s.get("type") != "null")
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    return schema.get("format") or schema.get("type", "")


def operations(schema: dict) -> list[dict]:
    """The document's operations, flattened for the template."""
    found = []
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            found.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "required": p.get("required", False),
                            "type": _type_of(p.get("schema", {})),
                            "description": p.get("description")
                            or p.get("schema", {}).get("description", ""),
                        }
                        for p in operation.get("parameters", [])
                    ],
                    "responses": sorted(operation.get("responses", {})),
                }
            )
    return found


class LocalDocs(DocsBase):
    def render_page(self, request, api, **kwargs):
        schema = api.get_openapi_schema(path_params=kwargs)
        context = {
            "api": api,
            "info": schema.get("info", {}),
            "operations": operations(schema),
            "openapi_url": self.get_openapi_url(api, kwargs),
        }
        return render(request, "cms/api/docs.html", context)

"""How the API serves a rendered document (an invoice, a credit note): as HTML or as PDF."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse, Response

from kassa.security_headers import DOCUMENT_HEADERS

# A document needs its class's invoice template, which may be missing or broken.
TEMPLATE_PROBLEM: dict[int | str, dict[str, Any]] = {
    409: {"description": "The invoice template is missing or does not render"}
}


def html_responses(what: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"content": {"text/html": {}}, "description": f"The {what} as HTML"},
        **TEMPLATE_PROBLEM,
    }


def pdf_responses(what: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": f"The {what} as PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            "headers": {
                "Content-Disposition": {
                    "description": "inline, with the file name",
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
        },
        **TEMPLATE_PROBLEM,
    }


def html_document(html: str) -> HTMLResponse:
    return HTMLResponse(html, headers=DOCUMENT_HEADERS)


def pdf_document(filename: str, pdf: bytes) -> Response:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )

"""An attendee's transcript (HTML and PDF), their certificates, and the public verification page."""

from __future__ import annotations

import re

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Response

from booking.errors import NotFound
from booking.pdf import pdf_response
from booking.scheduling.certificates import certificate_pdf, transcript_pdf, verify_certificate
from booking.scheduling.transcript import transcript_for
from booking.web.guards import SignedInActor, signed_in
from booking.web.pages import page

CERTIFICATE_FILE = re.compile(r"^([0-9]{1,9})\.pdf$")  # ids are 32-bit integers


class TranscriptController(Controller):
    path = "/my"
    guards = [signed_in]
    include_in_schema = False

    @get("/transcript", name="scheduling.transcript")
    async def transcript(self, request: Request, actor: SignedInActor) -> object:
        return page(request, "scheduling/transcript.html", transcript=await transcript_for(actor))

    @get("/transcript.pdf", name="scheduling.transcript_pdf")
    async def transcript_pdf(self, actor: SignedInActor) -> Response:
        return pdf_response(*await transcript_pdf(actor))

    @get("/certificates/{file_name:str}", name="scheduling.certificate")
    async def certificate(self, actor: SignedInActor, file_name: FromPath[str]) -> Response:
        match = CERTIFICATE_FILE.match(file_name)
        if match is None:
            raise NotFound("No certificate of yours has that number.")
        return pdf_response(*await certificate_pdf(actor, int(match.group(1))))


class CertificateVerifyController(Controller):
    """Public: anyone holding a certificate's address can check whom it was issued to."""

    path = "/certificates"
    include_in_schema = False

    @get("/{code:str}", name="scheduling.certificate_verify")
    async def verify(self, request: Request, code: FromPath[str]) -> object:
        try:
            certificate = await verify_certificate(code)
        except NotFound:
            return page(
                request,
                "scheduling/certificate_verify.html",
                status=404,
                certificate=None,
                code=code[:60],
                headers={"X-Robots-Tag": "noindex"},
            )
        return page(
            request,
            "scheduling/certificate_verify.html",
            certificate=certificate,
            code=code,
            headers={"X-Robots-Tag": "noindex"},
        )

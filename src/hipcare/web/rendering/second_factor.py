"""The QR code of a TOTP enrolment, as inline SVG (segno, pure Python; ISO/IEC 18004).

Inline SVG passes the app's Content-Security-Policy (no image from elsewhere, no inline
style); the same secret is shown beside it as text for typing by hand.
"""

from __future__ import annotations

import segno

__all__ = ["qr_code_svg"]


def qr_code_svg(uri: str) -> str:
    """An ``<svg>`` element holding ``uri`` as a QR code (error correction level M)."""
    code = segno.make(uri, error="m", micro=False)
    svg = str(
        code.svg_inline(
            scale=5,
            dark="#000",
            light="#fff",
            title="QR code to scan with your authenticator app",
            svgclass="qr-code",
            lineclass=None,
        )
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)

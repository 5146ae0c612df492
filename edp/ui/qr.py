"""QR codes for joining, drawn with segno as SVG (crisp on a projector at any size)."""

from __future__ import annotations

import base64
import html
import io

import segno
import streamlit as st


def qr_svg(data: str, *, scale: int = 10) -> str:
    # Always dark on light, with a quiet zone, even on the dark projector theme: many phone
    # scanners cannot read inverted codes.
    buf = io.BytesIO()
    segno.make(data, error="m").save(
        buf, kind="svg", scale=scale, border=4, dark="#000000", light="#ffffff", xmldecl=False
    )
    return buf.getvalue().decode()


def qr_img(data: str, *, alt: str, size: str) -> str:
    """An <img> of the code (quiet zone included) `size` wide and high (a CSS length), with `alt` as
    its text alternative. Both attributes are escaped: `data` and `alt` may hold an address from config."""
    src = "data:image/svg+xml;base64," + base64.b64encode(qr_svg(data).encode()).decode()
    return (
        f'<img src="{src}" alt="{html.escape(alt, quote=True)}" role="img" '
        f'style="width:{html.escape(size, quote=True)};height:auto;display:block;image-rendering:pixelated">'
    )


def show_qr(data: str, *, alt: str, size: str = "320px") -> None:
    """The code as an image with a text alternative (st.image has none), `size` a CSS length such as min(60vh, 45vw)."""
    st.html(qr_img(data, alt=alt, size=size))

"""QR codes for joining, drawn with segno as SVG (crisp on a projector at any size)."""

from __future__ import annotations

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


def show_qr(data: str, *, width: int = 320) -> None:
    st.image(qr_svg(data), width=width)

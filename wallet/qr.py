"""QR codes: draw them as PNG data URLs and read them from uploaded photos."""

from __future__ import annotations

import base64
import io

import qrcode
from PIL import Image, UnidentifiedImageError

from .errors import WalletError

__all__ = ["decode_qr_image", "qr_png_data_url"]

# Photos from phone cameras are large; downscale before decoding.
_MAX_DECODE_SIDE = 2000
_MAX_IMAGE_PIXELS = 40_000_000


def qr_png_data_url(text: str) -> str:
    """Return a ``data:image/png`` URL of a QR code for ``text`` (error correction M)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4
    )
    code.add_data(text)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def decode_qr_image(data: bytes) -> str:
    """Return the text of the first QR code in an image; raise WalletError if none."""
    import zxingcpp

    Image.MAX_IMAGE_PIXELS = _MAX_IMAGE_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as e:
        raise WalletError(
            "the uploaded file is not an image this wallet can read (use PNG or JPEG)"
        ) from e
    rgb = image.convert("RGB")
    rgb.thumbnail((_MAX_DECODE_SIDE, _MAX_DECODE_SIDE))
    for result in zxingcpp.read_barcodes(rgb):
        if result.format == zxingcpp.BarcodeFormat.QRCode and result.text:
            return str(result.text)
    raise WalletError(
        "no QR code was found in the image; take the photo again closer and in focus"
    )

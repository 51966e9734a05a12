"""Real image bytes for upload tests (made with Pillow, as the validator parses what it accepts), and a
PNG that only claims a size in its header (an image bomb costs nothing to make: no pixel data)."""

import io
import struct
import zlib


def image_bytes(fmt: str = "PNG", size=(4, 3), color=(200, 30, 30)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose IHDR says ``width``×``height`` (8-bit RGB) followed by a tiny IDAT and IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00"))
        + chunk(b"IEND", b"")
    )


PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")

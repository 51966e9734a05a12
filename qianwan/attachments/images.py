"""Image handling for attachments (Pillow): read the capture time and GPS position, apply the EXIF
orientation, re-encode without any metadata, make a thumbnail."""

import io
from datetime import datetime

from django.utils import timezone

from qianwan.kpi import local_tz

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
DATETIME_ORIGINAL = 0x9003
DATETIME = 0x0132
THUMBNAIL_SIZE = (320, 320)


def _rational(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        num, den = value
        return float(num) / float(den)


def _degrees(dms, ref) -> float | None:
    try:
        d, m, s = (_rational(x) for x in dms)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = d + m / 60 + s / 3600
    if str(ref or "").upper() in ("S", "W"):
        value = -value
    return value


def capture_facts(image) -> dict:
    """``{"taken_at", "lat", "lon"}`` from an opened image's EXIF (None for what it lacks or garbles).
    EXIF times have no zone: they are read as Asia/Shanghai (the cameras' clocks)."""
    facts = {"taken_at": None, "lat": None, "lon": None}
    try:
        exif = image.getexif()
    except Exception:  # noqa: BLE001 — a broken EXIF block is no reason to refuse the photo
        return facts
    if not exif:
        return facts
    try:
        raw = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL) or exif.get(DATETIME)
        if raw:
            naive = datetime.strptime(str(raw).strip("\x00 ").strip(), "%Y:%m:%d %H:%M:%S")
            if 2000 <= naive.year <= 2100:
                facts["taken_at"] = timezone.make_aware(naive, local_tz())
    except (ValueError, TypeError, KeyError):
        pass
    try:
        gps = exif.get_ifd(GPS_IFD)
        if gps and 2 in gps and 4 in gps:
            lat, lon = _degrees(gps[2], gps.get(1)), _degrees(gps[4], gps.get(3))
            if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
                facts["lat"], facts["lon"] = round(lat, 7), round(lon, 7)
    except (ValueError, TypeError, KeyError, ZeroDivisionError):
        pass
    return facts


def clean_image(data: bytes, kind: str) -> tuple[bytes, bytes, dict]:
    """(stored bytes, thumbnail JPEG bytes, capture facts) for a validated JPEG/PNG: the EXIF
    orientation is applied, then the image is re-encoded with no metadata at all (no EXIF, GPS, XMP,
    ICC or text chunks)."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as original:
        facts = capture_facts(original)
        image = ImageOps.exif_transpose(original)
        image.load()
    fmt = "JPEG" if kind == "image/jpeg" else "PNG"
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif fmt == "PNG" and image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    # a fresh image holding only the pixels: nothing of the original's info/metadata comes along
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    out = io.BytesIO()
    if fmt == "JPEG":
        clean.save(out, format="JPEG", quality=90, optimize=True)
    else:
        clean.save(out, format="PNG", optimize=True)
    thumb = clean.convert("RGB") if clean.mode not in ("RGB", "L") else clean.copy()
    thumb.thumbnail(THUMBNAIL_SIZE)
    tbuf = io.BytesIO()
    thumb.save(tbuf, format="JPEG", quality=80)
    return out.getvalue(), tbuf.getvalue(), facts

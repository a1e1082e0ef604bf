"""What a file is, decided by its first bytes, never by its name or declared type.

The allow-list covers what phones produce as evidence and what offices send:

| stored type       | magic bytes                          | extensions      | sanitised |
|-------------------|--------------------------------------|-----------------|-----------|
| image/jpeg        | ``FF D8 FF``                         | .jpg .jpeg      | re-encoded|
| image/png         | ``89 50 4E 47 0D 0A 1A 0A``          | .png            | re-encoded|
| image/webp        | ``RIFF....WEBP``                     | .webp           | re-encoded|
| image/heic → jpeg | ISO-BMFF ``ftyp`` brand ``heic`` …   | .heic .heif     | converted |
| application/pdf   | ``%PDF-``                            | .pdf            | cleaned   |
| video/mp4         | ISO-BMFF ``ftyp`` (isom, mp4x, avc1…)| .mp4 .m4v       | re-muxed  |
| video/quicktime   | ISO-BMFF ``ftyp`` brand ``qt``       | .mov            | re-muxed  |
| audio/mp4         | ISO-BMFF ``ftyp`` brand ``M4A``/``M4B``| .m4a          | re-muxed  |
| audio/mpeg        | ``ID3`` or an MPEG layer III frame   | .mp3            | re-muxed  |
| audio/aac         | an ADTS frame header                 | .aac            | re-muxed  |
| audio/wav         | ``RIFF....WAVE``                     | .wav            | re-muxed  |

Left out on purpose: GIF (rarely evidence; animated re-encoding keeps comment blocks), AVIF,
office documents and archives (active content). HEIC/HEIF photos (the iPhone default) are
decoded with pillow-heif and stored as clean JPEG. Every stored file is cleaned (see
``app.media.clean``); what cannot be cleaned is refused, never stored as received.

One ISO-BMFF file can be audio or video under the same brand (``isom``), so within that family
any declared MP4/QuickTime/M4A type agrees with the content and decides the stored type.
"""

from __future__ import annotations

from dataclasses import dataclass

SNIFF_BYTES = 64


@dataclass(frozen=True)
class MediaKind:
    content_type: str  # what is stored and served
    extensions: tuple[str, ...]  # the first is added to a name that has none
    aliases: frozenset[str]  # declared Content-Types that agree with this kind
    image_format: str | None = None  # Pillow format to decode (and re-encode) with
    family: str | None = None  # kinds in one family agree with each other's declared types
    cleaner: str = "image"  # "image" (re-encode), "pdf" (pikepdf), "av" (PyAV re-mux)
    av_format: str | None = None  # the FFmpeg muxer that writes the clean file
    stored_as: MediaKind | None = None  # converted to this kind (HEIC → JPEG); None: itself

    @property
    def stored_kind(self) -> MediaKind:
        return self.stored_as or self


JPEG = MediaKind(
    "image/jpeg", (".jpg", ".jpeg"), frozenset({"image/jpeg", "image/jpg", "image/pjpeg"}), "JPEG"
)
PNG = MediaKind("image/png", (".png",), frozenset({"image/png", "image/x-png"}), "PNG")
WEBP = MediaKind("image/webp", (".webp",), frozenset({"image/webp"}), "WEBP")
HEIC = MediaKind(
    "image/heic",
    (".heic", ".heif"),
    frozenset({"image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"}),
    "HEIF",
    stored_as=JPEG,
)
PDF = MediaKind(
    "application/pdf",
    (".pdf",),
    frozenset({"application/pdf", "application/x-pdf"}),
    cleaner="pdf",
)
MP4 = MediaKind(
    "video/mp4",
    (".mp4", ".m4v"),
    frozenset({"video/mp4", "video/x-m4v"}),
    family="isobmff",
    cleaner="av",
    av_format="mp4",
)
QUICKTIME = MediaKind(
    "video/quicktime",
    (".mov", ".qt"),
    frozenset({"video/quicktime"}),
    family="isobmff",
    cleaner="av",
    av_format="mov",
)
M4A = MediaKind(
    "audio/mp4",
    (".m4a", ".m4b"),
    frozenset({"audio/mp4", "audio/x-m4a", "audio/m4a", "audio/aac", "audio/x-aac"}),
    family="isobmff",
    cleaner="av",
    av_format="ipod",
)
MP3 = MediaKind(
    "audio/mpeg",
    (".mp3",),
    frozenset({"audio/mpeg", "audio/mp3", "audio/mpeg3", "audio/x-mpeg", "audio/x-mp3"}),
    cleaner="av",
    av_format="mp3",
)
AAC = MediaKind(
    "audio/aac",
    (".aac",),
    frozenset({"audio/aac", "audio/x-aac", "audio/aacp"}),
    cleaner="av",
    av_format="adts",
)
WAV = MediaKind(
    "audio/wav",
    (".wav",),
    frozenset({"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"}),
    cleaner="av",
    av_format="wav",
)

ALL_KINDS = (JPEG, PNG, WEBP, HEIC, PDF, MP4, QUICKTIME, M4A, MP3, AAC, WAV)
ISOBMFF_KINDS = (MP4, QUICKTIME, M4A)

# Declared types that make no claim about the content.
GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})

_ISOBMFF_BRANDS: dict[bytes, MediaKind | None] = {
    # None: the brand does not say whether it is audio or video.
    b"isom": None,
    b"iso2": None,
    b"iso3": None,
    b"iso4": None,
    b"iso5": None,
    b"iso6": None,
    b"mp41": None,
    b"mp42": None,
    b"mp71": None,
    b"avc1": None,
    b"dash": None,
    b"MSNV": MP4,
    b"XAVC": MP4,
    b"f4v ": MP4,
    b"M4V ": MP4,
    b"M4VH": MP4,
    b"M4VP": MP4,
    b"qt  ": QUICKTIME,
    b"M4A ": M4A,
    b"M4B ": M4A,
    b"heic": HEIC,
    b"heix": HEIC,
    b"heim": HEIC,
    b"heis": HEIC,
    b"hevc": HEIC,
    b"hevx": HEIC,
    b"mif1": HEIC,
    b"msf1": HEIC,
}


def sniff(head: bytes) -> MediaKind | tuple[MediaKind, ...] | None:
    """The kind the first bytes reveal; a tuple when only the family is known; None when the
    content is not on the allow-list."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"%PDF-"):
        return PDF
    if head[4:8] == b"ftyp" and head[8:12] in _ISOBMFF_BRANDS:
        return _ISOBMFF_BRANDS[head[8:12]] or ISOBMFF_KINDS
    if head.startswith(b"ID3"):
        return MP3
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:  # ADTS: sync, layer 00
            return AAC
        if head[1] & 0xE0 == 0xE0 and (head[1] >> 1) & 0x3 == 0x1:  # MPEG audio, layer III
            return MP3
    return None


def kind_for_extension(extension: str) -> MediaKind | None:
    for kind in ALL_KINDS:
        if extension in kind.extensions:
            return kind
    return None


def decide_kind(
    head: bytes, *, declared_type: str, extension: str
) -> tuple[MediaKind | None, str | None]:
    """(kind, None) when the content is allowed and agrees with what the client declared;
    (None, reason) otherwise. ``declared_type`` is lower-case without parameters,
    ``extension`` lower-case with its dot, or empty."""
    sniffed = sniff(head)
    if sniffed is None:
        return None, "type"
    candidates = sniffed if isinstance(sniffed, tuple) else (sniffed,)
    family = {c.family for c in candidates if c.family}

    def agrees(kind: MediaKind) -> bool:
        return kind in candidates or (kind.family is not None and kind.family in family)

    chosen: MediaKind = candidates[0]
    if declared_type not in GENERIC_TYPES:
        matches = [k for k in ALL_KINDS if declared_type in k.aliases and agrees(k)]
        if not matches:
            return None, "declared"
        if isinstance(sniffed, tuple):
            chosen = matches[0]
    if extension:
        by_ext = [k for k in ALL_KINDS if extension in k.extensions and agrees(k)]
        if not by_ext:
            return None, "extension"
        if isinstance(sniffed, tuple) and declared_type in GENERIC_TYPES:
            chosen = by_ext[0]
    return chosen, None

"""Image helpers shared by the frame store and single-image inference (Pillow and NumPy only).

Every frame goes through the same two steps, whether it is one of 27,768 training frames or
a picture a student uploads:

    decode_image -> to_base          1920x1080 PNG -> (227, 404, 3) uint8, the store's frame
    preprocess(base, Preprocessing)  -> (size, size, 1 or 3) uint8, the model's input

so a model sees at inference exactly the pixels it was trained on.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from handclf_core.errors import HandCamError
from handclf_core.i18n import N_
from handclf_core.vocab import Hand

# The store's resolution (W, H): 16:9 like the camera at height 227, so that both a squashed
# 227x227 (the assignment's AlexNet input) and a centre-cropped 227x227 need no upsampling.
BASE_SIZE = (404, 227)
# Refuse pictures larger than this before decoding them: a 1 KB PNG can claim 100k x 100k
# pixels (a "decompression bomb") and take all memory. The camera's frames have 2.1M pixels.
MAX_PIXELS = 8000 * 8000
# A model input's side: at most the store frame's width (larger would only blow pixels up).
MIN_INPUT, MAX_INPUT = 8, BASE_SIZE[0]


# The first bytes of pictures that are no PNG or JPEG, and their formats' names: an error
# then says what the file is and what to do ("GIF pictures are not read"), never its bytes.
_SIGNATURES = {
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
    b"BM": "BMP",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
    b"\x00\x00\x01\x00": "ICO",
    b"8BPS": "PSD",
    b"\x00\x00\x00\x0cjP  ": "JPEG 2000",
    b"\xffO\xffQ": "JPEG 2000",
    b"\xff\x0a": "JPEG XL",
    b"\x00\x00\x00\x0cJXL ": "JPEG XL",
}
# An ISO media file ("....ftyp<brand>"): phones' HEIC photos, AVIF.
_BRANDS = dict.fromkeys([b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"], "HEIC")
_BRANDS |= {b"avif": "AVIF", b"avis": "AVIF"}
_PNG, _JPEG = b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"


def _other_format(data: bytes) -> str | None:
    """The name of the picture format `data` is in when it is neither PNG nor JPEG, as far
    as its first bytes tell; None for what is no picture known here."""
    for start, name in _SIGNATURES.items():
        if data.startswith(start):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[4:8] == b"ftyp" and data[8:12] in _BRANDS:
        return _BRANDS[data[8:12]]
    head = data[:1024].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "SVG"
    return None


def _claimed_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) a PNG's or JPEG's header claims, read before any decoding (Pillow
    refuses a claim over its own limit before it says the size); None when unreadable."""
    if data.startswith(_PNG) and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if not data.startswith(_JPEG):
        return None
    at = 2
    while at + 9 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # a fill byte
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length: SOI, TEM, RSTn
            at += 2
            continue
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE):
            height = int.from_bytes(data[at + 5 : at + 7], "big")  # start of frame
            return int.from_bytes(data[at + 7 : at + 9], "big"), height
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return None


def _refused(name: str, data: bytes) -> HandCamError | None:
    """Why `data` is refused before Pillow sees it: empty, another format, no picture, a
    picture of no pixels or of too many; None when it may be decoded."""
    expected = f"{name}: expected a PNG or JPEG image"
    if not data:
        return HandCamError(
            f"{expected}, found an empty file", key=N_("error.image.empty"), name=name
        )
    if not data.startswith((_PNG, _JPEG)):
        found = _other_format(data)
        if found:
            return HandCamError(
                f"{name}: {found} pictures are not read (expected a PNG or JPEG image): save "
                "it as PNG or JPEG",
                key=N_("error.image.format"),
                name=name,
                format=found,
            )
        return HandCamError(
            f"{expected}, found something else: {len(data):,} bytes that are no picture",
            key=N_("error.image.not_picture"),
            name=name,
            size=len(data),
        )
    size = _claimed_size(data)
    if size and 0 in size:
        width, height = size
        return HandCamError(
            f"{expected}, found a {width}x{height} picture, which has no pixels",
            key=N_("error.image.no_pixels"),
            name=name,
            width=width,
            height=height,
        )
    if size and size[0] * size[1] > MAX_PIXELS:
        return _too_large(name, size)
    return None


def _too_large(name: str, size: tuple[int, int] | None) -> HandCamError:
    if size is None:
        return HandCamError(
            f"{name}: expected a PNG or JPEG image, found a picture of over {MAX_PIXELS:,} "
            "pixels: make it smaller",
            key=N_("error.image.too_large_unsized"),
            name=name,
            limit=MAX_PIXELS,
        )
    width, height = size
    return HandCamError(
        f"{name}: expected a PNG or JPEG image, found a {width}x{height} picture, over the "
        f"{MAX_PIXELS:,} pixels read: make it smaller",
        key=N_("error.image.too_large"),
        name=name,
        width=width,
        height=height,
        limit=MAX_PIXELS,
    )


def _corrupt(name: str, data: bytes) -> HandCamError:
    found = "PNG" if data.startswith(_PNG) else "JPEG"
    return HandCamError(
        f"{name}: expected a PNG or JPEG image, found a truncated or corrupt {found} file: "
        "save or copy it again",
        key=N_("error.image.corrupt"),
        name=name,
        format=found,
    )


def decode_image(data: bytes, name: str) -> Image.Image:
    """Decode PNG or JPEG bytes fully into an RGB image.

    Args:
        data: the file's bytes.
        name: the file's name, used in error messages.

    Any mode is accepted: alpha is composited onto white, 16-bit grey is scaled to 8 bits
    (65535 -> 255, not clipped), palettes and grey are expanded. Raises HandCamError naming
    the file, in a plain sentence with its catalogue key (`errors.HandCamError`), for empty
    files, other formats (GIF, WebP, HEIC, ...), what is no picture, truncated or corrupt
    data, pictures of no pixels and pictures over MAX_PIXELS.
    """
    refused = _refused(name, data)
    if refused:
        raise refused
    # A truncated PNG must fail here, not become a half-grey training frame: this flag is
    # global in Pillow, so make sure nothing turned it on.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            _quiet_pillow()
            im = Image.open(io.BytesIO(data), formats=("PNG", "JPEG"))
            if im.width * im.height > MAX_PIXELS:
                raise _too_large(name, im.size)
            im.load()  # decode now: Image.open only reads the header
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large(name, _claimed_size(data)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        # Pillow reports truncated and corrupt files with any of these.
        raise _corrupt(name, data) from None
    if im.format == "JPEG":
        with warnings.catch_warnings():
            _quiet_pillow()  # corrupt EXIF: what of it can be read is used
            im = ImageOps.exif_transpose(im)  # phone photos store their rotation in EXIF
    return _to_rgb(im)


def _quiet_pillow() -> None:
    """Inside `warnings.catch_warnings()`: Pillow's notes on a file it still decodes
    ("Corrupt EXIF data") reach nobody; failures still raise."""
    warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # Pillow's convert("L") clips 16-bit values at 255; scale the full range instead.
        a = np.asarray(im).astype(np.float64)  # (H, W)
        a = np.clip(np.rint(a / 257.0), 0, 255).astype(np.uint8)
        return Image.fromarray(a).convert("RGB")
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return im if im.mode == "RGB" else im.convert("RGB")


def to_base(im: Image.Image) -> np.ndarray:
    """Downscale a decoded picture to the store's resolution: (227, 404, 3) uint8.

    Pictures that are not 16:9 are squashed to 404x227, as the assignment squashed frames.
    """
    if im.mode != "RGB":
        im = _to_rgb(im)
    # An integer box reduction (1920x1080 -> 480x270) is ~10x cheaper than resampling from
    # full size and averages every pixel; the final bilinear step does the last 1.19x.
    k = min(im.width // BASE_SIZE[0], im.height // BASE_SIZE[1])
    if k >= 2:
        im = im.reduce(k)
    if im.size != BASE_SIZE:
        im = im.resize(BASE_SIZE, Image.Resampling.BILINEAR)
    return np.asarray(im, dtype=np.uint8)


@dataclass(frozen=True)
class Preprocessing:
    """How a base frame becomes a model's input. Frozen: its `key` names a cached variant."""

    size: int = 32  # side of the square input: 32 CNN_basic, 28 Mnist-style, 227 AlexNet
    gray: bool = False  # one channel, Pillow's "L" luminance (the Mnist-style model)
    flip_right: bool = False  # mirror Rhand frames so that both hands look like left ones
    crop: bool = False  # centre-crop the 16:9 frame to a square; False squashes it (assignment)

    def __post_init__(self):
        lo, hi = MIN_INPUT, MAX_INPUT
        if isinstance(self.size, bool) or not isinstance(self.size, int | np.integer):
            raise HandCamError(f"input size: expected a whole number, found {self.size!r}")
        if not lo <= self.size <= hi:
            raise HandCamError(f"input size: expected {lo}..{hi} pixels, found {self.size}")
        object.__setattr__(self, "size", int(self.size))  # np.int64(32) -> 32, same key

    @property
    def channels(self) -> int:
        return 1 if self.gray else 3

    @property
    def key(self) -> str:
        """A short name used in file names, e.g. "s32-rgb-noflip-squash"."""
        colour, flip = ("gray" if self.gray else "rgb"), ("flip" if self.flip_right else "noflip")
        return f"s{self.size}-{colour}-{flip}-{'crop' if self.crop else 'squash'}"


def preprocess(
    base_or_image: np.ndarray | Image.Image, prep: Preprocessing, *, hand: Hand
) -> np.ndarray:
    """Turn a base frame, or a whole decoded picture, into a model input.

    Args:
        base_or_image: a (227, 404, 3) uint8 base frame from the store, or a PIL image
            (reduced with `to_base` first, so that inference matches training exactly).
        prep: the preprocessing options.
        hand: the wrist the camera was on; a right hand's frame is mirrored when
            `prep.flip_right`.

    Returns (size, size, C) uint8, C = 1 when `prep.gray`, else 3.
    """
    base = to_base(base_or_image) if isinstance(base_or_image, Image.Image) else base_or_image
    if base.shape != (BASE_SIZE[1], BASE_SIZE[0], 3):
        raise HandCamError(f"base frame: expected (227, 404, 3), found {base.shape}")
    im = Image.fromarray(np.ascontiguousarray(base, dtype=np.uint8))
    if prep.crop:
        left = (BASE_SIZE[0] - BASE_SIZE[1]) // 2
        im = im.crop((left, 0, left + BASE_SIZE[1], BASE_SIZE[1]))  # 227x227 centre
    if prep.gray:
        im = im.convert("L")  # before resizing: one channel to resample instead of three
    if im.size != (prep.size, prep.size):
        # Shrinking: BOX, each output pixel the mean of the area it covers (OpenCV's
        # INTER_AREA), 1.5x faster than BILINEAR on 404 -> 227, which matters over 27,768
        # frames. Growing (size > 227) needs BILINEAR: BOX would give blocks.
        shrink = prep.size <= im.height
        flt = Image.Resampling.BOX if shrink else Image.Resampling.BILINEAR
        im = im.resize((prep.size, prep.size), flt, reducing_gap=2.0)  # 404->32: reduce first
    if hand == Hand.RIGHT and prep.flip_right:
        # Mirrored last, so a flipped frame is exactly its unflipped pixels reversed; in
        # Pillow, which copies 10x faster than NumPy's reversed-stride copy.
        im = im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return np.asarray(im).reshape(prep.size, prep.size, prep.channels)


def enlarged(x: np.ndarray, show: int) -> np.ndarray:
    """A model input (s, s, C) uint8 enlarged to (show, show[, 3]) with nearest-neighbour, so
    each input pixel stays a visible square; one channel becomes a grey picture (show, show)."""
    im = Image.fromarray(x[..., 0] if x.shape[-1] == 1 else x)
    return np.asarray(im.resize((show, show), Image.Resampling.NEAREST))


def jpeg(rgb: np.ndarray, quality: int = 85) -> bytes:
    """An (H, W, 3) uint8 picture as JPEG bytes: cheap to send to a browser."""
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="JPEG", quality=quality)
    return out.getvalue()

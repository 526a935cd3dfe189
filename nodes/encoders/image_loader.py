"""Images from files, as RGB pictures the image nodes share."""

from __future__ import annotations

from typing import Any

from nodes.api import Context, Input, Node, NodeError, Output
from nodes.runtime.paths import portable, resolve_path


class ImageLoader(Node):
    """Opens an image file (PNG, JPEG, WebP, GIF's first frame, ...) as an RGB image, turned
    upright by its EXIF orientation."""

    type_id = "encoders.image_loader"
    title = "Image loader"
    inputs = (Input("file", "File", widget=None, help="From a file input"),)
    outputs = (Output("image", "Image"),)

    def run(self, ctx: Context, file: str) -> dict[str, Any]:
        from PIL import Image, ImageOps, UnidentifiedImageError

        path = resolve_path(str(file), what="image file", must_be="file")
        try:
            with Image.open(path) as opened:
                image = ImageOps.exif_transpose(opened).convert("RGB")
        except UnidentifiedImageError:
            raise NodeError(f"{path.name} is not an image PIL can read (try PNG, JPEG or WebP)") from None
        except OSError as exc:
            raise NodeError(f"could not read the image {path.name}: {exc}") from None
        ctx.record("image", {"path": portable(path, str(file)), "size": list(image.size)})
        return {"image": image}

from typing import Any

from nodes.api import Context, Input, Node, NodeError, Output


class Join(Node):
    """Joins a list of texts into one, with a separator between them."""

    type_id = "utility.join"
    title = "Join texts"
    inline = True
    inputs = (
        Input("items", "List[Any]"),
        Input("separator", "Text", default="\n\n"),
    )
    outputs = (Output("text", "Text"),)

    def run(self, ctx: Context, items: list[Any], separator: str) -> dict[str, Any]:
        texts = [_as_text(i) for i in items]
        # the separator is repeated once per item: refuse before building, not after
        limit = ctx.max_text_output_bytes
        size = sum(map(len, texts)) + len(separator) * max(0, len(texts) - 1)
        if limit is not None and size > limit:
            raise NodeError(
                f"joining {len(texts):,} texts with a separator of {len(separator):,} characters would make "
                f"{size:,} characters, over the limit of {limit:,} bytes (GENAISYS_MAX_TEXT_OUTPUT_BYTES)"
            )
        return {"text": separator.join(texts)}


def _as_text(item: Any) -> str:
    if isinstance(item, dict) and "text" in item:  # a Document
        return str(item["text"])
    return str(item)

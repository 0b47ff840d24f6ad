"""The API's JSON renderer: DRF's JSONRenderer output, written by orjson (a C extension).

The contract is DRF's encoder's, unchanged: dates and datetimes exactly as DRF writes them
(ISO 8601, UTC as `Z`, the offset otherwise), UUIDs as strings, raw Decimals as numbers
(serializer DecimalFields already give strings), lazy translations as text, U+2028/U+2029
escaped, no spaces, UTF-8. orjson writes what it knows natively byte for byte as the json module
would (strings, numbers, lists, dicts, UUIDs); everything else goes through DRF's own encoder.
What orjson cannot write at all (integers beyond 64 bits, nesting deeper than 254, an indented
answer asked for with `Accept: application/json; indent=4`) is rendered by DRF itself.
One difference: a float NaN or infinity is written as null, where DRF's strict mode failed.
"""

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)
_default = JSONEncoder().default


class FastJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if (
            self.ensure_ascii
            or not self.compact
            or self.get_indent(accepted_media_type, renderer_context or {}) is not None
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            text = orjson.dumps(data, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80\xa8" in text or b"\xe2\x80\xa9" in text:  # as DRF: a strict JS subset
            text = text.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return text

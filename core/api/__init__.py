"""The kit of the REST API: errors, pages, parsing, rendering, filtering, schema."""

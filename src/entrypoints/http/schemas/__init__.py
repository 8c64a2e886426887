"""Request and response bodies as msgspec structs: camelCase on the wire, unknown fields refused."""

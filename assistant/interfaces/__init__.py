"""The ways in that are not Python: the assistant command, the MCP server, terminal progress."""

"""The engine: graph documents, validation, planning and execution."""

"""The GenAISys Studio application: engine, API, CLI."""

"""The Heard server: ingest connectors, the sidebar, the supervisor queue, storage, CLI."""

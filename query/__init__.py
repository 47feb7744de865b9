"""The query role: read API over ClickHouse and management API over the control plane."""

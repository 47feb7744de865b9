"""The control plane: projects and API keys (users, rules... later) in a SQL database."""

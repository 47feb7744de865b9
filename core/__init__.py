"""Process plumbing shared by every role: settings, logging, metrics, clients, the server and CLI."""

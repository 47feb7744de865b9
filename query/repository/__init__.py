"""Every SQL statement of the read API. Values only ever travel as server-side parameters
(`{name:Type}`); the only text spliced into SQL is chosen from constants in these modules.
"""

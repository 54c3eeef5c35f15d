"""Fixtures for plugin authors (a pytest plugin); filled in by the plugin-authoring work."""

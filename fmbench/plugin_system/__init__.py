"""The plugin system: hook specs, the records plugins register, loading, the registry, definitions."""

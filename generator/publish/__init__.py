"""After a build: the manifest of what was published, its signature, and checking a copy against it."""

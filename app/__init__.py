"""HubCheck: pre-install pairing checks for PPMIDs and Communications Hubs."""

__version__ = "0.1.0"
